// etcd processes started directly (no Kubernetes, no operator): the baselines of the etcd
// benchmarks. A static cluster bootstrapped all at once, health over the client URL's /health.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';
export const ETCDCTL_BIN = process.env.ETCDCTL_BIN ?? '/usr/bin/etcdctl';

export function requireEtcd(): void {
  for (const bin of [ETCD_BIN, ETCDCTL_BIN]) {
    if (!existsSync(bin)) {
      throw new Error(
        `${bin} not found: the etcd benchmarks run real etcd (apt-get install etcd-server etcd-client)`,
      );
    }
  }
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True when the member at clientURL answers /health with health "true". */
export async function healthy(clientURL: string): Promise<boolean> {
  try {
    const res = await fetch(`${clientURL}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function etcdctl(
  endpoints: string,
  args: string[],
): Promise<{ ok: boolean; stdout: string }> {
  return await new Promise((resolve) => {
    execFile(
      ETCDCTL_BIN,
      [`--endpoints=${endpoints}`, '--command-timeout=5s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' } },
      (err, stdout) => resolve({ ok: !err, stdout: String(stdout) }),
    );
  });
}

export interface LocalMember {
  name: string;
  clientURL: string;
  peerURL: string;
  dataDir: string;
  /** Flags besides the ones this module sets (names, URLs, data dir, bootstrap). */
  extraArgs: string[];
  proc?: ChildProcess;
}

/** A static n-member cluster on loopback: every member started at once with state "new". */
export class LocalCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'bench-etcd-'));
  readonly members: LocalMember[] = [];

  static async create(n: number, extraArgs: string[] = []): Promise<LocalCluster> {
    requireEtcd();
    const c = new LocalCluster();
    for (let i = 0; i < n; i++) {
      c.members.push({
        name: `m${i}`,
        clientURL: `http://127.0.0.1:${await freePort()}`,
        peerURL: `http://127.0.0.1:${await freePort()}`,
        dataDir: join(c.dir, `m${i}`),
        extraArgs,
      });
    }
    return c;
  }

  get clientURLs(): string[] {
    return this.members.map((m) => m.clientURL);
  }

  start(m: LocalMember): void {
    const initialCluster = this.members.map((x) => `${x.name}=${x.peerURL}`).join(',');
    m.proc = spawn(
      ETCD_BIN,
      [
        ...m.extraArgs,
        `--name=${m.name}`,
        `--data-dir=${m.dataDir}`,
        `--listen-client-urls=${m.clientURL}`,
        `--advertise-client-urls=${m.clientURL}`,
        `--listen-peer-urls=${m.peerURL}`,
        `--initial-advertise-peer-urls=${m.peerURL}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=bench',
      ],
      { stdio: 'ignore' },
    );
  }

  /** Starts member m joining with `state`, listing only the members before it and itself. */
  startJoining(m: LocalMember, upTo: number, state: 'new' | 'existing'): void {
    const initialCluster = this.members
      .slice(0, upTo + 1)
      .map((x) => `${x.name}=${x.peerURL}`)
      .join(',');
    m.proc = spawn(
      ETCD_BIN,
      [
        ...m.extraArgs,
        `--name=${m.name}`,
        `--data-dir=${m.dataDir}`,
        `--listen-client-urls=${m.clientURL}`,
        `--advertise-client-urls=${m.clientURL}`,
        `--listen-peer-urls=${m.peerURL}`,
        `--initial-advertise-peer-urls=${m.peerURL}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-state=${state}`,
        '--initial-cluster-token=bench',
      ],
      { stdio: 'ignore' },
    );
  }

  /**
   * What the operator does, by hand and without Kubernetes: start the first member alone, then
   * for each next one `etcdctl member add --learner`, start it, `etcdctl member promote` (both
   * retried at once while etcd answers "not yet"). etcd's own floor for growing a cluster.
   */
  async growByLearners(timeoutMs = 120_000): Promise<void> {
    const first = this.members[0];
    if (!first) return;
    this.startJoining(first, 0, 'new');
    await waitFor('first member healthy', () => healthy(first.clientURL), timeoutMs);
    for (let i = 1; i < this.members.length; i++) {
      const m = this.members[i];
      const endpoints = this.members
        .slice(0, i)
        .map((x) => x.clientURL)
        .join(',');
      let id = '';
      await waitFor(
        `member add ${m.name}`,
        async () => {
          const r = await etcdctl(endpoints, [
            'member',
            'add',
            m.name,
            `--peer-urls=${m.peerURL}`,
            '--learner',
          ]);
          id = /Member ([0-9a-f]+) added/.exec(r.stdout)?.[1] ?? '';
          if (r.ok && id) return true;
          // Added although the answer was lost (a timeout under load): find it by its peer URL.
          const list = await etcdctl(endpoints, ['member', 'list']);
          const line = list.stdout.split('\n').find((l) => l.includes(m.peerURL));
          id = line?.split(',')[0]?.trim() ?? '';
          return id !== '';
        },
        timeoutMs,
      );
      this.startJoining(m, i, 'existing');
      await waitFor(
        `member promote ${m.name}`,
        async () => (await etcdctl(endpoints, ['member', 'promote', id])).ok,
        timeoutMs,
      );
    }
    await this.waitHealthy(timeoutMs);
  }

  /** A member that does not lead (from `etcdctl endpoint status`: "url, id, version, size, isLeader, ..."). */
  async follower(): Promise<LocalMember> {
    const r = await etcdctl(this.clientURLs.join(','), ['endpoint', 'status']);
    const leaders = r.stdout
      .split('\n')
      .map((l) => l.split(',').map((x) => x.trim()))
      .filter((cols) => cols[4] === 'true')
      .map((cols) => cols[0]);
    const m = this.members.find((x) => !leaders.includes(x.clientURL));
    if (!m || leaders.length !== 1) throw new Error(`no follower found: ${r.stdout}`);
    return m;
  }

  startAll(): void {
    for (const m of this.members) this.start(m);
  }

  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      'every local member healthy',
      async () => (await Promise.all(this.clientURLs.map(healthy))).every(Boolean),
      timeoutMs,
    );
  }

  async kill(m: LocalMember): Promise<void> {
    const p = m.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
