// Real etcd processes on loopback for integration tests: a static n-member cluster on free ports
// in a temp dir, plus members joined later with --initial-cluster-state existing. Everything it
// starts is killed and removed by stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyPairPem } from '../../src/tls/pki.ts';

export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';
export const ETCDCTL_BIN = process.env.ETCDCTL_BIN ?? '/usr/bin/etcdctl';

export function requireEtcd(): void {
  for (const bin of [ETCD_BIN, ETCDCTL_BIN]) {
    if (!existsSync(bin)) {
      throw new Error(
        `${bin} not found: these tests run real etcd (apt-get install etcd-server etcd-client)`,
      );
    }
  }
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface LocalTls {
  ca: KeyPairPem;
  /** One certificate for every member (SANs 127.0.0.1/localhost), serverAuth + clientAuth. */
  member: KeyPairPem;
}

export interface LocalMember {
  name: string;
  clientURL: string;
  peerURL: string;
  dataDir: string;
  process?: ChildProcess;
  log: string[];
}

export class LocalEtcdCluster {
  readonly dir: string;
  readonly token: string;
  readonly members: LocalMember[] = [];
  readonly tls: LocalTls | undefined;
  #tlsDir: string | undefined;

  constructor(tls?: LocalTls) {
    requireEtcd();
    this.dir = mkdtempSync(join(tmpdir(), 'etcd-operator-test-'));
    this.token = `test-${Math.random().toString(36).slice(2, 10)}`;
    this.tls = tls;
    if (tls) {
      this.#tlsDir = join(this.dir, 'tls');
      mkdirSync(this.#tlsDir);
      writeFileSync(join(this.#tlsDir, 'ca.crt'), tls.ca.certPem);
      writeFileSync(join(this.#tlsDir, 'member.crt'), tls.member.certPem);
      writeFileSync(join(this.#tlsDir, 'member.key'), tls.member.keyPem, { mode: 0o600 });
    }
  }

  get scheme(): string {
    return this.tls ? 'https' : 'http';
  }

  get clientURLs(): string[] {
    return this.members.map((m) => m.clientURL);
  }

  async #newMember(name: string): Promise<LocalMember> {
    const [c, p] = [await freePort(), await freePort()];
    const m: LocalMember = {
      name,
      clientURL: `${this.scheme}://127.0.0.1:${c}`,
      peerURL: `${this.scheme}://127.0.0.1:${p}`,
      dataDir: join(this.dir, name),
      log: [],
    };
    return m;
  }

  /** Prepares a member (ports, dir) without starting it: its peer URL goes to MemberAdd first. */
  async planMember(name: string): Promise<LocalMember> {
    const m = await this.#newMember(name);
    this.members.push(m);
    return m;
  }

  #tlsFlags(): string[] {
    if (!this.#tlsDir) return [];
    const d = this.#tlsDir;
    return [
      `--cert-file=${join(d, 'member.crt')}`,
      `--key-file=${join(d, 'member.key')}`,
      `--trusted-ca-file=${join(d, 'ca.crt')}`,
      '--client-cert-auth',
      `--peer-cert-file=${join(d, 'member.crt')}`,
      `--peer-key-file=${join(d, 'member.key')}`,
      `--peer-trusted-ca-file=${join(d, 'ca.crt')}`,
      '--peer-client-cert-auth',
    ];
  }

  /** Starts a member's process with the given initial cluster and state. */
  start(m: LocalMember, initialCluster: string, state: 'new' | 'existing'): void {
    const args = [
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--listen-client-urls=${m.clientURL}`,
      `--advertise-client-urls=${m.clientURL}`,
      `--listen-peer-urls=${m.peerURL}`,
      `--initial-advertise-peer-urls=${m.peerURL}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-state=${state}`,
      `--initial-cluster-token=${this.token}`,
      // Small WAL/snapshot settings keep a test cluster's disk and memory use low.
      '--snapshot-count=10000',
      '--quota-backend-bytes=104857600',
      '--logger=zap',
      '--log-outputs=stderr',
      ...this.#tlsFlags(),
    ];
    const proc = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (d: Buffer) => {
      m.log.push(d.toString());
      if (m.log.length > 200) m.log.shift();
    });
    m.process = proc;
  }

  /** Starts `n` members as a static cluster (initial-cluster-state new). */
  async startStatic(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.planMember(`m${i}`);
    const initial = this.members.map((m) => `${m.name}=${m.peerURL}`).join(',');
    for (const m of this.members) this.start(m, initial, 'new');
  }

  /** Starts a member already added with MemberAdd, as etcd's docs describe. */
  startJoining(m: LocalMember, existing: { name: string; peerURL: string }[]): void {
    const initial = [...existing, m].map((x) => `${x.name}=${x.peerURL}`).join(',');
    this.start(m, initial, 'existing');
  }

  async kill(m: LocalMember): Promise<void> {
    const p = m.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
    m.process = undefined;
  }

  forget(m: LocalMember): void {
    const i = this.members.indexOf(m);
    if (i >= 0) this.members.splice(i, 1);
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Seeds a one-member cluster from a snapshot file with `etcdctl snapshot restore` (what the
   * operator's restore init container does) and starts it; fails with etcdctl's stderr.
   */
  async startFromSnapshot(file: string, name = 'r0'): Promise<LocalMember> {
    const m = await this.planMember(name);
    const r = this.etcdctl([
      'snapshot',
      'restore',
      file,
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--initial-cluster=${m.name}=${m.peerURL}`,
      `--initial-advertise-peer-urls=${m.peerURL}`,
      `--initial-cluster-token=${this.token}`,
    ]);
    if (r.status !== 0) throw new Error(`etcdctl snapshot restore failed: ${r.stderr}`);
    this.start(m, `${m.name}=${m.peerURL}`, 'new');
    return m;
  }

  /** Runs etcdctl synchronously (short commands only). */
  etcdctl(
    args: string[],
    env: Record<string, string> = {},
  ): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(ETCDCTL_BIN, args, {
      env: { ...process.env, ETCDCTL_API: '3', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }
}

/** Polls `fn` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
