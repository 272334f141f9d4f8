// Plays the kubelet for an API-only kube-sandbox: every member Pod the operator creates becomes a
// real local etcd process (its PVC a data directory that survives the pod), the pod's status is
// set Running/Ready, and a deleted pod's process is killed. Peer and client URLs are loopback ports
// assigned per member name; the operator is pointed at them through its naming/endpoints hooks.
// It also checks the create ordering: a pod joining an existing cluster must already be a member.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient, KubeObject } from '@opsmith/k8s-runtime';
import type { Observed, PeerNaming } from '../../src/cluster/decide.ts';
import { EtcdClient } from '../../src/etcd/client.ts';
import { ETCD_BIN, freePort, requireEtcd } from './local-etcd.ts';

interface PodObject extends KubeObject {
  spec?: { containers?: { name: string; image?: string; args?: string[] }[] };
}

interface Running {
  uid: string;
  proc: ChildProcess;
  log: string[];
}

export class FakeKubelet {
  readonly dir = mkdtempSync(join(tmpdir(), 'etcd-kubelet-'));
  readonly ports = new Map<string, { client: number; peer: number }>();
  readonly running = new Map<string, Running>();
  /** Ordering violations seen (a joining pod whose member etcd did not list yet). */
  readonly violations: string[] = [];
  /** Pods started, in order, with their initial-cluster-state. */
  readonly started: { name: string; state: string; image: string }[] = [];
  readonly #kube: KubeClient;
  readonly #namespace: string;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #stopped = false;

  constructor(kube: KubeClient, namespace: string) {
    requireEtcd();
    this.#kube = kube;
    this.#namespace = namespace;
  }

  /** Reserves loopback ports for the first `n` ordinals of `cluster`. */
  async reserve(cluster: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      this.ports.set(`${cluster}-${i}`, { client: await freePort(), peer: await freePort() });
    }
  }

  #portsOf(name: string): { client: number; peer: number } {
    const p = this.ports.get(name);
    if (!p) throw new Error(`no reserved ports for ${name}`);
    return p;
  }

  naming(): PeerNaming {
    return {
      peerURL: (_o: Observed, name: string) => `http://127.0.0.1:${this.#portsOf(name).peer}`,
      memberName: (_o: Observed, url: string) =>
        [...this.ports].find(([, p]) => url === `http://127.0.0.1:${p.peer}`)?.[0],
    };
  }

  endpoints(names: string[]): string[] {
    return names
      .filter((n) => this.ports.has(n))
      .map((n) => `http://127.0.0.1:${this.#portsOf(n).client}`);
  }

  start(): void {
    this.#timer = setInterval(() => void this.#sync(), 150);
  }

  async #sync(): Promise<void> {
    if (this.#busy || this.#stopped) return;
    this.#busy = true;
    try {
      const pods = (
        await this.#kube.list<PodObject>(
          { apiVersion: 'v1', kind: 'Pod' },
          {
            namespace: this.#namespace,
          },
        )
      ).items;
      // A pod gone, terminating or replaced by a new one of the same name (another uid): kill.
      const live = new Map(
        pods
          .filter((p) => !p.metadata?.deletionTimestamp)
          .map((p) => [p.metadata?.name ?? '', p.metadata?.uid ?? '']),
      );
      for (const [name, r] of this.running) {
        if (live.get(name) !== r.uid) {
          await killAndWait(r.proc);
          this.running.delete(name);
        }
      }
      for (const pod of pods) {
        const name = pod.metadata?.name ?? '';
        // Pods of clusters this kubelet has no ports for belong to another test.
        if (this.running.has(name) || pod.metadata?.deletionTimestamp || !this.ports.has(name))
          continue;
        await this.#startPod(pod);
      }
    } catch {
      // the sandbox may be stopping; the next tick retries
    } finally {
      this.#busy = false;
    }
  }

  async #startPod(pod: PodObject): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const args = pod.spec?.containers?.find((c) => c.name === 'etcd')?.args ?? [];
    const flag = (f: string) => args.find((a) => a.startsWith(`--${f}=`))?.slice(f.length + 3);
    const state = flag('initial-cluster-state') ?? 'new';
    const initialCluster = flag('initial-cluster') ?? '';
    const p = this.#portsOf(name);
    const dataDir = join(this.dir, `${name}-data`);
    // A first start that joins an existing cluster must find itself in the member list (a
    // restart on existing data needs no check: etcd ignores the initial flags then).
    if (state === 'existing' && !existsSync(join(dataDir, 'data'))) {
      const others = this.endpoints([...this.running.keys()]);
      const client =
        others.length > 0 ? new EtcdClient({ endpoints: others, timeoutMs: 2000 }) : undefined;
      try {
        if (!client) throw new Error('no running member to join');
        const members = await client.listMembers();
        const peer = `http://127.0.0.1:${p.peer}`;
        if (!members.some((m) => m.peerURLs.includes(peer))) {
          this.violations.push(`${name}: pod created before MemberAdd`);
        }
      } catch (err) {
        this.violations.push(`${name}: could not check membership: ${String(err)}`);
      } finally {
        client?.close();
      }
    }
    mkdirSync(dataDir, { recursive: true });
    const proc = spawn(
      ETCD_BIN,
      [
        `--name=${name}`,
        `--data-dir=${join(dataDir, 'data')}`,
        `--listen-client-urls=http://127.0.0.1:${p.client}`,
        `--advertise-client-urls=http://127.0.0.1:${p.client}`,
        `--listen-peer-urls=http://127.0.0.1:${p.peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${p.peer}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-state=${state}`,
        `--initial-cluster-token=${flag('initial-cluster-token') ?? 'test'}`,
        '--snapshot-count=10000',
        '--quota-backend-bytes=104857600',
        '--logger=zap',
        '--log-outputs=stderr',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const log: string[] = [];
    proc.stderr?.on('data', (d: Buffer) => {
      log.push(d.toString());
      if (log.length > 100) log.shift();
    });
    this.running.set(name, { uid: pod.metadata?.uid ?? '', proc, log });
    const image = pod.spec?.containers?.find((c) => c.name === 'etcd')?.image ?? '';
    this.started.push({ name, state, image });
    await this.#kube.patch(
      { apiVersion: 'v1', kind: 'Pod' },
      name,
      this.#namespace,
      'merge',
      {
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      },
      { subresource: 'status' },
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await Promise.all([...this.running.values()].map((r) => killAndWait(r.proc)));
    this.running.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function killAndWait(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}
