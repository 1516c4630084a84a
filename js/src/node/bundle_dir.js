// Node only: a bundle read from a folder (a source for Facepack.load), and where the installed
// tfjs-backend-wasm keeps its .wasm files.
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import { BundleError } from '../bundle.js';

/** A bundle folder as a source: read(path) gives a file's bytes, refusing paths that leave it. */
export function dirSource(dir) {
  const root = path.resolve(dir);
  return {
    name: root,
    async read(rel) {
      const file = path.resolve(root, rel);
      if (file !== root && !file.startsWith(root + path.sep)) throw new BundleError(`${rel} leaves the bundle folder`);
      try {
        return new Uint8Array(await fs.readFile(file));
      } catch (err) {
        if (err.code === 'ENOENT') {
          throw new BundleError(
            rel === 'manifest.json' ? `${root} has no manifest.json: is it a facepack bundle?` : `${rel} is missing from ${root}`,
          );
        }
        throw new BundleError(`${rel}: ${err.message}`);
      }
    },
  };
}

/** The folder of the installed @tensorflow/tfjs-backend-wasm's .wasm files, ending in '/'. */
export function wasmDir() {
  const require = createRequire(import.meta.url);
  return `${path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}${path.sep}`;
}
