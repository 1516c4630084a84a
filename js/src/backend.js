// Choose and start a TF.js backend.
// 'auto' (the default) picks webgl when the browser has a hardware WebGL, else wasm: on a
// software WebGL (SwiftShader, llvmpipe) wasm is about 12x faster (README, page stages).
// In Node there is no WebGL: 'auto' means wasm. A backend that fails to start falls back
// in BACKENDS order. Python counterpart: none.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export const BACKENDS = ['webgl', 'wasm', 'cpu'];
export const CHOICES = ['auto', ...BACKENDS];

// A backend that has not started by then counts as failed (a WASM worker that cannot load
// would otherwise leave tf.ready() pending for ever).
const START_TIMEOUT_MS = 30000;
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|software|softpipe/i;

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Where the wasm backend's .wasm files are in a browser: beside the module the page's import map
 * (or bundler) resolved '@tensorflow/tfjs-backend-wasm' to. Undefined when that cannot be told
 * (TF.js then uses its own default); Node passes a folder (node.js).
 */
export function defaultWasmPaths() {
  if (typeof import.meta.resolve !== 'function') return undefined;
  const url = import.meta.resolve('@tensorflow/tfjs-backend-wasm');
  return url.startsWith('file:') ? undefined : url.slice(0, url.lastIndexOf('/') + 1);
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

/** What 'auto' means here: {backend, reason}. */
export function autoBackend() {
  const renderer = webglRenderer();
  if (renderer === null) return { backend: 'wasm', reason: 'no WebGL' };
  if (SOFTWARE_RENDERERS.test(renderer)) return { backend: 'wasm', reason: `WebGL is software (${renderer})` };
  return { backend: 'webgl', reason: `WebGL on ${renderer}` };
}

/**
 * Start `preferred` ('auto', 'webgl', 'wasm' or 'cpu'), falling back in BACKENDS order.
 * @param {object} options
 * @param {string} [options.wasmPaths] where the tfjs-backend-wasm .wasm files are served
 *   (a URL prefix ending in '/', or a folder in Node); default: defaultWasmPaths()
 * @param {boolean} [options.wasmThreads] false keeps WASM on one thread (for benchmarks)
 * @returns {Promise<{backend: string, failed: {backend: string, error: string}[], reason: string,
 *   wasm: {threads: boolean, simd: boolean} | null}>}
 */
export async function startBackend(preferred = 'auto', { wasmPaths = defaultWasmPaths(), wasmThreads = true } = {}) {
  if (!CHOICES.includes(preferred)) throw new Error(`unknown backend ${preferred}; use ${CHOICES.join(', ')}`);
  let reason = 'asked for';
  if (preferred === 'auto') ({ backend: preferred, reason } = autoBackend());
  if (wasmPaths) setWasmPaths(wasmPaths);
  if (!wasmThreads) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const order = [preferred, ...BACKENDS.filter((b) => b !== preferred)];
  const failed = [];
  for (const backend of order) {
    if (backend === 'webgl' && webglRenderer() === null) {
      failed.push({ backend, error: 'no WebGL here' });
      continue;
    }
    try {
      if (await withTimeout(tf.setBackend(backend), START_TIMEOUT_MS, backend)) {
        await withTimeout(tf.ready(), START_TIMEOUT_MS, backend);
        const wasm =
          backend === 'wasm'
            ? { threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'), simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') }
            : null;
        return { backend: tf.getBackend(), failed, reason, wasm };
      }
      failed.push({ backend, error: 'setBackend returned false' });
    } catch (err) {
      failed.push({ backend, error: String(err && err.message ? err.message : err) });
    }
  }
  const error = new Error(`no TF.js backend could start: ${JSON.stringify(failed)}`);
  Object.assign(error, { code: 'backend_failed', params: { detail: failed.map((f) => `${f.backend}: ${f.error}`).join('; ') } });
  throw error;
}
