// js/index.d.ts read through the TypeScript checker, for tests that hold the code to what the
// types declare (keysets.test.js, boundary.test.js).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const file = fileURLToPath(new URL('../../../js/index.d.ts', import.meta.url));
export const program = ts.createProgram([file], {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: [],
});
export const checker = program.getTypeChecker();
const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)));

/** The type an exported interface, class or type alias of index.d.ts declares. */
export function declared(name) {
  const symbol = exported.find((s) => s.name === name);
  assert.ok(symbol, `index.d.ts exports no ${name}`);
  return checker.getDeclaredTypeOfSymbol(symbol);
}

export const propertiesOf = (type) => checker.getPropertiesOfType(type);
export const keysOf = (type) => propertiesOf(type).map((p) => p.name).sort();

/** The type of property `name` of `type`, without `null` and `undefined`. */
export function member(type, name) {
  const prop = propertiesOf(type).find((p) => p.name === name);
  assert.ok(prop, `${checker.typeToString(type)} declares no ${name}`);
  return checker.getNonNullableType(checker.getTypeOfSymbol(prop));
}

/** The object type in a union such as `RetryOptions | false` (or the type itself). */
export const objectPart = (type) => (type.isUnion() ? (type.types.find((t) => (t.flags & ts.TypeFlags.Object) !== 0) ?? type) : type);

/** The string literals of a (union) type. */
export const literals = (type) => (type.isUnion() ? type.types : [type]).filter((t) => t.isStringLiteral()).map((t) => t.value);
