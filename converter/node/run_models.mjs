// Run TF.js graph models from disk on the tfjs cpu and wasm backends; the converter's check.
//
// usage: node run_models.mjs JOB.json
// JOB = {
//   "backends": ["cpu", "wasm"],
//   "cases": [{"id": "scorer-0", "model_json": "/abs/scorer/model.json",
//              "input": "/abs/in.f32", "shape": [4, 150, 150, 3],
//              "outputs": ["probabilities"], "output_nodes": ["Identity:0"],
//              "out_prefix": "/abs/out/scorer-0"}]
// }
// Inputs and outputs are little-endian float32 files. For each backend and case this writes
// OUT_PREFIX.BACKEND.OUTPUT.f32 and prints one JSON line per case:
//   {"backend", "id", "ok", "shapes": {output: shape}, "ms", "error"}
// A model that fails to load or run on a backend reports ok=false with the error; the script
// itself exits non-zero only when the job cannot be read or a backend cannot start.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// The facepack JS package (js/) builds a model from its files the same way in the browser.
import { graphArtifacts } from 'facepack';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');

// The TF.js banner suggesting tfjs-node goes to stdout; our stdout is JSON lines only.
const log = console.log;
console.log = (...args) => process.stderr.write(`${args.join(' ')}\n`);

function readModel(modelJson) {
  // An IOHandler reading model.json and its shards from disk (tfjs-node's file:// is not here).
  const dir = path.dirname(modelJson);
  const json = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const artifacts = graphArtifacts(json, (shard) => new Uint8Array(fs.readFileSync(path.join(dir, shard))));
  return { load: async () => artifacts };
}

function readF32(file, shape) {
  const buf = fs.readFileSync(file);
  const values = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return tf.tensor(values, shape, 'float32');
}

async function runCase(c, backend) {
  const model = await tf.loadGraphModel(readModel(c.model_json));
  const x = readF32(c.input, c.shape);
  try {
    const start = performance.now();
    // Ask for outputs by graph node (manifest `output_nodes`), never by position.
    let tensors = model.execute(x, c.output_nodes);
    if (tensors instanceof tf.Tensor) tensors = [tensors];
    const out = Object.fromEntries(c.outputs.map((name, i) => [name, tensors[i]]));
    const shapes = {};
    for (const name of c.outputs) {
      if (!(name in out)) throw new Error(`model has no output named ${name}`);
      const data = await out[name].data();
      shapes[name] = out[name].shape;
      fs.writeFileSync(`${c.out_prefix}.${backend}.${name}.f32`, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
    const ms = performance.now() - start;
    Object.values(out).forEach((t) => t.dispose());
    return { ok: true, shapes, ms };
  } finally {
    x.dispose();
    model.dispose();
  }
}

async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  wasm.setWasmPaths(`${wasmDir}/`);
  for (const backend of job.backends) {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to start`);
    await tf.ready();
    for (const c of job.cases) {
      let result;
      try {
        result = await runCase(c, backend);
      } catch (err) {
        result = { ok: false, error: String(err && err.message ? err.message : err) };
      }
      log(JSON.stringify({ backend, id: c.id, ...result }));
    }
  }
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
