// Choose a TF.js backend: the one asked for, else the next that starts (webgl -> wasm -> cpu).
// Python counterpart: none (Node's check in converter/node/run_models.mjs uses cpu and wasm).
const tf = globalThis.tf;

export const BACKENDS = ['webgl', 'wasm', 'cpu'];

// A backend that has not started by then counts as failed (a WASM worker that cannot load
// would otherwise leave tf.ready() pending for ever).
const START_TIMEOUT_MS = 30000;

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms / 1000} s`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The wasm backend fetches its .wasm binaries from the server's /vendor/ folder.
tf.wasm.setWasmPaths('/vendor/');

/**
 * Start `preferred`, falling back in BACKENDS order.
 * @returns {Promise<{backend: string, failed: {backend: string, error: string}[]}>}
 */
export async function startBackend(preferred = 'webgl') {
  if (!BACKENDS.includes(preferred)) throw new Error(`unknown backend ${preferred}; use ${BACKENDS.join(', ')}`);
  const order = [preferred, ...BACKENDS.filter((b) => b !== preferred)];
  const failed = [];
  for (const backend of order) {
    try {
      if (await withTimeout(tf.setBackend(backend), START_TIMEOUT_MS, backend)) {
        await withTimeout(tf.ready(), START_TIMEOUT_MS, backend);
        return { backend: tf.getBackend(), failed };
      }
      failed.push({ backend, error: 'setBackend returned false' });
    } catch (err) {
      failed.push({ backend, error: String(err && err.message ? err.message : err) });
    }
  }
  throw new Error(`no TF.js backend could start: ${JSON.stringify(failed)}`);
}
