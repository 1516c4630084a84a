// The AREA resizes of a 1920x1280 photo in JavaScript (js/src/pyramid.js): the max_side copy
// (1920x1280 -> 1024x683) and the 11 pyramid levels PNet sees. Medians of 9 runs, each module
// in turn in every run, so two versions compare on one machine at one time:
//   git show HEAD~1:js/src/pyramid.js > /tmp/old.js && node bench/resize_area.mjs /tmp/old.js js/src/pyramid.js
// Also prints a checksum of every output value: equal checksums, the same numbers.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const files = process.argv.length > 2 ? process.argv.slice(2) : ['js/src/pyramid.js'];
const modules = await Promise.all(files.map((f) => import(pathToFileURL(path.resolve(f)).href)));
const [H, W, h, w] = [1280, 1920, 683, 1024];
const photo = Uint8Array.from({ length: H * W * 3 }, (_, i) => (i * 7919) % 251);
const detector = { min_size: 12, min_face_size: 20, scale_factor: 0.709 };

function run({ pyramidScales, resizeArea, scaledSize }) {
  let t = performance.now();
  const copy = resizeArea(photo, H, W, 3, h, w);
  const copyMs = performance.now() - t;
  t = performance.now();
  const levels = pyramidScales(w, h, detector).map((s) => resizeArea(copy, h, w, 3, ...scaledSize(h, w, s)));
  const levelsMs = performance.now() - t;
  let checksum = copy.reduce((a, v, i) => a + v * ((i % 7) + 1), 0);
  for (const level of levels) checksum += level.reduce((a, v, i) => a + v * ((i % 5) + 1), 0);
  return { copyMs, levelsMs, checksum };
}

const runs = modules.map(() => []);
for (let r = 0; r < 11; r += 1) modules.forEach((m, i) => runs[i].push(run(m))); // 2 warm-ups
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
files.forEach((f, i) => {
  const timed = runs[i].slice(2);
  const copy = median(timed.map((x) => x.copyMs));
  const levels = median(timed.map((x) => x.levelsMs));
  console.log(`${f}: max_side copy ${copy.toFixed(1)} ms, pyramid ${levels.toFixed(1)} ms, checksum ${timed[0].checksum}`);
});
