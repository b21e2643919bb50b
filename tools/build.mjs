// build.mjs - bundles the programs that run as their own processes (CLI, node agent) into dist/ with esbuild.
// Runs on `npm ci` (the `prepare` script) and before the tests, so `bin/flurry.mjs` always has a bundle to load.
import { build } from 'esbuild';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entries = {
  flurry: 'client/cli/main.ts',
};

const missing = Object.values(entries).filter((e) => !existsSync(root + e));
if (missing.length) {
  console.error(`build: missing entry points: ${missing.join(', ')}`);
  process.exit(1);
}

// Chunk names carry content hashes: start from an empty dist/ so old chunks do not pile up.
rmSync(join(root, 'dist'), { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: entries,
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // Commands import their heavy parts (control plane, AWS SDK) lazily; splitting keeps `flurry run` quick to start.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __flurryCreateRequire } from 'node:module'; const require = __flurryCreateRequire(import.meta.url);" },
});
