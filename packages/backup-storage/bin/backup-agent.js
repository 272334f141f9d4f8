#!/usr/bin/env node
// Runs src/agent.ts with Node's type stripping, so the agent works without a build step.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const agent = fileURLToPath(new URL('../src/agent.ts', import.meta.url));
const child = spawn(
  process.execPath,
  ['--conditions=@opsmith/source', agent, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal === 'SIGKILL' ? 137 : 143);
});
