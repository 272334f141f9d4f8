// decide() driving REAL etcd processes: a tiny act loop where a "pod" is a local etcd process and
// a "PVC" is its data directory. Peer URLs are loopback ports instead of DNS names (PeerNaming),
// everything else is what the reconciler will do. Every pass starts from a fresh observation, so
// an operator killed between any two passes resumes exactly like this loop does.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../src/etcd/client.ts';
import { EtcdOperationError } from '../src/etcd/errors.ts';
import {
  decide,
  type Action,
  type ClusterStatusView,
  type Observed,
  type PeerNaming,
} from '../src/cluster/decide.ts';
import { observeEtcd, updateUnhealthySince } from '../src/cluster/observe.ts';
import { specView } from '../src/cluster/spec.ts';
import { memberOrdinal } from '../src/cluster/names.ts';
import { LocalEtcdCluster, type LocalMember } from './support/local-etcd.ts';

const CLUSTER = 'c';

class World {
  readonly etcd = new LocalEtcdCluster();
  readonly byName = new Map<string, LocalMember>();
  readonly images = new Map<string, string>();
  status: ClusterStatusView = {};
  unhealthySince: Record<string, number> = {};
  unreachableSince: number | undefined;
  spec = { size: 3, version: '3.4.23', image: 'etcd:a', replaceUnhealthyAfterSeconds: 30 };
  readonly log: string[] = [];

