import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runBackupAgentCommand } from './agent.ts';

const dir = mkdtempSync(join(tmpdir(), 'agent-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sink() {
  let text = '';
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      text += c.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

describe('backup-agent subcommand', () => {
  it('--unless-exists skips the fetch when the member data is there', async () => {
    const err = sink();
    const code = await runBackupAgentCommand(
      ['--unless-exists', dir, 'fetch', '--location', 's3://nowhere/x', '--backup', 'latest'],
      { env: {}, stdout: sink().stream, stderr: err.stream },
    );
    expect(code).toBe(0);
    expect(err.text()).toContain('nothing to fetch');
  });
  it('otherwise runs the agent: a missing backup is exit 3', async () => {
    const err = sink();
    const code = await runBackupAgentCommand(
      [
        '--unless-exists',
        join(dir, 'absent'),
        'fetch',
        '--location',
        `file://${dir}`,
        '--backup',
        'latest',
        '--output',
        join(dir, 'out.db'),
      ],
      { env: {}, stdout: sink().stream, stderr: err.stream },
    );
    expect(code).toBe(3);
  });
  it('--unless-exists without a path is a usage error', async () => {
    const code = await runBackupAgentCommand(['--unless-exists'], {
      env: {},
      stdout: sink().stream,
      stderr: sink().stream,
    });
    expect(code).toBe(2);
  });
});
