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

test('WASM threads: the logical cores halved, at least 2 on 2 cores, at most 8, or the number asked', async () => {
  const { wasmThreadsCount } = await import('../src/backend.js');
  assert.deepEqual(
    [1, 2, 3, 4, 8, 16, 32].map((cores) => wasmThreadsCount(true, cores)),
    [1, 2, 2, 2, 4, 8, 8],
  );
  assert.equal(wasmThreadsCount(3, 2), 3);
  assert.equal(wasmThreadsCount(0.5, 2), 1);
  assert.equal(wasmThreadsCount(64, 2), 8);
});
