// The facepack README's "With a bundler", built by esbuild: load the bundle (served at /bundle/),
// analyse photo.jpg, show the faces. `npm run build` also copies the wasm backend's .wasm files
// into dist/wasm/ (npx facepack copy-wasm), which wasmPaths names.
import { Facepack, decodeImage } from 'facepack';

/** @param {string} id a page element's id (index.html has each) */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const status = byId('status');

async function main() {
  const fp = await Facepack.load('/bundle/', { wasmPaths: '/wasm/' });
  // A backend that did not start (and why) before the one running: fp.fallbacks.
  byId('fallbacks').textContent = fp.fallbacks.map((f) => `${f.backend} did not start: ${f.error}`).join('\n');
  status.textContent = `analysing photo.jpg on ${fp.backend}…`;
  const photo = await decodeImage(await (await fetch('photo.jpg')).blob(), 'photo.jpg');
  const faces = await fp.analyze(photo);
  byId('faces').textContent = JSON.stringify(faces, null, 1);
  status.textContent = `${faces.length} faces, on ${fp.backend}`;
  status.dataset.state = 'done';
}

main().catch((err) => {
  status.textContent = `failed: ${err.message}`;
  status.dataset.state = 'failed';
});
