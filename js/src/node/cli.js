// `facepack analyze`: the whole pipeline on photo files in Node, with the TF.js wasm or cpu backend.
// Python counterpart: `python -m facepack analyze` (the same JSON records).
// `facepack copy-wasm DIR`: the installed tfjs-backend-wasm's .wasm files into DIR, for a bundled
// web app to serve (its `wasmPaths`).
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { errorRecord, photoRecord, resultsCsv, summary } from '../results.js';
import { WASM_FILES } from '../wasm_paths.js';
import { wasmDir } from './bundle_dir.js';
import { Facepack } from './index.js';
import { readPhoto } from './photo.js';

const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

const HELP = `usage: facepack analyze PHOTO_OR_FOLDER... --bundle DIR [--backend wasm|cpu] [--json] [--csv FILE]
                        [--min-confidence P] [--min-refined-confidence P]
       facepack copy-wasm DIR

Find every face in each photo and give its box, 5 landmarks, detector confidence, beauty score
(0-100, the expected value of the scorer's 101 classes) and emotion, using a facepack bundle
(made by \`python -m converter export\`). Everything runs here, in Node, with TF.js.
Folders are searched for .jpg, .jpeg, .png and .webp files, recursively. A face below the
bundle's gate may not be a face: it is listed, not scored (score and emotion null).

options:
  --bundle DIR      the bundle folder (default: bundle)
  --backend NAME    wasm (default) or cpu
  --json            print one JSON list on stdout: {photo, width, height, faces: [...]} per photo,
                    or {photo, error} for one that cannot be read; progress goes to stderr
  --csv FILE        write one row per face to FILE (the columns of the bundle's manifest,
                    results.csv; a photo without faces or unreadable has one row), the same text
                    as \`python -m facepack analyze --csv\` and the page's CSV download; FILE is
                    replaced only once every photo is done
  --min-confidence P, --min-refined-confidence P
                    the gate: score only faces whose cascade confidence and refined confidence
                    (ONet again on the face's own square) reach these, 0-1 (default: the
                    bundle's gate); below either, a face is listed but not scored
  -h, --help        this text

exit status: 0 every photo analysed; 1 some photos could not be read (named, and skipped);
             2 bad arguments, an unusable bundle, or a --csv FILE that cannot be written

copy-wasm copies the three .wasm files of the @tensorflow/tfjs-backend-wasm this package imports
into DIR (made if missing), for a web app built with a bundler to serve. Pass the URL that DIR
is served at as wasmPaths: Facepack.load('/bundle/', { wasmPaths: '/wasm/' }).

examples:
  npx facepack analyze photos/ --bundle bundle --json > results.json
  npx facepack analyze photos/ --bundle bundle --csv results.csv
  npx facepack copy-wasm dist/wasm`;

/** Copy the installed tfjs-backend-wasm's .wasm files into `dir`: the version copied. */
export async function copyWasm(dir) {
  const from = wasmDir();
  await fs.mkdir(dir, { recursive: true });
  for (const name of WASM_FILES) await fs.copyFile(path.join(from, name), path.join(dir, name));
  return JSON.parse(await fs.readFile(path.join(from, '..', 'package.json'), 'utf8')).version;
}

