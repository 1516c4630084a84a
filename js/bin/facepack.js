#!/usr/bin/env node
// The facepack command line (`npx facepack analyze ...`); the work is in src/node/cli.js.
import { main } from '../src/node/cli.js';

// TF.js prints a banner suggesting tfjs-node, which cannot install everywhere; our stdout is
// for results only, so console.log goes to stderr.
console.log = (...args) => process.stderr.write(`${args.join(' ')}\n`);
process.exitCode = await main(process.argv.slice(2));
