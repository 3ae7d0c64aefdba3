// The type test: tsc on a file that uses the whole API (under nodenext and under bundler
// resolution); then the .d.ts matched against the package itself: the same exported values,
// and the same option names (as the package's "Unknown option" errors list them).
import path from 'node:path';
import ts from 'typescript';
import { run } from '../lib/exec.js';
import { pkgDir, root } from '../lib/paths.js';

const tsc = path.join(root, 'node_modules/.bin/tsc');

/** What index.d.ts and init.d.ts declare: exported value names, and option names. */
function declared() {
  const files = ['index.d.ts', 'init.d.ts'].map((f) => path.join(pkgDir, f));
  // Only the names matter here, not diagnostics: the ES library alone keeps this quick.
  const program = ts.createProgram(files, { noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, lib: ['lib.es2022.d.ts'], types: [] });
  const checker = program.getTypeChecker();
  const exportsOf = (file) => checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)));
  const values = (file) =>
    exportsOf(file)
      .filter((s) => ((s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s).flags & ts.SymbolFlags.Value) !== 0)
      .map((s) => s.name)
      .sort();
  const propertiesOf = (name) => {
    const symbol = exportsOf(files[0]).find((s) => s.name === name);
    return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol)).map((p) => p.name).sort();
  };
  return {
    index: values(files[0]),
    init: values(files[1]),
    limiterOptions: propertiesOf('LimiterOptions'),
    scheduleOptions: propertiesOf('ScheduleOptions'),
    stats: propertiesOf('LimiterStats'),
    tokenStats: propertiesOf('TokenStats'),
    calibrationStats: propertiesOf('CalibrationStats'),
    budgetStats: propertiesOf('BudgetStats'),
  };
}

/** The option names an options object may have, from the "known options: a, b" of the error. */
function knownOptions(call) {
  try {
    call({ ' probe': 1 });
  } catch (e) {
    const listed = /known options: (.*)$/.exec(e.message);
    if (listed) return listed[1].split(', ').sort();
    throw e;
  }
  throw new Error('an unknown option was accepted');
}

function compare(what, typed, actual) {
  const untyped = actual.filter((n) => !typed.includes(n));
  const extra = typed.filter((n) => !actual.includes(n));
  const problems = [];
  if (untyped.length) problems.push(`in the package but not in the .d.ts: ${untyped.join(', ')}`);
  if (extra.length) problems.push(`in the .d.ts but not in the package: ${extra.join(', ')}`);
  if (problems.length) throw new Error(`${what}: ${problems.join('; ')}`);
}

export async function typesCheck() {
  await Promise.all(
    ['tests/types/tsconfig.json', 'tests/types/tsconfig.bundler.json'].map((config) =>
      run(tsc, ['-p', config], { cwd: root }).catch((e) => {
        throw new Error(`tsc -p ${config}:\n${e.message.split('\n').slice(1).join('\n')}`);
      }),
    ),
  );
  const typed = declared();
  const sluice = await import('sluice');
  compare('exports of sluice', typed.index, Object.keys(sluice).sort());
  compare('exports of sluice/init', typed.init, Object.keys(await import('sluice/init')).sort());
  compare('LimiterOptions', typed.limiterOptions, knownOptions((o) => new sluice.Limiter(o)));
  compare('ScheduleOptions', typed.scheduleOptions, knownOptions((o) => new sluice.Limiter().schedule(() => 1, o)));
  // stats(): the keys the core and the wrapper put there, against what the types declare.
  const stats = new sluice.Limiter({ tokensPerMinute: 1_000 }).stats();
  compare('LimiterStats', typed.stats, Object.keys(stats).sort());
  compare('TokenStats', typed.tokenStats, Object.keys(stats.tokens).sort());
  compare('CalibrationStats', typed.calibrationStats, Object.keys(stats.calibration).sort());
  compare('BudgetStats', typed.budgetStats, Object.keys(stats.budgets.tokensPerMinute).sort());
  return `tsc ${ts.version}: nodenext (import, require) and bundler resolution; the .d.ts has the package's exports, options and stats() keys`;
}
