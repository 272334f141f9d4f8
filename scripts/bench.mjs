// `npm run bench`: runs every benchmark in bench/ (each measures its own same-run baseline).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const r = spawnSync('nx', ['run', '@opsmith/bench:bench', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
});
process.exit(r.status ?? 1);
