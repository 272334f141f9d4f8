// `npm test`: every check and every test in the workspace, closing with one line
// "N passed, N failed" summed over all of them. Each static check counts as one test.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('-')); // optional project names
let passed = 0;
let failed = 0;
const failures = [];

function run(cmd, cmdArgs, env = {}) {
  const r = spawnSync(cmd, cmdArgs, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', ...env },
  });
  return r.status === 0;
}

function check(name, cmd, cmdArgs) {
  console.log(`\n=== ${name}: ${cmd} ${cmdArgs.join(' ')}`);
  if (run(cmd, cmdArgs)) passed++;
  else {
    failed++;
    failures.push(name);
  }
}

function projectsWithTarget(target) {
  const r = spawnSync('nx', ['show', 'projects', '--withTarget', target, '--json'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (r.status !== 0) throw new Error(`nx show projects failed: ${r.stderr}`);
  const all = JSON.parse(r.stdout);
  return only.length ? all.filter((p) => only.includes(p) || only.includes(p.split('/')[1])) : all;
}

function projectRoot(project) {
  const r = spawnSync('nx', ['show', 'project', project, '--json'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  return JSON.parse(r.stdout).root;
}

check('system tools', 'sh', ['scripts/ensure-tools']);
check('generated files up to date', 'node', ['scripts/generate.mjs', '--check']);
check('format', 'prettier', ['--check', '--log-level', 'warn', '.']);
check('nx sync', 'nx', ['sync:check']);
const projects = projectsWithTarget('test');
check('lint, typecheck and build', 'nx', [
  'run-many',
  '-t',
  'lint',
  'typecheck',
  'build',
  '--outputStyle=static',
  ...(only.length ? ['-p', ...projects] : []),
]);

// Tests: one vitest run per project through nx; each writes test-output/report.json.
const roots = new Map(projects.map((p) => [p, projectRoot(p)]));
for (const dir of roots.values())
  rmSync(join(root, dir, 'test-output'), { recursive: true, force: true });
console.log(`\n=== tests: ${projects.join(', ')}`);
run(
  'nx',
  ['run-many', '-t', 'test', '--outputStyle=static', '--skip-nx-cache', '-p', ...projects],
  {
    OPSMITH_TEST_REPORT: '1',
    CI: process.env.CI ?? 'true',
  },
);
for (const [project, dir] of roots) {
  const report = join(root, dir, 'test-output', 'report.json');
  if (!existsSync(report)) {
    failed++;
    failures.push(`${project}: no test report (the test run crashed)`);
    continue;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A file that fails to load counts as a failure even though it holds no test results.
  const brokenFiles = r.testResults.filter(
    (f) => f.status === 'failed' && f.assertionResults.length === 0,
  );
  failed += brokenFiles.length;
  if (r.numFailedTests > 0 || brokenFiles.length > 0) failures.push(project);
  if (r.numTotalTests === 0) {
    failed++;
    failures.push(`${project}: ran no test`);
  }
  const skipped = r.numPendingTests + r.numTodoTests;
  if (skipped > 0) {
    failed += skipped;
    failures.push(`${project}: ${skipped} skipped test(s) (skips are defects here)`);
  }
}

if (failures.length) console.log(`\nFailed: ${failures.join('; ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
