// Where the wasm backend's .wasm binaries are served from (`wasmPaths`), and a failure to start
// it that says where it looked. TF.js fetches one of the three files of
// @tensorflow/tfjs-backend-wasm/dist/ by what the browser supports; a bundled app serves them
// from a folder of its own (`npx facepack copy-wasm DIR`, src/node/cli.js) and passes that
// folder's URL as `wasmPaths`. Python counterpart: none.
import * as tf from '@tensorflow/tfjs';

export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm", the first bytes of every .wasm file

/**
 * The URL that the page's inline import map gives `specifier` (an exact key, resolved against the
 * page as the browser resolves it), or null. Read from the page rather than asked of
 * import.meta.resolve, which bundlers rewrite: webpack resolves a literal at build time and ships
 * the module it finds as a file; Vite and esbuild leave a call that throws without an import map.
 */
function importMapUrl(specifier) {
  if (typeof document === 'undefined') return null;
  for (const script of document.querySelectorAll('script[type="importmap"]')) {
    try {
      const target = JSON.parse(script.textContent).imports?.[specifier];
      if (typeof target === 'string') return new URL(target, document.baseURI).href;
    } catch {
      // not an import map the browser could read either
    }
  }
  return null;
}

/**
 * The default `wasmPaths` in a browser: the folder of the module the page's import map names for
 * '@tensorflow/tfjs-backend-wasm' (the page in web/ has one), else the page's own folder (where
 * TF.js itself looks). Undefined in Node (node/index.js passes the installed package's folder).
 */
export function defaultWasmPaths() {
  const url = importMapUrl('@tensorflow/tfjs-backend-wasm');
  if (url) return url.slice(0, url.lastIndexOf('/') + 1);
  if (typeof location === 'undefined' || !/^https?:/.test(location.href)) return undefined;
  return new URL('./', globalThis.document ? document.baseURI : location.href).href;
}

/** The binary TF.js fetches with this support (tfjs-backend-wasm's getPathToWasmBinary). */
export function wasmFileName(simd, threads) {
  if (simd && threads) return WASM_FILES[2];
  return simd ? WASM_FILES[1] : WASM_FILES[0];
}

/** What `url` holds instead of a .wasm file, or null when it is one (only its first bytes are read). */
async function whatIsAt(url) {
  try {
    const response = await fetch(url);
    if (!response.ok) return `HTTP ${response.status}`;
    const reader = response.body.getReader();
    const { value = new Uint8Array() } = await reader.read();
    reader.cancel();
    if (WASM_MAGIC.every((byte, i) => value[i] === byte)) return null;
    return `it is not a .wasm file but ${response.headers.get('content-type') || 'something else'}`;
  } catch (err) {
    return `it could not be fetched: ${err.message}`;
  }
}

/**
 * Why the wasm backend did not start, naming `wasmPaths` and the binary's URL. In a browser the
 * URL is fetched to tell a missing file (HTTP 404), a page served in its place, or an unreachable
 * host from a failure of TF.js itself (whose own message, `cause`, names neither).
 */
export async function wasmFailure(wasmPaths, cause) {
  const name = wasmFileName(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  const where = wasmPaths && typeof wasmPaths === 'object' ? wasmPaths[name] : `${wasmPaths ?? ''}${name}`;
  const setting = `wasmPaths is ${JSON.stringify(wasmPaths ?? null)}`;
  const inBrowser = typeof fetch === 'function' && typeof location !== 'undefined';
  if (!inBrowser) return `the wasm backend did not start with ${where} (${setting}; ${cause})`;
  const url = new URL(where, location.href).href;
  const wrong = await whatIsAt(url);
  if (wrong === null) return `${cause} (${setting}; ${url} is a .wasm file)`;
  return (
    `the wasm backend could not load ${url} (${wrong}): serve the .wasm files of @tensorflow/tfjs-backend-wasm/dist/ ` +
    `there (\`npx facepack copy-wasm DIR\` copies them), or set wasmPaths to the URL of the folder that holds them ` +
    `(${setting})`
  );
}
