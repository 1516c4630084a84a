// facepack under Node: everything index.js offers, plus bundles read from a folder and photos
// read from files (JPEG, PNG, WebP, decoded by WebAssembly builds of libjpeg-turbo and libwebp
// and by pngjs, with the same image policy as the browser and Python).
//
//   import { Facepack, readPhoto } from 'facepack';
//   const fp = await Facepack.load('./bundle', { backend: 'wasm' });
//   const faces = await fp.analyze(await readPhoto('photo.jpg', fp.manifest.images));
import { Facepack as BaseFacepack } from '../facepack.js';
import { dirSource, wasmDir } from './bundle_dir.js';

export * from '../index.js';
export { dirSource } from './bundle_dir.js';
export { decodePhoto, readPhoto } from './photo.js';

/** The Facepack API, where a string source is a bundle folder and WASM files come from the installed package. */
export class Facepack extends BaseFacepack {
  static async load(source = 'bundle', options = {}) {
    const bundle = typeof source === 'string' && !/^https?:\/\//.test(source) ? dirSource(source) : source;
    return super.load(bundle, { wasmPaths: wasmDir(), ...options });
  }
}