  async plan(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const m = await this.etcd.planMember(`${CLUSTER}-${i}`);
      this.byName.set(m.name, m);
    }
  }

  naming: PeerNaming = {
    peerURL: (_o, name) => this.member(name).peerURL,
    memberName: (_o, url) => [...this.byName.values()].find((m) => m.peerURL === url)?.name,
  };

  member(name: string): LocalMember {
    const m = this.byName.get(name);
    if (!m) throw new Error(`no planned ports for ${name}`);
    return m;
  }

  running(): LocalMember[] {
    return [...this.byName.values()].filter((m) => m.process && m.process.exitCode === null);
  }

  client(): EtcdClient | undefined {
    const endpoints = this.running().map((m) => m.clientURL);
    return endpoints.length ? new EtcdClient({ endpoints, timeoutMs: 2000 }) : undefined;
  }

  async observe(): Promise<Observed> {
    const now = Date.now();
    const client = this.client();
    const { view, probes } = client
      ? await observeEtcd(client)
      : { view: { reachable: false as const, error: 'no processes' }, probes: [] };
    client?.close();
    const healthyByName = new Map<string, boolean>();
    for (const p of probes) {
      const name = this.naming.memberName({} as Observed, p.member.peerURLs[0] ?? '');
      if (name) healthyByName.set(name, Boolean(p.health?.healthy));
    }
    if (view.reachable) {
      this.unreachableSince = undefined;
      const names = view.members
        .map((m) => this.naming.memberName({} as Observed, m.peerURLs[0] ?? ''))
        .filter((n): n is string => n !== undefined);
      const ordinals = names.map((n) => memberOrdinal(CLUSTER, n) ?? 0);
      this.status = {
        clusterId: 'local',
        lastMembers: names,
        nextOrdinal: Math.max(this.status.nextOrdinal ?? 0, ...ordinals.map((x) => x + 1)),
        currentVersion: '3.4.23',
      };
      this.unhealthySince = updateUnhealthySince(
        this.unhealthySince,
        names.map((n) => ({ name: n, healthy: healthyByName.get(n) ?? false })),
        now,
      );
    } else {
      this.unreachableSince ??= now;
    }
    return {
      cluster: CLUSTER,
      namespace: 'ns',
      spec: specView(this.spec, { quorumLossAfterMs: 60_000 }),
      status: this.status,
      etcd: view,
      pods: this.running().map((m) => ({
        name: m.name,
        phase: 'Running' as const,
        ready: healthyByName.get(m.name) ?? false,
        terminating: false,
        image: this.images.get(m.name) ?? '',
        specHash: specView(this.spec).podSpecHash,
      })),
      pvcs: [...this.byName.values()]
        .filter((m) => existsSync(m.dataDir))
        .map((m) => ({ name: `${m.name}-data`, terminating: false })),
      now,
      unhealthySince: this.unhealthySince,
      ...(this.unreachableSince !== undefined ? { unreachableSince: this.unreachableSince } : {}),
      backupAvailable: false,
    };
  }

  async act(a: Action, podImage: string): Promise<void> {
    this.log.push(
      a.type === 'removeMember' ||
        a.type === 'addLearner' ||
        a.type === 'createPod' ||
        a.type === 'upgradeMember'
        ? `${a.type}:${a.member.name}`
        : a.type === 'moveLeader'
          ? `moveLeader:${a.from.name}->${a.to.name}`
          : a.type,
    );
    const client = this.client();
    try {
      switch (a.type) {
        case 'seed': {
          const m = this.member(a.member.name);
          mkdirSync(m.dataDir, { recursive: true });
          this.images.set(m.name, podImage);
          this.etcd.start(m, `${m.name}=${m.peerURL}`, 'new');
          return;
        }
        case 'addLearner':
          await client!.addLearner([a.peerURL]);
          return;
        case 'createPod': {
          const m = this.member(a.member.name);
          const members = client ? await client.listMembers().catch(() => []) : [];
          const initial = members
            .map((x) => ({
              name: this.naming.memberName({} as Observed, x.peerURLs[0] ?? ''),
              peerURL: x.peerURLs[0] ?? '',
            }))
            .filter((x): x is { name: string; peerURL: string } => x.name !== undefined);
          if (!initial.some((x) => x.name === m.name))
            initial.push({ name: m.name, peerURL: m.peerURL });
          mkdirSync(m.dataDir, { recursive: true });
          this.images.set(m.name, podImage);
          this.etcd.start(m, initial.map((x) => `${x.name}=${x.peerURL}`).join(','), 'existing');
          return;
        }
        case 'promote':
          await client!.promote(a.memberId);
          return;
        case 'moveLeader':
          await client!.moveLeader(a.toId);
          return;
        case 'removeMember':
          await client!.removeMember(a.memberId);
          return;
        case 'deletePod':
          await this.etcd.kill(this.member(a.pod));
          return;
        case 'upgradeMember':
          await this.etcd.kill(this.member(a.member.name));
          return;
        case 'deletePvc':
          rmSync(this.member(a.pvc.replace(/-data$/, '')).dataDir, {
            recursive: true,
            force: true,
          });
          return;
        case 'wait':
          await new Promise((r) => setTimeout(r, Math.min(a.requeueAfterMs, 300)));
          return;
        default:
          throw new Error(`unexpected action ${JSON.stringify(a)}`);
      }
    } catch (err) {
      // etcd 3.4 refuses membership changes for 5 s after a (re)start: requeue like act will.
      if (
        err instanceof EtcdOperationError &&
        ['Unhealthy', 'Unavailable', 'Timeout', 'NoLeader'].includes(err.kind)
      ) {
        this.log.pop(); // the log lists the steps that happened
        await new Promise((r) => setTimeout(r, 300));
        return;
      }
      throw err;
    } finally {
      client?.close();
    }
  }

  /** Reconciles until Ready (or fails after maxPasses). Returns the action log of this run. */
  async converge(maxPasses = 200): Promise<string[]> {
    const start = this.log.length;
    for (let i = 0; i < maxPasses; i++) {
      const o = await this.observe();
      const d = decide(o, { naming: this.naming });
      if (d.action.type === 'none') return this.log.slice(start);
      if (d.action.type === 'degraded' || d.action.type === 'recoverFromBackup') {
        throw new Error(`unexpected ${JSON.stringify(d.action)}; log: ${this.log.join(' ')}`);
      }
      await this.act(d.action, d.podImage);
    }
    throw new Error(`did not converge: ${this.log.slice(start).join(' ')}`);
  }

  async voters(): Promise<string[]> {
    const c = this.client()!;
    try {
      return (await c.listMembers())
        .filter((m) => !m.isLearner)
        .map((m) => this.naming.memberName({} as Observed, m.peerURLs[0] ?? '')!)
        .sort();
    } finally {
      c.close();
    }
  }
}

