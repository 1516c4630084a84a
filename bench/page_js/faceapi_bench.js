// The face-api.js bench page (bench/faceapi.py): loads the wasm backend and face-api's four models,
// then offers window.faceapiRun({b64, runs}) -> per run {faces, ms, numTensors}.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as faceapi from '/faceapi/face-api.esm-nobundle.js';

const t0 = performance.now();
setWasmPaths('/vendor/');
await tf.setBackend('wasm');
await tf.ready();
const backend = performance.now() - t0;
const nets = [faceapi.nets.ssdMobilenetv1, faceapi.nets.faceLandmark68Net, faceapi.nets.faceExpressionNet, faceapi.nets.faceRecognitionNet];
await Promise.all(nets.map((net) => net.loadFromUri('/faceapi/model')));
window.faceapiLoad = { backend, total: performance.now() - t0, tfBackend: tf.getBackend() };
window.faceapiRun = async ({ b64, runs }) => {
  const bytes = fromBase64(b64);
  const out = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    const bitmap = await createImageBitmap(new Blob([bytes]), { imageOrientation: 'from-image' });
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d').drawImage(bitmap, 0, 0);
    bitmap.close();
    const faces = await faceapi
      .detectAllFaces(canvas, new faceapi.SsdMobilenetv1Options())
      .withFaceLandmarks()
      .withFaceExpressions()
      .withFaceDescriptors();
    out.push({ faces: faces.length, ms: performance.now() - t, numTensors: tf.memory().numTensors });
  }
  return out;
};
document.getElementById('status').dataset.state = 'ready';
