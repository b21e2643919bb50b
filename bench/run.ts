// run.ts - the bench runner: `npm run bench` runs every bench/*.ts but this one; `npm run bench -- match` runs one.
// Invariant: each bench runs in its own `node --expose-gc --import tsx` process, so one bench's heap and JIT state
// never skew another's; the runner exits non-zero if a bench fails or a name is unknown.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

const asked = process.argv.slice(2).map((a) => a.replace(/^bench\//, '').replace(/\.ts$/, ''));
const unknown = asked.filter((a) => !available.includes(a));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.map((u) => `"${u}"`).join(', ')}; available: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}

let failed = 0;
for (const name of asked.length > 0 ? asked : available) {
  console.log(`\n=== bench/${name}.ts ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, `${name}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench ${name} failed (${r.signal ?? `exit ${r.status}`})`);
    failed++;
  }
}
process.exit(failed > 0 ? 1 : 0);
