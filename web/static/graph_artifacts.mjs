// Build TF.js ModelArtifacts for a graph model from its model.json and shard bytes.
// One implementation for both runtimes that load bundles: the browser (web/static/bundle.js,
// from sha256-verified bytes) and the converter's Node check (converter/node/run_models.mjs,
// from disk). Plain JS, no tf import: pass the result to tf.loadGraphModel({load}).

/**
 * @param {object} json the parsed model.json
 * @param {(shardPath: string) => Uint8Array} readShard bytes of a shard named in weightsManifest
 * @returns {object} ModelArtifacts
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
  for (const s of shards) { weightData.set(s, offset); offset += s.byteLength; }
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
