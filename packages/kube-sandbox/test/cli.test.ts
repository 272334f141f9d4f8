// The CLI as users run it: `kube-sandbox up` prints exactly one ready line, serves kubectl, and on
// SIGTERM stops cleanly (exit 0) leaving no process, network namespace or link behind.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'bin', 'kube-sandbox.js');
const KUBECTL = '/usr/bin/kubectl';
const READY = /^kube-sandbox ready: kubeconfig=(\S+) server=(https:\/\/\S+)$/;

interface Running {
  child: ChildProcess;
  dir: string;
  stdout: () => string;
  stderr: () => string;
  kubeconfig: string;
  exited: Promise<number | null>;
}

const started: Running[] = [];

afterEach(async () => {
  for (const r of started.splice(0)) {
    if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await r.exited;
    rmSync(r.dir, { recursive: true, force: true });
  }
});

async function up(args: string[]): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'ksbx-cli-'));
  const child = spawn(process.execPath, [BIN, 'up', '--data-dir', dir, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const r: Running = {
    child,
    dir,
    stdout: () => out,
    stderr: () => err,
    kubeconfig: '',
    exited,
  };
  started.push(r);
  const line = await new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const first = out.split('\n')[0] ?? '';
      if (out.includes('\n')) resolve(first);
    };
    child.stdout?.on('data', check);
    void exited.then((code) => reject(new Error(`CLI exited ${code}: ${err}`)));
  });
  const m = READY.exec(line);
  if (!m) throw new Error(`unexpected first line: ${line}\n${err}`);
  r.kubeconfig = m[1] ?? '';
  return r;
}

function kubectl(r: Running, args: string[]): Promise<{ code: number; stdout: string }> {
  if (!existsSync(KUBECTL)) throw new Error(`kubectl not found at ${KUBECTL}`);
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      args,
      { env: { ...process.env, KUBECONFIG: r.kubeconfig, HOME: r.dir }, timeout: 30_000 },
      (e, stdout) => resolve({ code: e ? 1 : 0, stdout: String(stdout) }),
    );
  });
}

describe('kube-sandbox up', () => {
  it('--no-node: one ready line, kubectl works, SIGTERM exits 0', async () => {
    const r = await up(['--no-node']);
    const ns = await kubectl(r, ['get', 'namespaces', '-o', 'name']);
    expect(ns.stdout).toContain('namespace/default');
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(r.stdout().trim().split('\n')).toHaveLength(1);
  }, 60_000);

  it('with the node (root): the Node is Ready, and SIGTERM leaves nothing behind', async () => {
    const r = await up([]);
    const nodes = await kubectl(r, [
      'get',
      'nodes',
      '-o',
      'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}',
    ]);
    expect(nodes.stdout, r.stderr()).toBe('True');
    const state = JSON.parse(readFileSync(join(r.dir, 'node', 'state.json'), 'utf8')) as {
      index: number;
      agentPid?: number;
      processes: Array<{ pid: number }>;
    };
    expect(typeof state.index).toBe('number');
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(r.stdout().trim().split('\n')).toHaveLength(1);
    const links = await new Promise<string>((resolve) =>
      execFile('ip', ['-o', 'link', 'show'], (_e, stdout) => resolve(String(stdout))),
    );
    const netns = await new Promise<string>((resolve) =>
      execFile('ip', ['netns', 'list'], (_e, stdout) => resolve(String(stdout))),
    );
    expect(links).not.toMatch(new RegExp(`ksbx${state.index}[-:@ ]`));
    expect(netns).not.toMatch(new RegExp(`ksbx${state.index}-`));
    for (const pid of [state.agentPid, ...state.processes.map((p) => p.pid)]) {
      if (pid !== undefined)
        expect(existsSync(`/proc/${pid}`), `pid ${pid} still alive`).toBe(false);
    }
    expect(existsSync(join(r.dir, 'node', 'state.json'))).toBe(false);
  }, 90_000);
});
