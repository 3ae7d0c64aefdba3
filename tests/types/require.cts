// CommonJS: `require('sluice')` has the same types (TypeScript ≥ 5.8 under nodenext, for Node's
// require() of ES modules).
import sluice = require('sluice');

const limiter = new sluice.Limiter({ maxConcurrent: 2 });
const n: Promise<number> = limiter.schedule(() => 1);
// @ts-expect-error: the result is a number
const s: Promise<string> = limiter.schedule(() => 1);

export = { n, s };
