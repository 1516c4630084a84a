// The facepack README's "In Node": analyse one photo with a bundle folder, print the faces as JSON.
//   node analyze.js BUNDLE_DIR PHOTO
import { Facepack, readPhoto } from 'facepack';

const [bundle = 'bundle', photo = 'photo.jpg'] = process.argv.slice(2);
const fp = await Facepack.load(bundle, { backend: 'wasm' });
const faces = await fp.analyze(await readPhoto(photo, fp.manifest.images));
process.stdout.write(`${JSON.stringify(faces)}\n`);
fp.dispose();
