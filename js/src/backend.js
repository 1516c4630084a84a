// Choose and start a TF.js backend.
// 'auto' (the default) picks webgpu on a hardware WebGPU adapter, else webgl when the browser
// has a hardware WebGL, else wasm: on a software WebGL (SwiftShader, llvmpipe) wasm is about 12x
// faster (README, page stages), and a software WebGPU adapter (SwiftShader) counts for nothing.
// In Node there is no WebGL or WebGPU: 'auto' means wasm. A backend that fails to start falls
// back in FALLBACKS order (webgl, wasm, cpu; webgpu is never a fallback). The WebGPU backend is
// an optional peer, imported only when webgpu is asked for or picked. Python counterpart: none.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { defaultWasmPaths, wasmFailure } from './wasm_paths.js';

export { defaultWasmPaths } from './wasm_paths.js';

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'];
const FALLBACKS = ['webgl', 'wasm', 'cpu'];
export const CHOICES = ['auto', ...BACKENDS];

// A backend that has not started by then counts as failed (a WASM worker that cannot load
// would otherwise leave tf.ready() pending for ever).
const START_TIMEOUT_MS = 30000;
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|software|softpipe/i;
const WEBGPU_MODULE = '@tensorflow/tfjs-backend-webgpu'; // an optional peer

