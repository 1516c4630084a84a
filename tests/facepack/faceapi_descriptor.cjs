// Run face-api.js's own FaceRecognitionNet (tfjs cpu backend) on raw float32 150x150x3 images.
// usage: node faceapi_descriptor.cjs IN.f32 N OUT.f32
// IN holds N images, RGB in [0, 255], NHWC, little-endian float32; OUT gets N x 128 descriptors.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

async function main() {
  const [input, count, output] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const buf = fs.readFileSync(input);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const n = Number(count);
  const per = 150 * 150 * 3;
  const out = new Float32Array(n * 128);
  for (let i = 0; i < n; i += 1) {
    const image = tf.tensor3d(all.subarray(i * per, (i + 1) * per), [150, 150, 3]);
    const descriptor = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(image);
    out.set(descriptor, i * 128);
    image.dispose();
  }
  fs.writeFileSync(output, Buffer.from(out.buffer));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
