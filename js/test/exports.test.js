// index.d.ts declares what the package exports: every export of both entry points (the exports
// map's "node" and "default" modules) has a declaration, as a value, and every value it declares
// exists in one of them (type-only declarations excepted). Read with the TypeScript compiler API
// (the root package's devDependency), so every form of export declaration counts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.dirname(PACKAGE);
const ts = createRequire(path.join(ROOT, 'package.json'))('typescript');
const entry = JSON.parse(fs.readFileSync(path.join(PACKAGE, 'package.json'), 'utf8')).exports['.'];

/** {values: name -> symbol flags, types, starts}: what a declaration file exports as values, as types only, and where. */
function declaredNames(file) {
  const program = ts.createProgram([file], { noEmit: true, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file));
  assert.ok(module, `${file} is not a module`);
  const exports = checker.getExportsOfModule(module);
  const values = new Map();
  const types = [];
  const starts = new Map(); // name -> where its first declaration starts in the file
  for (const symbol of exports) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (target.flags & ts.SymbolFlags.Value) values.set(symbol.name, target.flags);
    else types.push(symbol.name);
    starts.set(symbol.name, Math.min(...target.declarations.map((d) => d.getStart())));
  }
  return { values, types, starts };
}

async function runtimeExports() {
  const modules = {};
  for (const [condition, file] of Object.entries({ node: entry.node, default: entry.default })) {
    modules[condition] = await import(pathToFileURL(path.join(PACKAGE, file)).href);
  }
  return modules;
}

const declared = declaredNames(path.join(PACKAGE, entry.types));
const modules = await runtimeExports();

test('the exports map names the declarations and both entry modules', () => {
  assert.deepEqual(Object.keys(entry).sort(), ['default', 'node', 'types']);
  assert.ok(declared.values.size > 0 && declared.types.length > 0);
});

for (const [condition, module] of Object.entries(modules)) {
  test(`every export of the "${condition}" entry (${entry[condition]}) is declared as a value in ${entry.types}`, () => {
    const names = Object.keys(module);
    assert.ok(names.length > 0);
    const undeclared = names.filter((name) => !declared.values.has(name)).sort();
    const typeOnly = undeclared.filter((name) => declared.types.includes(name));
    assert.deepEqual(
      undeclared,
      [],
      `exported by ${entry[condition]} but not declared as a value in ${entry.types}: ${undeclared.join(', ')}` +
        (typeOnly.length ? ` (declared as a type only: ${typeOnly.join(', ')})` : ''),
    );
  });
}

test(`every value ${entry.types} declares exists at run time, a function or class as a function`, () => {
  const everywhere = Object.assign({}, ...Object.values(modules));
  const absent = [...declared.values.keys()].filter((name) => !(name in everywhere)).sort();
  assert.deepEqual(absent, [], `declared in ${entry.types} but exported by neither entry: ${absent.join(', ')}`);
  const callable = ts.SymbolFlags.Function | ts.SymbolFlags.Class;
  const notFunctions = [...declared.values]
    .filter(([name, flags]) => flags & callable && typeof everywhere[name] !== 'function')
    .map(([name]) => name);
  assert.deepEqual(notFunctions, [], `declared as a function or class but not one at run time: ${notFunctions.join(', ')}`);
});

test(`the values ${entry.types} declares under "// Node only" are the ones the browser entry lacks`, () => {
  const file = path.join(PACKAGE, entry.types);
  const marker = fs.readFileSync(file, 'utf8').indexOf('\n// Node only');
  assert.ok(marker > 0, `${entry.types} has no "// Node only" section`);
  const underMarker = [...declared.values.keys()].filter((name) => declared.starts.get(name) > marker).sort();
  const nodeOnly = Object.keys(modules.node)
    .filter((name) => !(name in modules.default))
    .sort();
  assert.ok(nodeOnly.length > 0);
  assert.deepEqual(underMarker, nodeOnly);
});
