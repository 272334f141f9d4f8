#!/usr/bin/env node
// Builds (when stale) and runs the Go chart renderer with the given arguments.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const setup = spawnSync(
  process.execPath,
  [
    '--conditions=@opsmith/source',
    '-e',
    "import('@opsmith/chart-render').then(m => process.stdout.write(m.buildChartRenderer()))",
  ],
  { encoding: 'utf8', cwd: join(import.meta.dirname, '..') },
);
if (setup.status !== 0) {
  process.stderr.write(setup.stderr);
  process.exit(1);
}
const r = spawnSync(setup.stdout, process.argv.slice(2), { stdio: 'inherit' });
process.exit(r.status ?? 1);
