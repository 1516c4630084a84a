// The JS package's manifest readers on changed copies of a manifest: node check_manifest.mjs JOB.json,
// JOB = {manifest, refusals: [{field, value | delete}]} (tests/data/manifest_refusals.json).
// Prints one JSON list: for each change, the error the readers threw ({name, message}) or null.
import fs from 'node:fs';

import { checkManifest } from '../../js/src/bundle.js';
import { checkSettings } from '../../js/src/settings.js';

const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function changed(manifest, { field, value, delete: remove }) {
  const copy = structuredClone(manifest);
  const path = field.split('.');
  const parent = path.slice(0, -1).reduce((node, key) => node[key], copy);
  if (remove) delete parent[path.at(-1)];
  else parent[path.at(-1)] = value;
  return copy;
}

const errors = job.refusals.map((refusal) => {
  try {
    const manifest = checkManifest(changed(job.manifest, refusal));
    checkSettings(manifest);
    return null;
  } catch (err) {
    return { name: err.name, message: err.message };
  }
});
process.stdout.write(`${JSON.stringify(errors)}\n`);