/** Write `text` to `file` through a temporary file beside it, so `file` is never half-written. */
async function replaceFile(file, text) {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

async function expand(args) {
  const photos = [];
  for (const arg of args) {
    let stat;
    try {
      stat = await fs.stat(arg);
    } catch {
      photos.push(arg); // reported as unreadable, in its place
      continue;
    }
    if (!stat.isDirectory()) {
      photos.push(arg);
      continue;
    }
    const entries = await fs.readdir(arg, { recursive: true, withFileTypes: true });
    photos.push(
      ...entries
        .filter((e) => e.isFile() && PHOTO_EXTENSIONS.has(path.extname(e.name).toLowerCase()))
        .map((e) => path.join(e.parentPath ?? e.path, e.name))
        .sort(),
    );
  }
  return photos;
}

export async function main(argv) {
  let options;
  try {
    options = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        bundle: { type: 'string', default: 'bundle' },
        backend: { type: 'string', default: 'wasm' },
        json: { type: 'boolean', default: false },
        csv: { type: 'string' },
        'min-confidence': { type: 'string' },
        'min-refined-confidence': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`facepack: ${err.message}\n\n${HELP}\n`);
    return 2;
  }
  const [command, ...inputs] = options.positionals;
  if (options.values.help || command === undefined) {
    process.stdout.write(`${HELP}\n`);
    return command === undefined && !options.values.help ? 2 : 0;
  }
  if (command === 'copy-wasm') {
    if (inputs.length !== 1) {
      process.stderr.write('facepack: copy-wasm takes one folder, e.g. npx facepack copy-wasm dist/wasm\n');
      return 2;
    }
    const version = await copyWasm(inputs[0]);
    process.stdout.write(`copied ${WASM_FILES.length} .wasm files of @tensorflow/tfjs-backend-wasm ${version} into ${inputs[0]}\n`);
    return 0;
  }
  if (command !== 'analyze') {
    process.stderr.write(`facepack: unknown command ${command} (the commands are analyze and copy-wasm)\n`);
    return 2;
  }
  if (!['wasm', 'cpu'].includes(options.values.backend)) {
    process.stderr.write(`facepack: --backend must be wasm or cpu in Node, not ${options.values.backend}\n`);
    return 2;
  }
  if (inputs.length === 0) {
    process.stderr.write('facepack: name at least one photo or folder\n');
    return 2;
  }
  const gate = {};
  for (const [flag, key] of [
    ['min-confidence', 'min_confidence'],
    ['min-refined-confidence', 'min_refined_confidence'],
  ]) {
    const text = options.values[flag];
    if (text === undefined) continue;
    if (!(text.trim() !== '' && Number(text) >= 0 && Number(text) <= 1)) {
      process.stderr.write(`facepack: --${flag} must be a number from 0 to 1, not ${text}\n`);
      return 2;
    }
    gate[key] = Number(text);
  }
  let fp;
  try {
    fp = await Facepack.load(options.values.bundle, {
      backend: options.values.backend,
      gate,
    });
  } catch (err) {
    process.stderr.write(`facepack: ${err.message}\n`);
    return 2;
  }
  const csvFile = options.values.csv;
  if (csvFile !== undefined) {
    // refused before any photo is analysed, not after (the manifest's results.csv is checked when it loads)
    const folder = path.dirname(path.resolve(csvFile));
    const writable = await fs.access(folder, fs.constants.W_OK).then(
      () => true,
      () => false,
    );
    const problem = !(await fs.stat(folder).catch(() => null))?.isDirectory()
      ? `--csv ${csvFile}: the folder ${folder} does not exist`
      : !writable
        ? `--csv ${csvFile}: the folder ${folder} is not writable`
        : (await fs.stat(csvFile).catch(() => null))?.isDirectory()
          ? `--csv ${csvFile} is a folder; name a file`
          : null;
    if (problem) {
      fp.dispose();
      process.stderr.write(`facepack: ${problem}\n`);
      return 2;
    }
  }
  const photos = await expand(inputs);
  const records = [];
  for (const [i, photo] of photos.entries()) {
    let record;
    try {
      const pixels = await readPhoto(photo, fp.manifest.images);
      record = photoRecord(photo, pixels.width, pixels.height, await fp.analyze(pixels));
    } catch (err) {
      record = errorRecord(photo, err.message);
    }
    records.push(record);
    if (options.values.json) process.stderr.write(`[${i + 1}/${photos.length}] ${photo}${record.error ? ': skipped' : ''}\n`);
    else process.stdout.write(`${summary(record)}\n`);
  }
  const columns = fp.manifest.results.csv;
  fp.dispose();
  if (options.values.json) process.stdout.write(`${JSON.stringify(records)}\n`);
  if (csvFile !== undefined) {
    try {
      await replaceFile(csvFile, resultsCsv(records, columns));
    } catch (err) {
      process.stderr.write(`facepack: --csv ${csvFile} could not be written: ${err.message}\n`);
      return 2;
    }
  }
  const skipped = records.filter((r) => r.error).length;
  if (skipped) process.stderr.write(`facepack: ${skipped} of ${records.length} photos could not be read and were skipped\n`);
  return skipped ? 1 : 0;
}
