// Regenerates committed artifacts (CRD YAML, API reference) from their TypeScript sources.
//   node scripts/generate.mjs          write them
//   node scripts/generate.mjs --check  fail when a committed file differs from what would be written
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');
// Each generator is a module under tools/generators/ exporting run({ check }) -> list of stale paths.
const dir = join(root, 'tools', 'generators');
const generators = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts')) : [];
let stale = 0;
for (const g of generators) {
  const r = spawnSync(
    process.execPath,
    ['--conditions=@opsmith/source', join(dir, g), ...(check ? ['--check'] : [])],
    {
      cwd: root,
      stdio: 'inherit',
      execArgv: [],
    },
  );
  if (r.status !== 0) stale++;
}
if (check && stale) {
  console.error('generated files are stale: run `node scripts/generate.mjs` and commit the result');
}
process.exit(stale ? 1 : 0);
