// Read a facepack bundle: its manifest, its files (checked against their sha256 and size),
// and its graph models, loaded from the verified bytes so nothing unchecked is ever run.
// Python counterparts: converter/manifest.py (schema, hashes), converter/checks.py
// (model_input: the manifest's input rule), converter/verify.py (outputs by graph node).
import { graphArtifacts } from './graph_artifacts.mjs';

const tf = globalThis.tf;

export const SCHEMA = 'facepack-bundle';
export const SUPPORTED_VERSION = 1;

export class BundleError extends Error {}

/** Fetch and validate manifest.json under `base` (e.g. '/bundle/'). */
export async function loadManifest(base) {
  const response = await fetch(`${base}manifest.json`, { cache: 'no-cache' });
  if (!response.ok) throw new BundleError(`manifest.json: HTTP ${response.status}`);
  const manifest = await response.json();
  if (manifest.schema !== SCHEMA) throw new BundleError(`manifest.json: schema ${manifest.schema} is not ${SCHEMA}`);
  if (manifest.version !== SUPPORTED_VERSION) {
    throw new BundleError(`manifest.json: version ${manifest.version} is not supported (this page reads ${SUPPORTED_VERSION})`);
  }
  return manifest;
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Fetch every file the manifest lists and check its size and sha256.
 * @returns {Promise<Map<string, ArrayBuffer>>} path -> bytes
 * @throws {BundleError} naming the first file that is missing or does not match
 */
export async function fetchVerified(base, manifest, onProgress = () => {}) {
  const files = new Map();
  let done = 0;
  let failed = false; // after the first bad file, the downloads still running report nothing
  await Promise.all(manifest.files.map(async (entry) => {
    try {
      const response = await fetch(base + entry.path);
      if (!response.ok) throw new BundleError(`${entry.path}: HTTP ${response.status}`);
      const bytes = await response.arrayBuffer();
      if (bytes.byteLength !== entry.bytes) {
        throw new BundleError(`${entry.path} has ${bytes.byteLength} bytes, the manifest says ${entry.bytes}`);
      }
      if (hex(await crypto.subtle.digest('SHA-256', bytes)) !== entry.sha256) {
        throw new BundleError(`${entry.path} does not match its sha256 in the manifest`);
      }
      files.set(entry.path, bytes);
      done += 1;
      if (!failed) onProgress(done, manifest.files.length);
    } catch (err) {
      failed = true;
      throw err;
    }
  }));
  return files;
}

function dirname(path) {
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
}

/** Load one graph model (manifest.models[name]) from verified bytes. */
export async function loadModel(entry, files) {
  const json = JSON.parse(new TextDecoder().decode(files.get(entry.path)));
  const artifacts = graphArtifacts(json, (shard) => {
    const bytes = files.get(dirname(entry.path) + shard);
    if (!bytes) throw new BundleError(`${dirname(entry.path) + shard} is not in the bundle`);
    return new Uint8Array(bytes);
  });
  return tf.loadGraphModel({ load: async () => artifacts });
}

/**
 * The float32 input tensor for uint8 RGB pixels, by the manifest's `input` rule
 * (Python: converter.checks.model_input). Detector nets want (p - offset) / divisor;
 * the scorer and emotion graphs normalise inside and take pixels as they are.
 */
export function modelInput(pixels, shape, input) {
  return tf.tidy(() => {
    const x = tf.tensor(pixels, shape, 'int32').toFloat();
    if (input.normalization === 'outside_graph') return x.sub(input.pixel_offset).div(input.pixel_divisor);
    return x;
  });
}

/** Run a model; returns {output name: tensor}, fetched by graph node, never by position. */
export function runModel(model, entry, x) {
  let tensors = model.execute(x, entry.outputs.map((name) => entry.output_nodes[name]));
  if (!Array.isArray(tensors)) tensors = [tensors];
  return Object.fromEntries(entry.outputs.map((name, i) => [name, tensors[i]]));
}
