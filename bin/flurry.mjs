#!/usr/bin/env node
// The `flurry` command: a launcher for the CLI bundle that `npm ci` builds (tools/build.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/flurry.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('flurry: the CLI is not built yet; run `npm ci` (or `npm run build`) in the repository first\n');
  process.exit(2);
}
await import(pathToFileURL(bundle).href);
