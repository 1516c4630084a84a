// Choose and start a TF.js backend.
// 'auto' (the default) picks webgl when the browser has a hardware WebGL, else wasm: on a
// software WebGL (SwiftShader, llvmpipe) wasm is about 12x faster here (README, page stages).
// A backend that fails to start falls back in BACKENDS order.
// Python counterpart: none (Node's check in converter/node/run_models.mjs uses cpu and wasm).
const tf = globalThis.tf;

export const BACKENDS = ['webgl', 'wasm', 'cpu'];
export const CHOICES = ['auto', ...BACKENDS];

// A backend that has not started by then counts as failed (a WASM worker that cannot load
// would otherwise leave tf.ready() pending for ever).
const START_TIMEOUT_MS = 30000;
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|software|softpipe/i;

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms / 1000} s`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The wasm backend fetches its .wasm binaries from the server's /vendor/ folder.
tf.wasm.setWasmPaths('/vendor/');

/** The WebGL renderer's name, or null when the browser has no WebGL. */
export function webglRenderer() {
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2') || new OffscreenCanvas(1, 1).getContext('webgl');
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  const lose = gl.getExtension('WEBGL_lose_context');
  if (lose) lose.loseContext();
  return String(name);
}

/** What 'auto' means on this browser: {backend, reason}. */
export function autoBackend() {
  const renderer = webglRenderer();
  if (renderer === null) return { backend: 'wasm', reason: 'no WebGL' };
  if (SOFTWARE_RENDERERS.test(renderer)) return { backend: 'wasm', reason: `WebGL is software (${renderer})` };
  return { backend: 'webgl', reason: `WebGL on ${renderer}` };
}

/**
 * Start `preferred` ('auto', 'webgl', 'wasm' or 'cpu'), falling back in BACKENDS order.
 * `wasmThreads: false` keeps WASM on one thread (for benchmarks).
 * @returns {Promise<{backend: string, failed: {backend: string, error: string}[], reason: string,
 *   wasm: {threads: boolean, simd: boolean} | null}>}
 */
export async function startBackend(preferred = 'auto', { wasmThreads = true } = {}) {
  if (!CHOICES.includes(preferred)) throw new Error(`unknown backend ${preferred}; use ${CHOICES.join(', ')}`);
  let reason = 'asked for';
  if (preferred === 'auto') ({ backend: preferred, reason } = autoBackend());
  if (!wasmThreads) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const order = [preferred, ...BACKENDS.filter((b) => b !== preferred)];
  const failed = [];
  for (const backend of order) {
    try {
      if (await withTimeout(tf.setBackend(backend), START_TIMEOUT_MS, backend)) {
        await withTimeout(tf.ready(), START_TIMEOUT_MS, backend);
        const wasm = backend === 'wasm'
          ? { threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'), simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') }
          : null;
        return { backend: tf.getBackend(), failed, reason, wasm };
      }
      failed.push({ backend, error: 'setBackend returned false' });
    } catch (err) {
      failed.push({ backend, error: String(err && err.message ? err.message : err) });
    }
  }
  throw new Error(`no TF.js backend could start: ${JSON.stringify(failed)}`);
}