// WebGL: pass tensor shapes to its shaders as uniforms, so that one compiled shader serves every
// shape of an op. TF.js's default compiles a shader per shape, and every photo size brings new
// shapes (PNet's pyramid levels, RNet's and ONet's batches). Measured on SwiftShader here, one
// page each way, sample1, sample3 and sample4 in a row: 123.1 s without it, 87.6 s with it
// (0.71x), most of it in PNet, RNet and ONet; parity with Python holds
// (tests/browser/test_parity.py).
function useShapeUniforms() {
  tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', true);
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The WebGL renderer's name, or null when there is no WebGL (Node, or a browser without it). */
export function webglRenderer() {
  if (typeof OffscreenCanvas === 'undefined') return null;
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2') || new OffscreenCanvas(1, 1).getContext('webgl');
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  const lose = gl.getExtension('WEBGL_lose_context');
  if (lose) lose.loseContext();
  return String(name);
}

/**
 * The WebGPU adapter TF.js would get (it asks for 'high-performance'), as {name, software}, or
 * null when there is none (Node, a browser without WebGPU, or one that offers no adapter).
 * Software: a fallback adapter, or one whose info names SwiftShader (or another CPU renderer).
 */
export async function webgpuAdapter() {
  if (typeof navigator === 'undefined' || !navigator.gpu) return null;
  const adapter = await withTimeout(
    navigator.gpu.requestAdapter({ powerPreference: 'high-performance' }),
    START_TIMEOUT_MS,
    'WebGPU adapter',
  );
  if (!adapter) return null;
  const info = adapter.info || (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {});
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'an unnamed adapter';
  const software = Boolean(adapter.isFallbackAdapter || info.isFallbackAdapter) || SOFTWARE_RENDERERS.test(name);
  return { name, software };
}

/**
 * Make sure 'webgpu' is registered with TF.js: importing tfjs-backend-webgpu registers it (where
 * navigator.gpu exists). An app that bundles facepack imports that package itself; otherwise it
 * is imported here, at run time (an import map, Node), by a name no bundler resolves at build
 * time, so that apps without WebGPU need not install it. Throws when there is no adapter to start
 * it on, or the package cannot be imported.
 */
async function registerWebgpu() {
  if (!(await webgpuAdapter())) throw new Error('no WebGPU adapter here');
  if (tf.findBackendFactory('webgpu')) return;
  await withTimeout(import(/* webpackIgnore: true */ /* @vite-ignore */ WEBGPU_MODULE), START_TIMEOUT_MS, WEBGPU_MODULE);
}

/** What 'auto' means here: {backend, reason}. */
export async function autoBackend() {
  const gpu = await webgpuAdapter().catch(() => null);
  if (gpu && !gpu.software) return { backend: 'webgpu', reason: `WebGPU on ${gpu.name}` };
  const renderer = webglRenderer();
  if (renderer === null) return { backend: 'wasm', reason: 'no WebGL' };
  if (SOFTWARE_RENDERERS.test(renderer)) return { backend: 'wasm', reason: `WebGL is software (${renderer})` };
  return { backend: 'webgl', reason: `WebGL on ${renderer}` };
}

/**
 * XNNPACK threads for the WASM backend: the logical cores halved (TF.js's own rule, which
 * assumes two hyperthreads a core), but at least 2 where there are 2 cores, at most 8 (the
 * workers its build starts). `wanted`, a number, overrides the rule.
 */
export function wasmThreadsCount(wanted, cores = typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency || 1) {
  if (typeof wanted === 'number') return Math.max(1, Math.min(8, Math.floor(wanted)));
  return Math.max(1, Math.min(8, cores, Math.max(2, Math.floor(cores / 2))));
}

/**
 * Run `start` (the WASM backend's start) with the thread count `threads`. TF.js's WASM build caps
 * its thread pool at navigator.hardwareConcurrency / 2, read while the module starts, so on a
 * 2-core machine setThreadsCount(2) alone gives one thread. The module is shown a count of
 * 2 x threads while it starts; the property is restored after.
 */
async function withThreads(threads, start) {
  setThreadsCount(threads);
  if (typeof navigator === 'undefined' || Object.hasOwn(navigator, 'hardwareConcurrency')) return start();
  Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  try {
    return await start();
  } finally {
    delete navigator.hardwareConcurrency;
  }
}

/**
 * A backend that did not start, as the `failed` list holds it, announced with console.warn (a
 * fallback is never silent). The wasm backend's failure names `wasmPaths` and the URL it tried.
 */
async function failure(backend, err, order, wasmPaths) {
  const next = order[order.indexOf(backend) + 1];
  let error = String(err && err.message ? err.message : err);
  if (backend === 'wasm') error = await wasmFailure(wasmPaths, error);
  console.warn(`facepack: the ${backend} backend did not start${next ? `, trying ${next}` : ''}: ${error}`);
  return { backend, error };
}

/**
 * Start `preferred` ('auto', 'webgpu', 'webgl', 'wasm' or 'cpu'), falling back in FALLBACKS order.
 * @param {object} options
 * @param {string} [options.wasmPaths] where the tfjs-backend-wasm .wasm files are served
 *   (a URL prefix ending in '/', or a folder in Node); default: defaultWasmPaths()
 * @param {boolean | number} [options.wasmThreads] true: wasmThreadsCount's rule; a number: that
 *   many threads; false: WASM's build without threads (for benchmarks)
 * @returns {Promise<{backend: string, failed: {backend: string, error: string}[], reason: string,
 *   wasm: {threads: boolean, simd: boolean, threadsCount: number} | null}>}
 */
export async function startBackend(preferred = 'auto', { wasmPaths = defaultWasmPaths(), wasmThreads = true } = {}) {
  if (!CHOICES.includes(preferred)) throw new Error(`unknown backend ${preferred}; use ${CHOICES.join(', ')}`);
  let reason = 'asked for';
  if (preferred === 'auto') ({ backend: preferred, reason } = await autoBackend());
  if (wasmPaths) setWasmPaths(wasmPaths);
  if (!wasmThreads) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const order = [preferred, ...FALLBACKS.filter((b) => b !== preferred)];
  const failed = [];
  for (const backend of order) {
    if (backend === 'webgl' && webglRenderer() === null) {
      failed.push(await failure(backend, 'no WebGL here', order, wasmPaths));
      continue;
    }
    try {
      if (backend === 'webgpu') await registerWebgpu();
      if (backend === 'webgl') useShapeUniforms();
      const start = async () => {
        if (!(await withTimeout(tf.setBackend(backend), START_TIMEOUT_MS, backend))) return false;
        await withTimeout(tf.ready(), START_TIMEOUT_MS, backend);
        return true;
      };
      if (await (backend === 'wasm' && wasmThreads ? withThreads(wasmThreadsCount(wasmThreads), start) : start())) {
        const wasm =
          backend === 'wasm'
            ? {
                threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
                simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
                threadsCount: getThreadsCount(),
              }
            : null;
        return { backend: tf.getBackend(), failed, reason, wasm };
      }
      failed.push(await failure(backend, 'setBackend returned false', order, wasmPaths));
    } catch (err) {
      failed.push(await failure(backend, err, order, wasmPaths));
    }
  }
  const error = new Error(`no TF.js backend could start: ${JSON.stringify(failed)}`);
  Object.assign(error, { code: 'backend_failed', params: { detail: failed.map((f) => `${f.backend}: ${f.error}`).join('; ') } });
  throw error;
}
