// esbuild: main.js -> dist/main.js (one ES module with TF.js and facepack in it), and index.html beside it.
import * as esbuild from 'esbuild';
import fs from 'node:fs';

await esbuild.build({ entryPoints: ['main.js'], bundle: true, format: 'esm', minify: true, outdir: 'dist' });
fs.copyFileSync('index.html', 'dist/index.html');
