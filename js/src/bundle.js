// Reading a facepack bundle: its manifest, its files (checked against their sha256 and size),
// and its graph models, loaded from the verified bytes so nothing unchecked is ever run.
// Python counterpart: facepack/manifest.py (schema, version), facepack/bundle.py (file checks) and
// converter/checks.py (model_input: the manifest's input rule).
//
// A bundle is read through a *source*: any object with `read(path) -> Promise<Uint8Array>`.
// `urlSource(base)` reads over HTTP (the browser); `dirSource(dir)` in the Node entry reads a folder.
import * as tf from '@tensorflow/tfjs';

export const SCHEMA = 'facepack-bundle';
export const SUPPORTED_VERSION = 3; // facepack/manifest.py VERSION: 2 added `gate`, 3 each model's `source` (read by Python only)
export const MANIFEST = 'manifest.json';

/**
 * A bundle that cannot be used. `code` says why, for a page that words it in its own language:
 * 'bundle_http' {path, status}, 'bundle_size' {path, bytes, expected}, 'bundle_sha256' {path},
 * 'bundle_schema' {schema}, 'bundle_version' {version, supported} (not a version number),
 * 'bundle_version_newer' and 'bundle_version_older' {version, supported}, 'bundle_field' {field},
 * 'bundle_json' {path}, 'bundle_file_missing' {path}, 'bundle_models_missing' {models}.
 */
export class BundleError extends Error {
  constructor(message, code = 'bundle_file_missing', params = {}) {
    super(message);
    this.name = 'BundleError';
    this.code = code;
    this.params = params;
  }
}

/** A bundle served over HTTP under `base` (e.g. '/bundle/'). */
export function urlSource(base) {
  const root = base.endsWith('/') ? base : `${base}/`;
  return {
    name: root,
    async read(path, { cache } = {}) {
      const response = await fetch(root + path, cache ? { cache } : undefined);
      if (!response.ok) throw new BundleError(`${path}: HTTP ${response.status}`, 'bundle_http', { path, status: response.status });
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}

/** Check a parsed manifest's schema and version (Python: facepack.bundle.validate). */
export function checkManifest(manifest) {
  if (!manifest || typeof manifest !== 'object') throw new BundleError(`${MANIFEST}: not a JSON object`, 'bundle_json', { path: MANIFEST });
  if (manifest.schema !== SCHEMA) {
    throw new BundleError(`${MANIFEST}: schema ${manifest.schema} is not ${SCHEMA}`, 'bundle_schema', { schema: manifest.schema });
  }
  const { version } = manifest;
  const versions = { version, supported: SUPPORTED_VERSION };
  if (!Number.isInteger(version)) {
    throw new BundleError(`${MANIFEST}: version ${JSON.stringify(version)} is not a number`, 'bundle_version', versions);
  }
  if (version > SUPPORTED_VERSION) {
    const message = `${MANIFEST}: version ${version} is newer than this facepack reads (${SUPPORTED_VERSION}): update facepack, or export the bundle with this one`;
    throw new BundleError(message, 'bundle_version_newer', versions);
  }
  if (version < SUPPORTED_VERSION) {
    const message = `${MANIFEST}: version ${version} is older than this facepack reads (${SUPPORTED_VERSION}): export the bundle again with python -m converter export`;
    throw new BundleError(message, 'bundle_version_older', versions);
  }
  for (const field of ['models', 'files', 'checks']) {
    if (!(field in manifest)) throw new BundleError(`${MANIFEST}: missing field ${field}`, 'bundle_field', { field });
  }
  return manifest;
}

/** Read and check manifest.json from `source`. */
export async function loadManifest(source) {
  const bytes = await source.read(MANIFEST, { cache: 'no-cache' });
  let manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new BundleError(`${MANIFEST} is not readable JSON (${err.message})`, 'bundle_json', { path: MANIFEST });
  }
  return checkManifest(manifest);
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Read every file the manifest lists and check its size and sha256.
 * @returns {Promise<Map<string, Uint8Array>>} path -> bytes
 * @throws {BundleError} naming the first file that is missing or does not match
 */
export async function fetchVerified(source, manifest, onProgress = () => {}) {
  const files = new Map();
  let done = 0;
  let failed = false; // after the first bad file, the reads still running report nothing
  await Promise.all(
    manifest.files.map(async (entry) => {
      try {
        const bytes = await source.read(entry.path);
        if (bytes.byteLength !== entry.bytes) {
          throw new BundleError(`${entry.path} has ${bytes.byteLength} bytes, the manifest says ${entry.bytes}`, 'bundle_size', {
            path: entry.path,
            bytes: bytes.byteLength,
            expected: entry.bytes,
          });
        }
        if (hex(await crypto.subtle.digest('SHA-256', bytes)) !== entry.sha256) {
          throw new BundleError(`${entry.path} does not match its sha256 in the manifest`, 'bundle_sha256', { path: entry.path });
        }
        files.set(entry.path, bytes);
        done += 1;
        if (!failed) onProgress(done, manifest.files.length);
      } catch (err) {
        failed = true;
        throw err instanceof BundleError
          ? err
          : new BundleError(`${entry.path}: ${err.message}`, 'bundle_file_missing', { path: entry.path });
      }
    }),
  );
  return files;
}

/**
 * TF.js ModelArtifacts for a graph model from its model.json and shard bytes. Plain JS, no tf:
 * pass the result to tf.loadGraphModel({load}). The converter's Node runner uses it too.
 * @param {object} json the parsed model.json
 * @param {(shardPath: string) => Uint8Array} readShard bytes of a shard named in weightsManifest
 */
export function graphArtifacts(json, readShard) {
  const weightSpecs = [];
  const shards = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const shard of group.paths) shards.push(readShard(shard));
  }
  const weightData = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let offset = 0;
  for (const s of shards) {
    weightData.set(s, offset);
    offset += s.byteLength;
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    modelInitializer: json.modelInitializer,
    weightSpecs,
    weightData: weightData.buffer,
  };
}

function dirname(path) {
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
}

/** Load one graph model (manifest.models[name]) from verified bytes. */
export async function loadModel(entry, files) {
  const json = JSON.parse(new TextDecoder().decode(files.get(entry.path)));
  const artifacts = graphArtifacts(json, (shard) => {
    const bytes = files.get(dirname(entry.path) + shard);
    if (!bytes)
      throw new BundleError(`${dirname(entry.path) + shard} is not in the bundle`, 'bundle_file_missing', {
        path: dirname(entry.path) + shard,
      });
    return bytes;
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
    if (input.normalization !== 'in_graph') throw new BundleError(`input.normalization ${input.normalization} is not supported`);
    return x;
  });
}

/** Run a model; returns {output name: tensor}, fetched by graph node, never by position. */
export function runModel(model, entry, x) {
  let tensors = model.execute(
    x,
    entry.outputs.map((name) => entry.output_nodes[name]),
  );
  if (!Array.isArray(tensors)) tensors = [tensors];
  return Object.fromEntries(entry.outputs.map((name, i) => [name, tensors[i]]));
}
