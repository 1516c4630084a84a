// backend.js in Node, where there is neither WebGPU nor WebGL: 'webgpu' falls back in the
// fallback order, saying why each could not start, and 'auto' means wasm.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BACKENDS, CHOICES, autoBackend, startBackend } from '../src/backend.js';
import { wasmDir } from '../src/node/bundle_dir.js';

test('webgpu is one of the backends one can ask for', () => {
  assert.deepEqual(BACKENDS, ['webgpu', 'webgl', 'wasm', 'cpu']);
  assert.deepEqual(CHOICES, ['auto', ...BACKENDS]);
});

test("'auto' in Node is wasm", async () => {
  assert.deepEqual(await autoBackend(), { backend: 'wasm', reason: 'no WebGL' });
});

test("'webgpu' in Node falls back to wasm and reports webgpu and webgl in failed", async () => {
  const started = await startBackend('webgpu', { wasmPaths: wasmDir() });
  assert.equal(started.backend, 'wasm');
  assert.deepEqual(started.failed, [
    { backend: 'webgpu', error: 'no WebGPU adapter here' },
    { backend: 'webgl', error: 'no WebGL here' },
  ]);
});
