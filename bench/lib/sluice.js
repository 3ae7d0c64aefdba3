// sluice as the benchmarks import it: the package of this repository (`sluice`, resolved from
// the root node_modules, built by scripts/build.sh), or another build of it named by the
// SLUICE environment variable (a path to an entry module, e.g. /tmp/old/js/src/entry/node.js),
// to compare two builds with the same programs.
import { pathToFileURL } from 'node:url';

const where = process.env.SLUICE;
const sluice = await import(where ? pathToFileURL(where).href : 'sluice');

export const { Limiter } = sluice;
/** sluice/otel beside the same build (a path given in SLUICE names its entry; otel sits in src/metrics). */
export const { instrument } = await import(where ? pathToFileURL(where.replace(/entry\/[^/]+$/, 'metrics/otel.js')).href : 'sluice/otel');
/** Where sluice came from, for the results files. */
export const sluiceSource = where ?? 'sluice (the repository build)';
