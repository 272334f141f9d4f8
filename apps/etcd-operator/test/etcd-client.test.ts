// The etcd layer against real etcd 3.4 processes on loopback.
import { createWriteStream, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EtcdClient,
  memberIdFromHex,
  memberIdToHex,
  type EndpointStatus,
} from '../src/etcd/client.ts';
import { EtcdOperationError } from '../src/etcd/errors.ts';
import { openSnapshot } from '../src/etcd/snapshot.ts';
import { takeBackup } from '../src/backup/take.ts';
import { observeEtcd } from '../src/cluster/observe.ts';
import { FileStorage, fetchBackupToFile } from '@opsmith/backup-storage';
import { createCa, inspectCertificate, issueCertificate, type KeyPairPem } from '../src/tls/pki.ts';
import { eventually, LocalEtcdCluster } from './support/local-etcd.ts';

async function leaderOf(client: EtcdClient): Promise<EndpointStatus | undefined> {
  return await client.findLeader();
}

describe('EtcdClient on a 3-member cluster', () => {
  let cluster: LocalEtcdCluster;
  let client: EtcdClient;

  beforeAll(async () => {
    cluster = new LocalEtcdCluster();
    await cluster.startStatic(3);
    client = new EtcdClient({ endpoints: cluster.clientURLs, timeoutMs: 3000 });
    await eventually('a leader', () => leaderOf(client));
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('lists members with uint64 ids kept exact as decimal strings', async () => {
    const members = await client.listMembers();
    expect(members.map((m) => m.name).sort()).toEqual(['m0', 'm1', 'm2']);
    for (const m of members) {
      expect(m.id).toMatch(/^[1-9]\d*$/);
      expect(memberIdFromHex(memberIdToHex(m.id))).toBe(m.id);
      expect(m.isLearner).toBe(false);
      expect(m.clientURLs).toHaveLength(1);
    }
    // etcdctl prints the same ids in hex.
    const out = cluster.etcdctl([`--endpoints=${cluster.clientURLs[0]}`, 'member', 'list']);
    expect(out.status).toBe(0);
    for (const m of members) expect(out.stdout).toContain(memberIdToHex(m.id));
  });

  it('reports endpoint status: exactly one leader, agreed on by everyone', async () => {
    const all = await client.statusAll();
    const statuses = all.filter((s): s is EndpointStatus => !(s instanceof EtcdOperationError));
    expect(statuses).toHaveLength(3);
    expect(statuses.filter((s) => s.isLeader)).toHaveLength(1);
    const leader = statuses.find((s) => s.isLeader)!;
    for (const s of statuses) {
      expect(s.leaderId).toBe(leader.memberId);
      expect(s.version).toBe('3.4.23');
      expect(s.isLearner).toBe(false);
      expect(s.dbSize).toBeGreaterThan(0);
    }
  });

  it('is healthy on every member and hashKV agrees after writes', async () => {
    for (let i = 0; i < 20; i++) await client.put(`k${i}`, `v${i}`);
    expect(await client.get('k7')).toBe('v7');
    const health = await Promise.all(cluster.clientURLs.map((e) => client.health(e)));
    expect(health.map((h) => h.healthy)).toEqual([true, true, true]);
    const revision = (await client.status(cluster.clientURLs[0])).revision;
    // Followers apply asynchronously: wait until each reached the revision, then compare.
    const hashes = await eventually(
      'hashKV at one revision on every member',
      async () => {
        const hs = await Promise.all(cluster.clientURLs.map((e) => client.hashKV(e, revision)));
        return hs;
      },
      8000,
    );
    expect(new Set(hashes.map((h) => h.hash)).size).toBe(1);
    expect(new Set(hashes.map((h) => h.memberId)).size).toBe(3);
  });

  it('adds a learner, refuses to promote it before it caught up, then promotes it', async () => {
    const planned = await cluster.planMember('m3');
    // Right after start, 3.4's strict reconfig check answers Unhealthy for ~5 s.
    const { member, members } = await eventually('MemberAdd accepted', () =>
      client.addLearner([planned.peerURL]).catch((e: unknown) => {
        if (e instanceof EtcdOperationError && e.kind === 'Unhealthy') return undefined;
        throw e;
      }),
    );
    expect(member.isLearner).toBe(true);
    expect(member.name).toBe(''); // not started yet
    expect(member.peerURLs).toEqual([planned.peerURL]);
    expect(members).toHaveLength(4);

    // Its process does not run: the leader has nothing from it.
    const early = await client.promote(member.id);
    expect(early).toMatchObject({ promoted: false, reason: 'LearnerNotReady' });

    // A second learner is refused while one exists (etcd 3.4 allows one).
    await expect(client.addLearner(['http://127.0.0.1:1'])).rejects.toMatchObject({
      kind: 'TooManyLearners',
    });

    cluster.startJoining(
      planned,
      cluster.members.filter((m) => m !== planned),
    );
    const learnerHealth = await eventually('the learner serving reads', async () => {
      const h = await client.health(planned.clientURL);
      return h.healthy ? h : undefined;
    });
    expect(learnerHealth.learner).toBe(true);
    const status = await client.status(planned.clientURL);
    expect(status.isLearner).toBe(true);

    const promoted = await eventually('promotion', async () => {
      const r = await client.promote(member.id);
      return r.promoted ? r : undefined;
    });
    expect(promoted.members.find((m) => m.id === member.id)?.isLearner).toBe(false);
    expect((await client.listMembers()).find((m) => m.id === member.id)?.name).toBe('m3');
    await expect(client.promote(member.id)).rejects.toMatchObject({ kind: 'NotLearner' });
  });

  it('moves the leader, then removes the former leader', async () => {
    const all = new EtcdClient({ endpoints: cluster.clientURLs, timeoutMs: 3000 });
    try {
      const leader = await eventually('a leader', () => leaderOf(all));
      const members = await all.listMembers();
      const target = members.find((m) => m.id !== leader.memberId && !m.isLearner)!;

      // MoveLeader is only accepted by the leader.
      const follower = cluster.clientURLs.find((u) => u !== leader.endpoint)!;
      await expect(all.moveLeader(target.id, follower)).rejects.toMatchObject({
        kind: 'NotLeader',
      });

      await all.moveLeader(target.id);
      const newLeader = await eventually('the new leader', async () => {
        const l = await leaderOf(all);
        return l?.memberId === target.id ? l : undefined;
      });
      expect(newLeader.memberId).toBe(target.id);

      const old = members.find((m) => m.id === leader.memberId)!;
      const remaining = await eventually('MemberRemove accepted', () =>
        all.removeMember(old.id).catch((e: unknown) => {
          if (e instanceof EtcdOperationError && e.kind === 'Unhealthy') return undefined;
          throw e;
        }),
      );
      expect(remaining.map((m) => m.id)).not.toContain(old.id);
      expect(remaining).toHaveLength(3);
      const local = cluster.members.find((m) => m.name === old.name)!;
      await cluster.kill(local);
      cluster.forget(local);

      await expect(all.removeMember(old.id)).rejects.toMatchObject({ kind: 'MemberNotFound' });
      await expect(all.moveLeader('12345')).rejects.toBeInstanceOf(EtcdOperationError);
    } finally {
      all.close();
    }
    const c = new EtcdClient({ endpoints: cluster.clientURLs, timeoutMs: 3000 });
    try {
      await c.put('after-remove', 'ok');
      expect(await c.get('after-remove')).toBe('ok');
    } finally {
      c.close();
    }
  });

  it('reports an unreachable endpoint as Unavailable within the timeout', async () => {
    const dead = new EtcdClient({ endpoints: ['http://127.0.0.1:1'], timeoutMs: 1000 });
    try {
      await expect(dead.status('http://127.0.0.1:1')).rejects.toMatchObject({
        kind: expect.stringMatching(/^(Unavailable|Timeout)$/),
      });
      const h = await dead.health('http://127.0.0.1:1');
      expect(h.healthy).toBe(false);
    } finally {
      dead.close();
    }
  });

  it('streams a snapshot that etcdctl restores and a fresh etcd serves', async () => {
    const c = new EtcdClient({ endpoints: cluster.clientURLs, timeoutMs: 3000 });
    try {
      await c.put('snap-key', 'snap-value');
      const endpoint = cluster.clientURLs[0];
      const snap = await openSnapshot(c, endpoint, { timeoutMs: 30_000 });
      expect(Number(snap.revision)).toBeGreaterThan(20);
      expect(snap.version).toBe('3.4.23');
      const file = join(cluster.dir, 'backup.db');
      await pipeline(snap.stream, createWriteStream(file));

      const status = cluster.etcdctl(['snapshot', 'status', file, '-w', 'json']);
      expect(status.status, status.stderr).toBe(0);
      const info = JSON.parse(status.stdout) as { revision: number; totalKey: number };
      expect(info.revision).toBeGreaterThanOrEqual(Number(snap.revision));

      const restored = new LocalEtcdCluster();
      try {
        const m = await restored.startFromSnapshot(file);
        const rc = new EtcdClient({ endpoints: [m.clientURL], timeoutMs: 3000 });
        try {
          const value = await eventually('the restored key', () => rc.get('snap-key'));
          expect(value).toBe('snap-value');
          expect(await rc.get('k19')).toBe('v19');
          // A new cluster: restored data under a fresh identity.
          const members = await rc.listMembers();
          expect(members).toHaveLength(1);
        } finally {
          rc.close();
        }
      } finally {
        await restored.stop();
      }
    } finally {
      c.close();
    }
  });
});

describe('backup through backup-storage and observation', () => {
  let cluster: LocalEtcdCluster;
  let client: EtcdClient;

  beforeAll(async () => {
    cluster = new LocalEtcdCluster();
    await cluster.startStatic(3);
    client = new EtcdClient({ endpoints: cluster.clientURLs, timeoutMs: 3000 });
    await eventually('a leader', () => client.findLeader());
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('observes members with leader, health and version for decide()', async () => {
    const { view, probes } = await observeEtcd(client);
    expect(view.reachable).toBe(true);
    if (!view.reachable) return;
    expect(view.members).toHaveLength(3);
    expect(view.members.filter((m) => m.isLeader)).toHaveLength(1);
    expect(view.members.every((m) => m.healthy && m.version === '3.4.23')).toBe(true);
    expect(probes.every((p) => p.status?.memberId === p.member.id)).toBe(true);
  });

  it('takes a backup from a healthy member into file storage; it restores', async () => {
    for (let i = 0; i < 50; i++) await client.put(`bk/${i}`, `value-${i}`);
    const storage = new FileStorage(join(cluster.dir, 'backups'));
    const taken = await takeBackup(client, storage, {
      id: 'demo-backup-1',
      source: { kind: 'EtcdCluster', name: 'demo', namespace: 'default' },
      verify: true,
    });
    expect(taken.manifest.position).toBe(taken.revision);
    expect(taken.manifest.application).toEqual({ name: 'etcd', version: '3.4.23' });
    expect(taken.manifest.size).toBeGreaterThan(0);
    expect(taken.manifest.rawSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(taken.manifest.verifiedAt).toBeDefined();

    const file = join(cluster.dir, 'fetched.db');
    await fetchBackupToFile(storage, 'demo-backup-1', file);
    const restored = new LocalEtcdCluster();
    try {
      const m = await restored.startFromSnapshot(file);
      const rc = new EtcdClient({ endpoints: [m.clientURL], timeoutMs: 3000 });
      try {
        expect(await eventually('restored data', () => rc.get('bk/49'))).toBe('value-49');
      } finally {
        rc.close();
      }
    } finally {
      await restored.stop();
    }
  });

  it('reports etcd unreachable when quorum is lost', async () => {
    await cluster.kill(cluster.members[1]);
    await cluster.kill(cluster.members[2]);
    const c = new EtcdClient({ endpoints: cluster.clientURLs, timeoutMs: 1500 });
    try {
      const { view } = await observeEtcd(c);
      expect(view.reachable).toBe(false);
      // The survivor still lists all three members (3.4 answers without quorum): decide() uses
      // that to restart members that kept their data rather than restoring a backup.
      if (!view.reachable) expect(view.members).toHaveLength(3);
    } finally {
      c.close();
    }
  });
});

describe('EtcdClient with TLS and client-certificate auth', () => {
  let cluster: LocalEtcdCluster;
  let caPem: string;
  let caKeyPem: string;
  let client: { cert: string; key: string };

  beforeAll(async () => {
    const ca = await createCa('test-etcd-ca', 1);
    const member = await issueCertificate(ca, {
      commonName: 'member',
      sans: ['127.0.0.1', 'localhost'],
      usages: ['server', 'client'],
      validityDays: 1,
    });
    const cli = await issueCertificate(ca, {
      commonName: 'operator',
      usages: ['client'],
      validityDays: 1,
    });
    caPem = ca.certPem;
    caKeyPem = ca.keyPem;
    client = { cert: cli.certPem, key: cli.keyPem };
    cluster = new LocalEtcdCluster({ ca, member });
    await cluster.startStatic(1);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves a client with a certificate signed by the CA', async () => {
    const c = new EtcdClient({
      endpoints: cluster.clientURLs,
      tls: { ca: caPem, cert: client.cert, key: client.key },
      timeoutMs: 3000,
    });
    try {
      expect(cluster.clientURLs[0]).toMatch(/^https:/);
      const leader = await eventually('a leader over TLS', () => c.findLeader());
      expect(leader.isLeader).toBe(true);
      await c.put('tls', 'yes');
      expect(await c.get('tls')).toBe('yes');
      expect((await c.health(cluster.clientURLs[0])).healthy).toBe(true);
    } finally {
      c.close();
    }
  });

  it('rejects a client without a certificate', async () => {
    const c = new EtcdClient({
      endpoints: cluster.clientURLs,
      tls: { ca: caPem },
      timeoutMs: 3000,
    });
    try {
      const err = await c.put('tls', 'no').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EtcdOperationError);
      expect((err as EtcdOperationError).kind).toMatch(/^(Unavailable|Unauthenticated)$/);
      const h = await c.health(cluster.clientURLs[0]);
      expect(h.healthy).toBe(false);
    } finally {
      c.close();
    }
    // etcdctl agrees: without --cert/--key the handshake fails.
    const r = cluster.etcdctl([
      `--endpoints=${cluster.clientURLs[0]}`,
      `--cacert=${join(cluster.dir, 'tls', 'ca.crt')}`,
      '--dial-timeout=2s',
      '--command-timeout=3s',
      'get',
      'tls',
    ]);
    expect(r.status).not.toBe(0);
  });
  it('serves a rotated certificate on new connections without a restart', async () => {
    const ca = { certPem: caPem, keyPem: caKeyPem };
    const endpoint = new URL(cluster.clientURLs[0]);
    const served = async () =>
      await new Promise<string>((resolve, reject) => {
        const socket = connect(
          {
            host: endpoint.hostname,
            port: Number(endpoint.port),
            ca: caPem,
            cert: client.cert,
            key: client.key,
            servername: 'localhost',
          },
          () => {
            const fp = socket.getPeerCertificate().fingerprint256;
            socket.end();
            resolve(fp);
          },
        );
        socket.on('error', reject);
      });
    const before = await served();
    const pid = cluster.members[0].process!.pid;
    const next: KeyPairPem = await issueCertificate(ca, {
      commonName: 'member-rotated',
      sans: ['127.0.0.1', 'localhost'],
      usages: ['server', 'client'],
      validityDays: 2,
    });
    writeFileSync(join(cluster.dir, 'tls', 'member.key'), next.keyPem);
    writeFileSync(join(cluster.dir, 'tls', 'member.crt'), next.certPem);
    const after = await served();
    expect(after).not.toBe(before);
    expect(after).toBe(inspectCertificate(next.certPem).fingerprint256);
    expect(cluster.members[0].process!.pid).toBe(pid);
    const c = new EtcdClient({
      endpoints: cluster.clientURLs,
      tls: { ca: caPem, cert: client.cert, key: client.key },
      timeoutMs: 3000,
    });
    try {
      expect(await c.get('tls')).toBe('yes');
    } finally {
      c.close();
    }
  });
});
