// wasm_paths.js: which .wasm file TF.js fetches, and (in a fresh Node process, as TF.js cannot
// start wasm twice in one) a wasm backend whose files are not where wasmPaths says: the failure
// names wasmPaths and the file, and the fallback to the next backend is announced on stderr.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

import { WASM_FILES, defaultWasmPaths, wasmFileName } from '../src/wasm_paths.js';

test('the file follows SIMD and threads support, as tfjs-backend-wasm chooses it', () => {
  assert.equal(wasmFileName(false, false), 'tfjs-backend-wasm.wasm');
  assert.equal(wasmFileName(true, false), 'tfjs-backend-wasm-simd.wasm');
  assert.equal(wasmFileName(true, true), 'tfjs-backend-wasm-threaded-simd.wasm');
  assert.equal(new Set(WASM_FILES).size, 3);
});

test('Node has no default wasmPaths (the Node entry passes the installed package folder)', () => {
  assert.equal(defaultWasmPaths(), undefined);
});

test('a missing .wasm names wasmPaths and the file, and the fallback says so', () => {
  const script = `
    import { startBackend } from './src/backend.js';
    const started = await startBackend('wasm', { wasmPaths: '/nowhere/' });
    process.stdout.write(JSON.stringify(started));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const started = JSON.parse(out.stdout.trim().split('\n').pop());
  assert.equal(started.backend, 'cpu');
  const [wasm] = started.failed;
  assert.equal(wasm.backend, 'wasm');
  assert.match(wasm.error, /did not start with \/nowhere\/tfjs-backend-wasm(-simd)?\.wasm \(wasmPaths is "\/nowhere\/"/);
  assert.match(out.stderr, /facepack: the wasm backend did not start, trying webgl: .*\/nowhere\//);
  assert.match(out.stderr, /facepack: the webgl backend did not start, trying cpu: no WebGL here/);
});