describe('decide() on real etcd processes', () => {
  const world = new World();

  beforeAll(async () => {
    await world.plan(8);
  });

  afterAll(async () => {
    await world.etcd.stop();
  });

  it('creates 3 members one at a time (seed, then learner-add before each process)', async () => {
    const log = await world.converge();
    expect(log.slice(0, 1)).toEqual(['seed']);
    expect(log.filter((l) => l.startsWith('addLearner'))).toEqual([
      'addLearner:c-1',
      'addLearner:c-2',
    ]);
    // MemberAdd always precedes the member's process.
    expect(log.indexOf('addLearner:c-1')).toBeLessThan(log.indexOf('createPod:c-1'));
    expect(await world.voters()).toEqual(['c-0', 'c-1', 'c-2']);
    const c = world.client()!;
    try {
      await c.put('k', 'v');
      const rev = (await c.status(world.running()[0].clientURL)).revision;
      const hashes = await Promise.all(world.running().map((m) => c.hashKV(m.clientURL, rev)));
      expect(new Set(hashes.map((h) => h.hash)).size).toBe(1);
    } finally {
      c.close();
    }
  }, 120_000);

  it('converges after an operator crash right after MemberAdd (orphan learner gets its process)', async () => {
    world.spec = { ...world.spec, size: 4 };
    const o = await world.observe();
    const d = decide(o, { naming: world.naming });
    expect(d.action.type).toBe('addLearner');
    // Do the MemberAdd, then "crash": nothing else happens until a fresh operator observes.
    for (;;) {
      await world.act(d.action, d.podImage);
      const c = world.client()!;
      const learners = (await c.listMembers()).filter((m) => m.isLearner);
      c.close();
      if (learners.length) break;
    }
    const log = await world.converge();
    expect(log[0]).toBe('createPod:c-3');
    expect(log.some((l) => l === 'promote')).toBe(true);
    expect(await world.voters()).toEqual(['c-0', 'c-1', 'c-2', 'c-3']);
  }, 120_000);

  it('scales down removing the highest ordinal, handing leadership over first', async () => {
    // Make the member to be removed the leader.
    const c = world.client()!;
    try {
      const members = await c.listMembers();
      const c3 = members.find((m) => m.name === 'c-3')!;
      for (;;) {
        try {
          await c.moveLeader(c3.id);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    } finally {
      c.close();
    }
    world.spec = { ...world.spec, size: 3 };
    const log = await world.converge();
    expect(log[0]).toBe('moveLeader:c-3->c-0');
    expect(log).toContain('removeMember:c-3');
    // A removed member's process exits by itself here; in Kubernetes its pod would restart and
    // be deleted as an orphan. Either way the data goes only after MemberRemove.
    expect(log.indexOf('removeMember:c-3')).toBeLessThan(log.indexOf('deletePvc'));
    expect(await world.voters()).toEqual(['c-0', 'c-1', 'c-2']);
    expect(
      world
        .running()
        .map((m) => m.name)
        .sort(),
    ).toEqual(['c-0', 'c-1', 'c-2']);
  }, 120_000);

  it('replaces a member whose data was wiped with a new ordinal', async () => {
    const victim = world.member('c-1');
    await world.etcd.kill(victim);
    rmSync(victim.dataDir, { recursive: true, force: true });
    const log = await world.converge();
    expect(log).toContain('removeMember:c-1');
    expect(log).toContain('addLearner:c-4');
    expect(await world.voters()).toEqual(['c-0', 'c-2', 'c-4']);
  }, 120_000);

  it('rolls an image change member by member, the leader last', async () => {
    const c = world.client()!;
    const leader = (await c.findLeader())!;
    const leaderName = world.naming.memberName(
      {} as Observed,
      (await c.listMembers()).find((m) => m.id === leader.memberId)!.peerURLs[0],
    )!;
    c.close();
    world.spec = { ...world.spec, image: 'etcd:b' };
    const log = await world.converge();
    const upgrades = log.filter((l) => l.startsWith('upgradeMember'));
    expect(upgrades).toHaveLength(3);
    expect(upgrades.at(-1)).toBe(`upgradeMember:${leaderName}`);
    const handover = log.findIndex((l) => l.startsWith(`moveLeader:${leaderName}`));
    expect(handover).toBeGreaterThan(-1);
    expect(handover).toBeLessThan(log.indexOf(`upgradeMember:${leaderName}`));
    expect(world.running().every((m) => world.images.get(m.name) === 'etcd:b')).toBe(true);
    expect(await world.voters()).toEqual(['c-0', 'c-2', 'c-4']);
  }, 120_000);
});
