import { describe, expect, it } from 'vitest';
import {
  decide,
  memberNameFromPeerURL,
  nextOrdinal,
  quorum,
  type Action,
  type ClusterSpecView,
  type Observed,
  type ObservedMember,
  type ObservedPod,
} from './decide.ts';

const IMAGE = 'quay.io/coreos/etcd:v3.4.23';
const HASH = 'h1';

function spec(over: Partial<ClusterSpecView> = {}): ClusterSpecView {
  return {
    size: 3,
    version: '3.4.23',
    image: IMAGE,
    paused: false,
    recoverFromBackup: false,
    storage: 'pvc',
    pvcRetention: 'Delete',
    replaceUnhealthyAfterMs: 60_000,
    quorumLossAfterMs: 30_000,
    podSpecHash: HASH,
    ...over,
  };
}

const peer = (n: number) => `http://c-${n}.c.ns.svc:2380`;

function member(n: number, over: Partial<ObservedMember> = {}): ObservedMember {
  return {
    id: `${1000 + n}`,
    etcdName: `c-${n}`,
    peerURLs: [peer(n)],
    isLearner: false,
    isLeader: n === 0,
    healthy: true,
    version: '3.4.23',
    ...over,
  };
}

function pod(n: number, over: Partial<ObservedPod> = {}): ObservedPod {
  return {
    name: `c-${n}`,
    phase: 'Running',
    ready: true,
    terminating: false,
    image: IMAGE,
    specHash: HASH,
    ...over,
  };
}

const pvc = (n: number) => ({ name: `c-${n}-data`, terminating: false });

/** A healthy cluster of members with the given ordinals, ordinal 0 (or the first) leading. */
function healthy(ordinals: number[], over: Partial<Observed> = {}): Observed {
  return {
    cluster: 'c',
    namespace: 'ns',
    spec: spec(),
    status: {
      clusterId: '42',
      nextOrdinal: Math.max(...ordinals) + 1,
      currentVersion: '3.4.23',
      lastMembers: ordinals.map((n) => `c-${n}`),
    },
    etcd: {
      reachable: true,
      members: ordinals.map((n, i) => member(n, { isLeader: i === 0 })),
    },
    pods: ordinals.map((n) => pod(n)),
    pvcs: ordinals.map((n) => pvc(n)),
    now: 1_000_000,
    unhealthySince: {},
    backupAvailable: false,
    ...over,
  };
}

function act(o: Observed): Action {
  return decide(o).action;
}

describe('helpers', () => {
  it('computes quorum', () => {
    expect([1, 2, 3, 4, 5, 9].map(quorum)).toEqual([1, 2, 2, 3, 3, 5]);
  });
  it('reads member names from peer URLs of this cluster only', () => {
    expect(memberNameFromPeerURL('c', 'ns', 'https://c-12.c.ns.svc:2380')).toBe('c-12');
    expect(memberNameFromPeerURL('c', 'ns', 'http://c-1.other.ns.svc:2380')).toBeUndefined();
    expect(memberNameFromPeerURL('c', 'ns', 'http://c-1.c.elsewhere.svc:2380')).toBeUndefined();
    expect(memberNameFromPeerURL('c', 'ns', 'http://x-1.c.ns.svc:2380')).toBeUndefined();
    expect(memberNameFromPeerURL('c', 'ns', 'not a url')).toBeUndefined();
  });
  it('never reuses an ordinal still visible anywhere, nor one below the recorded floor', () => {
    const o = healthy([0, 1, 2]);
    expect(nextOrdinal(o, ['c-0', 'c-1', 'c-2'])).toBe(3);
    expect(nextOrdinal({ ...o, pvcs: [...o.pvcs, pvc(9)] }, ['c-0'])).toBe(10);
    expect(nextOrdinal({ ...o, status: { nextOrdinal: 20 } }, ['c-0'])).toBe(20);
    // Numeric, not string, order: c-10 > c-9.
    expect(nextOrdinal({ ...o, pods: [pod(9), pod(10)] }, [])).toBe(11);
  });
});

describe('decide: table of situations', () => {
  const table: { name: string; o: Observed; expect: Partial<Action> & { type: Action['type'] } }[] =
    [
      {
        name: 'paused: nothing, even with a member missing',
        o: healthy([0, 1], { spec: spec({ paused: true }) }),
        expect: { type: 'none', reason: 'Paused' },
      },
      {
        name: 'fresh cluster: seed ordinal 0',
        o: {
          ...healthy([0]),
          status: {},
          etcd: { reachable: false, error: 'no endpoints' },
          pods: [],
          pvcs: [],
        },
        expect: { type: 'seed', member: { name: 'c-0', ordinal: 0 } },
      },
      {
        name: 'crash after the seed PVC, before its pod: seed again on that PVC',
        o: {
          ...healthy([0]),
          status: {},
          etcd: { reachable: false, error: 'x' },
          pods: [],
          pvcs: [pvc(0)],
        },
        expect: { type: 'seed', member: { name: 'c-0', ordinal: 0 } },
      },
      {
        name: 'seed pod starting: wait',
        o: {
          ...healthy([0]),
          status: {},
          etcd: { reachable: false, error: 'x' },
          pods: [pod(0, { ready: false })],
        },
        expect: { type: 'wait' },
      },
      {
        name: 'seed pod failed: delete it (it is recreated on its PVC)',
        o: {
          ...healthy([0]),
          status: {},
          etcd: { reachable: false, error: 'x' },
          pods: [pod(0, { phase: 'Failed' })],
        },
        expect: { type: 'deletePod', pod: 'c-0' },
      },
      {
        name: 'seeded, one member: add a learner with the next ordinal and its peer URL',
        o: healthy([0]),
        expect: { type: 'addLearner', member: { name: 'c-1', ordinal: 1 }, peerURL: peer(1) },
      },
      {
        name: 'crash after MemberAdd, before the pod: create the pod',
        o: (() => {
          const o = healthy([0]);
          if (o.etcd.reachable)
            o.etcd.members.push(member(1, { isLearner: true, etcdName: '', healthy: false }));
          return o;
        })(),
        expect: { type: 'createPod', member: { name: 'c-1', ordinal: 1 }, memberId: '1001' },
      },
      {
        name: 'learner pod created, process not started yet: wait',
        o: (() => {
          const o = healthy([0]);
          if (o.etcd.reachable)
            o.etcd.members.push(member(1, { isLearner: true, etcdName: '', healthy: false }));
          o.pods.push(pod(1, { ready: false, phase: 'Pending' }));
          o.pvcs.push(pvc(1));
          return o;
        })(),
        expect: { type: 'wait' },
      },
      {
        name: 'learner started: promote',
        o: (() => {
          const o = healthy([0]);
          if (o.etcd.reachable) o.etcd.members.push(member(1, { isLearner: true }));
          o.pods.push(pod(1));
          o.pvcs.push(pvc(1));
          return o;
        })(),
        expect: { type: 'promote', memberId: '1001' },
      },
      {
        name: 'learner stuck past the timeout: remove it (no quorum impact)',
        o: (() => {
          const o = healthy([0], { unhealthySince: { 'c-1': 0 } });
          if (o.etcd.reachable)
            o.etcd.members.push(member(1, { isLearner: true, etcdName: '', healthy: false }));
          o.pods.push(pod(1, { ready: false, phase: 'Pending' }));
          o.pvcs.push(pvc(1));
          return o;
        })(),
        expect: { type: 'removeMember', memberId: '1001' },
      },
      {
        name: 'learner while already at size (size lowered mid-grow): remove it',
        o: (() => {
          const o = healthy([0, 1, 2]);
          if (o.etcd.reachable) o.etcd.members.push(member(3, { isLearner: true }));
          o.pods.push(pod(3));
          o.pvcs.push(pvc(3));
          return o;
        })(),
        expect: { type: 'removeMember', memberId: '1003' },
      },
      {
        name: 'all healthy at size: ready',
        o: healthy([0, 1, 2]),
        expect: { type: 'none', reason: 'Ready' },
      },
      {
        name: 'etcd healthy but a pod not ready yet (the client Service skips it): wait',
        o: healthy([0, 1, 2], { pods: [pod(0), pod(1, { ready: false }), pod(2)] }),
        expect: { type: 'wait' },
      },
      {
        name: 'orphan pod (pod exists, member missing): delete it',
        o: healthy([0, 1, 2], {
          pods: [pod(0), pod(1), pod(2), pod(3)],
          pvcs: [pvc(0), pvc(1), pvc(2), pvc(3)],
        }),
        expect: { type: 'deletePod', pod: 'c-3' },
      },
      {
        name: 'crash after the orphan pod delete, before the PVC delete: delete the PVC',
        o: healthy([0, 1, 2], { pvcs: [pvc(0), pvc(1), pvc(2), pvc(3)] }),
        expect: { type: 'deletePvc', pvc: 'c-3-data' },
      },
      {
        name: 'orphan PVC kept with retention Retain',
        o: healthy([0, 1, 2], {
          spec: spec({ pvcRetention: 'Retain' }),
          pvcs: [pvc(0), pvc(1), pvc(2), pvc(3)],
        }),
        expect: { type: 'none' },
      },
      {
        name: 'orphan PVC while its pod is still terminating: wait for the pod',
        o: healthy([0, 1, 2], {
          pods: [pod(0), pod(1), pod(2), pod(3, { terminating: true })],
          pvcs: [pvc(0), pvc(1), pvc(2), pvc(3)],
        }),
        expect: { type: 'none' },
      },
      {
        name: 'member pod deleted, PVC kept: recreate the pod on its data (same member ID)',
        o: healthy([0, 1, 2], { pods: [pod(0), pod(2)] }),
        expect: { type: 'createPod', member: { name: 'c-1', ordinal: 1 }, memberId: '1001' },
      },
      {
        name: 'member process died (pod restarting, unhealthy briefly): wait, no action',
        o: (() => {
          const o = healthy([0, 1, 2], { unhealthySince: { 'c-1': 1_000_000 - 5000 } });
          if (o.etcd.reachable) o.etcd.members[1].healthy = false;
          o.pods[1] = pod(1, { ready: false });
          return o;
        })(),
        expect: { type: 'wait' },
      },
      {
        name: 'member unhealthy past the timeout with quorum kept: remove it',
        o: (() => {
          const o = healthy([0, 1, 2], { unhealthySince: { 'c-1': 0 } });
          if (o.etcd.reachable) o.etcd.members[1].healthy = false;
          return o;
        })(),
        expect: { type: 'removeMember', memberId: '1001' },
      },
      {
        name: 'two of three unhealthy past the timeout: refuse (would lose quorum)',
        o: (() => {
          const o = healthy([0, 1, 2], { unhealthySince: { 'c-1': 0, 'c-2': 0 } });
          if (o.etcd.reachable) {
            o.etcd.members[1].healthy = false;
            o.etcd.members[2].healthy = false;
          }
          return o;
        })(),
        expect: { type: 'degraded', reason: 'CannotReplaceWithoutQuorum' },
      },
      {
        name: 'member PVC gone (data lost): remove the member to replace it',
        o: healthy([0, 1, 2], { pods: [pod(0), pod(2)], pvcs: [pvc(0), pvc(2)] }),
        expect: { type: 'removeMember', memberId: '1001' },
      },
      {
        name: 'member reports its data lost: remove it',
        o: (() => {
          const o = healthy([0, 1, 2]);
          if (o.etcd.reachable) o.etcd.members[2].dataLost = true;
          return o;
        })(),
        expect: { type: 'removeMember', memberId: '1002' },
      },
      {
        name: 'leader lost its data: hand leadership over before removing it',
        o: (() => {
          const o = healthy([0, 1, 2]);
          if (o.etcd.reachable) o.etcd.members[0].dataLost = true;
          return o;
        })(),
        expect: { type: 'moveLeader', toId: '1001' },
      },
      {
        name: 'emptyDir storage: a member without a pod lost its data',
        o: healthy([0, 1, 2], {
          spec: spec({ storage: 'emptyDir' }),
          pods: [pod(0), pod(2)],
          pvcs: [],
        }),
        expect: { type: 'removeMember', memberId: '1001' },
      },
      {
        name: 'after a replacement removed c-1: add c-3 (never reuse c-1)',
        o: healthy([0, 2], { status: { clusterId: '42', nextOrdinal: 3 } }),
        expect: { type: 'addLearner', member: { name: 'c-3', ordinal: 3 } },
      },
      {
        name: 'scale down 5 -> 3: remove the highest ordinal',
        o: healthy([0, 1, 2, 3, 4], { spec: spec({ size: 3 }) }),
        expect: { type: 'removeMember', memberId: '1004' },
      },
      {
        name: 'scale down with ordinals past 9: numeric order (c-10 before c-9)',
        o: healthy([0, 9, 10], { spec: spec({ size: 2 }) }),
        expect: { type: 'removeMember', memberId: '1010' },
      },
      {
        name: 'scale down when the highest ordinal leads: MoveLeader first',
        o: (() => {
          const o = healthy([0, 1, 2, 3], { spec: spec({ size: 3 }) });
          if (o.etcd.reachable) o.etcd.members.forEach((m) => (m.isLeader = m.id === '1003'));
          return o;
        })(),
        expect: { type: 'moveLeader', from: { name: 'c-3', ordinal: 3 }, toId: '1000' },
      },
      {
        name: 'scale down gated on health: an unhealthy member waits first',
        o: (() => {
          const o = healthy([0, 1, 2, 3, 4], {
            spec: spec({ size: 3 }),
            unhealthySince: { 'c-1': 999_000 },
          });
          if (o.etcd.reachable) o.etcd.members[1].healthy = false;
          return o;
        })(),
        expect: { type: 'wait' },
      },
      {
        name: 'scale up gated on health',
        o: (() => {
          const o = healthy([0, 1], { unhealthySince: { 'c-1': 999_000 } });
          if (o.etcd.reachable) o.etcd.members[1].healthy = false;
          return o;
        })(),
        expect: { type: 'wait' },
      },
      {
        name: 'no leader: wait for the election',
        o: (() => {
          const o = healthy([0, 1, 2]);
          if (o.etcd.reachable) o.etcd.members.forEach((m) => (m.isLeader = false));
          return o;
        })(),
        expect: { type: 'wait' },
      },
      {
        name: 'evicted (Failed) pod: delete it so it is recreated',
        o: healthy([0, 1, 2], { pods: [pod(0), pod(1, { phase: 'Failed' }), pod(2)] }),
        expect: { type: 'deletePod', pod: 'c-1' },
      },
      {
        name: 'member pod terminating: wait',
        o: healthy([0, 1, 2], { pods: [pod(0), pod(1, { terminating: true }), pod(2)] }),
        expect: { type: 'wait' },
      },
      {
        name: 'rolling upgrade: a follower first',
        o: healthy([0, 1, 2], {
          spec: spec({ image: 'quay.io/coreos/etcd:v3.4.24', version: '3.4.24' }),
        }),
        expect: { type: 'upgradeMember', member: { name: 'c-1', ordinal: 1 }, reason: 'image' },
      },
      {
        name: 'rolling upgrade: only the leader left -> MoveLeader first',
        o: healthy([0, 1, 2], {
          spec: spec({ image: 'new', version: '3.4.24' }),
          pods: [pod(0), pod(1, { image: 'new' }), pod(2, { image: 'new' })],
        }),
        expect: { type: 'moveLeader', from: { name: 'c-0', ordinal: 0 }, toId: '1001' },
      },
      {
        name: 'rolling upgrade: after the hand-over the former leader is a follower and rolls',
        o: (() => {
          const o = healthy([0, 1, 2], {
            spec: spec({ image: 'new', version: '3.4.24' }),
            pods: [pod(0), pod(1, { image: 'new' }), pod(2, { image: 'new' })],
          });
          if (o.etcd.reachable) o.etcd.members.forEach((m) => (m.isLeader = m.id === '1001'));
          return o;
        })(),
        expect: { type: 'upgradeMember', member: { name: 'c-0', ordinal: 0 } },
      },
      {
        name: 'rolling upgrade waits for the previous member to be ready',
        o: healthy([0, 1, 2], {
          spec: spec({ image: 'new', version: '3.4.24' }),
          pods: [pod(0), pod(1, { image: 'new', ready: false }), pod(2)],
        }),
        expect: { type: 'wait' },
      },
      {
        name: 'crash after an upgrade pod delete: recreate it (with the new image, by act)',
        o: healthy([0, 1, 2], {
          spec: spec({ image: 'new', version: '3.4.24' }),
          pods: [pod(0), pod(2)],
        }),
        expect: { type: 'createPod', member: { name: 'c-1', ordinal: 1 } },
      },
      {
        name: 'pod spec change (flags, resources): rolled like an upgrade',
        o: healthy([0, 1, 2], { spec: spec({ podSpecHash: 'h2' }) }),
        expect: { type: 'upgradeMember', member: { name: 'c-1', ordinal: 1 }, reason: 'spec' },
      },
      {
        name: 'seed pod still has "new" flags once the cluster runs: leadership moves away first',
        o: healthy([0, 1, 2], { pods: [pod(0, { seedFlags: true }), pod(1), pod(2)] }),
        expect: {
          type: 'moveLeader',
          from: { name: 'c-0', ordinal: 0 },
          reason: 'before restarting the seed with existing-cluster flags',
        },
      },
      {
        name: 'seed pod with "new" flags as a follower: restart it with "existing" flags',
        o: (() => {
          const o = healthy([0, 1, 2], { pods: [pod(0, { seedFlags: true }), pod(1), pod(2)] });
          if (o.etcd.reachable) o.etcd.members.forEach((m) => (m.isLeader = m.id === '1001'));
          return o;
        })(),
        expect: { type: 'upgradeMember', member: { name: 'c-0', ordinal: 0 }, reason: 'bootstrap' },
      },
      {
        name: 'a lone seed is restarted with "existing" flags in place',
        o: healthy([0], { spec: spec({ size: 1 }), pods: [pod(0, { seedFlags: true })] }),
        expect: { type: 'upgradeMember', member: { name: 'c-0', ordinal: 0 }, reason: 'bootstrap' },
      },
      {
        name: 'single member upgrade: no one to hand over to, roll it in place',
        o: healthy([0], { spec: spec({ size: 1, image: 'new', version: '3.4.24' }) }),
        expect: { type: 'upgradeMember', member: { name: 'c-0', ordinal: 0 } },
      },
      {
        name: 'downgrade refused: nothing rolls',
        o: healthy([0, 1, 2], {
          spec: spec({ image: 'quay.io/coreos/etcd:v3.4.22', version: '3.4.22' }),
        }),
        expect: { type: 'none', reason: 'Ready' },
      },
      {
        name: 'etcd unreachable briefly: wait',
        o: healthy([0, 1, 2], {
          etcd: { reachable: false, error: 'x' },
          unreachableSince: 1_000_000 - 1000,
        }),
        expect: { type: 'wait' },
      },
      {
        name: 'quorum lost, 2 of 3 wiped, recovery off: degraded LostQuorum',
        o: healthy([0, 1, 2], {
          etcd: { reachable: false, error: 'x' },
          unreachableSince: 0,
          pods: [pod(0, { ready: false })],
          pvcs: [pvc(0)],
        }),
        expect: { type: 'degraded', reason: 'LostQuorum' },
      },
      {
        name: 'quorum lost, 2 of 3 wiped, recovery on, backup available: recover',
        o: healthy([0, 1, 2], {
          spec: spec({ recoverFromBackup: true }),
          etcd: { reachable: false, error: 'x' },
          unreachableSince: 0,
          backupAvailable: true,
          pods: [pod(0, { ready: false })],
          pvcs: [pvc(0)],
        }),
        expect: { type: 'recoverFromBackup' },
      },
      {
        name: 'quorum lost, 2 of 3 wiped, recovery on, no backup: degraded WaitingForBackup',
        o: healthy([0, 1, 2], {
          spec: spec({ recoverFromBackup: true }),
          etcd: { reachable: false, error: 'x' },
          unreachableSince: 0,
          pods: [pod(0, { ready: false })],
          pvcs: [pvc(0)],
        }),
        expect: { type: 'degraded', reason: 'WaitingForBackup' },
      },
      {
        name: 'quorum lost but a majority kept its data: never restore (it would lose writes)',
        o: healthy([0, 1, 2], {
          spec: spec({ recoverFromBackup: true }),
          etcd: { reachable: false, error: 'x' },
          unreachableSince: 0,
          backupAvailable: true,
          pods: [pod(0, { ready: false }), pod(1, { ready: false })],
          pvcs: [pvc(0), pvc(1)],
        }),
        expect: { type: 'degraded', reason: 'LostQuorum' },
      },
      {
        name: 'every pod gone (full Kubernetes restart), PVCs kept: restart members on their data',
        o: healthy([0, 1, 2], {
          etcd: { reachable: false, error: 'x' },
          unreachableSince: 0,
          pods: [],
        }),
        expect: { type: 'createPod', member: { name: 'c-0', ordinal: 0 } },
      },
      {
        name: 'no quorum, the surviving member lists the others: restart the podless one with its id',
        o: healthy([0, 1, 2], {
          etcd: { reachable: false, error: 'x', members: [member(0), member(1), member(2)] },
          pods: [pod(0, { ready: false })],
        }),
        expect: { type: 'createPod', member: { name: 'c-1', ordinal: 1 }, memberId: '1001' },
      },
      {
        name: 'no quorum, members report lost data on a majority: recover',
        o: healthy([0, 1, 2], {
          spec: spec({ recoverFromBackup: true }),
          etcd: {
            reachable: false,
            error: 'x',
            members: [member(0), member(1, { dataLost: true }), member(2, { dataLost: true })],
          },
          unreachableSince: 0,
          backupAvailable: true,
        }),
        expect: { type: 'recoverFromBackup' },
      },
      {
        name: 'paused during quorum loss: nothing',
        o: healthy([0, 1, 2], {
          spec: spec({ paused: true }),
          etcd: { reachable: false, error: 'x' },
          unreachableSince: 0,
        }),
        expect: { type: 'none', reason: 'Paused' },
      },
      {
        name: 'a member this operator did not create: degraded ForeignMember',
        o: (() => {
          const o = healthy([0, 1, 2]);
          if (o.etcd.reachable)
            o.etcd.members.push(
              member(7, { etcdName: 'stranger', peerURLs: ['http://10.0.0.9:2380'] }),
            );
          return o;
        })(),
        expect: { type: 'degraded', reason: 'ForeignMember' },
      },
    ];

  for (const row of table) {
    it(row.name, () => {
      expect(act(row.o)).toMatchObject(row.expect);
    });
  }

  it('reports a blocked upgrade and keeps the running image for new pods', () => {
    const o = healthy([0, 1], {
      spec: spec({ image: 'quay.io/coreos/etcd:v3.6.0', version: '3.6.0' }),
    });
    const d = decide(o);
    expect(d.upgradeBlocked?.reason).toBe('SkipsMinorVersion');
    expect(d.podImage).toBe(IMAGE);
    expect(d.action).toMatchObject({ type: 'addLearner' });
  });
  it('quorum-loss message says what to do', () => {
    const d = decide(
      healthy([0, 1, 2], {
        etcd: { reachable: false, error: 'x' },
        unreachableSince: 0,
        pods: [pod(0)],
        pvcs: [pvc(0)],
      }),
    );
    expect(d.action.type === 'degraded' && d.action.message).toMatch(
      /EtcdRestore|restoreFromBackup/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Convergence: a model of etcd + Kubernetes that applies each action the way act.ts will. Every
// intermediate state of a run is exactly what an operator killed after that step finds when it
// comes back, so "from every state reached, decide() converges" covers every crash point.

interface Model {
  o: Observed;
  nextId: number;
  log: string[];
}

function clone(o: Observed): Observed {
  return structuredClone(o);
}

function members(o: Observed): ObservedMember[] {
  return o.etcd.reachable ? o.etcd.members : [];
}

/** Applies an action; background effects (a learner starting, pods becoming ready) happen too. */
function apply(m: Model, a: Action): void {
  const o = m.o;
  const ms = members(o);
  switch (a.type) {
    case 'seed':
      o.pvcs.push(pvc(a.member.ordinal));
      o.pods.push(
        pod(a.member.ordinal, { ready: false, phase: 'Pending', image: decide(o).podImage }),
      );
      break;
    case 'addLearner':
      ms.push(
        member(a.member.ordinal, {
          id: String(m.nextId++),
          isLearner: true,
          etcdName: '',
          healthy: false,
          isLeader: false,
        }),
      );
      break;
    case 'createPod':
      if (!o.pvcs.some((p) => p.name === `${a.member.name}-data`))
        o.pvcs.push(pvc(a.member.ordinal));
      o.pods.push(
        pod(a.member.ordinal, {
          ready: false,
          phase: 'Pending',
          image: decide(o).podImage,
          specHash: o.spec.podSpecHash,
        }),
      );
      break;
    case 'promote': {
      const t = ms.find((x) => x.id === a.memberId)!;
      t.isLearner = false;
      break;
    }
    case 'moveLeader':
      ms.forEach((x) => (x.isLeader = x.id === a.toId));
      break;
    case 'removeMember': {
      const i = ms.findIndex((x) => x.id === a.memberId);
      expect(ms[i].isLeader, 'never remove the leader').toBe(false);
      ms.splice(i, 1);
      break;
    }
    case 'deletePod':
      o.pods = o.pods.filter((p) => p.name !== a.pod);
      break;
    case 'deletePvc':
      o.pvcs = o.pvcs.filter((p) => p.name !== a.pvc);
      break;
    case 'upgradeMember':
      o.pods = o.pods.filter((p) => p.name !== a.member.name);
      break;
    default:
      break;
  }
  // Background: pods start, started processes become healthy members.
  for (const p of o.pods) {
    p.phase = 'Running';
    p.ready = true;
  }
  if (!o.etcd.reachable && o.pods.length > 0 && a.type !== 'seed') {
    const n = Number(o.pods[0].name.split('-')[1]);
    o.etcd = { reachable: true, members: [member(n, { id: String(m.nextId++), isLeader: true })] };
    o.status.clusterId = '42';
  }
  for (const x of members(o)) {
    const name = x.peerURLs[0].split('//')[1].split('.')[0];
    const p = o.pods.find((q) => q.name === name);
    x.etcdName = p ? name : x.etcdName;
    x.healthy = Boolean(p);
    if (x.healthy) delete o.unhealthySince[name];
    else o.unhealthySince[name] ??= o.now;
  }
  o.now += 1000;
  m.log.push(a.type);
}

function run(
  start: Observed,
  maxSteps = 80,
): { final: Observed; steps: Action[]; states: Observed[] } {
  const ids = members(start).map((x) => Number(x.id));
  const m: Model = { o: clone(start), nextId: Math.max(5000, ...ids) + 1, log: [] };
  const steps: Action[] = [];
  const states: Observed[] = [];
  for (let i = 0; i < maxSteps; i++) {
    states.push(clone(m.o));
    const a = act(m.o);
    if (a.type === 'none' || a.type === 'degraded' || a.type === 'recoverFromBackup') {
      steps.push(a);
      return { final: m.o, steps, states };
    }
    steps.push(a);
    if (a.type === 'wait') {
      // Time passes: a restarting process comes back.
      apply(m, { type: 'none', reason: 'Ready' });
      m.o.now += a.requeueAfterMs;
      continue;
    }
    apply(m, a);
  }
  throw new Error(`no convergence: ${m.log.join(' ')}`);
}

function expectConverged(o: Observed): void {
  const ms = members(o);
  expect(ms.filter((x) => !x.isLearner)).toHaveLength(o.spec.size);
  expect(ms.filter((x) => x.isLearner)).toHaveLength(0);
  expect(ms.filter((x) => x.isLeader)).toHaveLength(1);
  const names = ms.map((x) => x.etcdName).sort();
  expect(o.pods.map((p) => p.name).sort()).toEqual(names);
  expect(o.pvcs.map((p) => p.name).sort()).toEqual(names.map((n) => `${n}-data`).sort());
  expect(o.pods.every((p) => p.image === o.spec.image && p.specHash === o.spec.podSpecHash)).toBe(
    true,
  );
}

describe('decide: convergence from every crash point', () => {
  const scenarios: { name: string; start: Observed }[] = [
    {
      name: 'create 3 from nothing',
      start: {
        ...healthy([0]),
        status: {},
        etcd: { reachable: false, error: 'x' },
        pods: [],
        pvcs: [],
      },
    },
    {
      name: 'create 5 from nothing',
      start: {
        ...healthy([0]),
        spec: spec({ size: 5 }),
        status: {},
        etcd: { reachable: false, error: 'x' },
        pods: [],
        pvcs: [],
      },
    },
    { name: 'scale 3 -> 5', start: healthy([0, 1, 2], { spec: spec({ size: 5 }) }) },
    {
      name: 'scale 5 -> 3 (leader is the highest ordinal)',
      start: (() => {
        const o = healthy([0, 1, 2, 3, 4], { spec: spec({ size: 3 }) });
        if (o.etcd.reachable) o.etcd.members.forEach((m) => (m.isLeader = m.id === '1004'));
        return o;
      })(),
    },
    { name: 'scale 3 -> 1', start: healthy([0, 1, 2], { spec: spec({ size: 1 }) }) },
    {
      name: 'replace a member whose PVC is gone',
      start: healthy([0, 1, 2], { pods: [pod(0), pod(2)], pvcs: [pvc(0), pvc(2)] }),
    },
    {
      name: 'rolling upgrade of 3',
      start: healthy([0, 1, 2], { spec: spec({ image: 'new', version: '3.4.24' }) }),
    },
    {
      name: 'rolling spec change of 5',
      start: healthy([0, 1, 2, 3, 4], { spec: spec({ size: 5, podSpecHash: 'h9' }) }),
    },
    {
      name: 'orphans everywhere',
      start: healthy([0, 1, 2], {
        pods: [pod(0), pod(1), pod(2), pod(5)],
        pvcs: [pvc(0), pvc(1), pvc(2), pvc(4), pvc(5)],
      }),
    },
  ];

  for (const s of scenarios) {
    it(`${s.name}: converges from the start and from every intermediate state`, () => {
      const first = run(s.start);
      expect(first.steps.at(-1)).toMatchObject({ type: 'none', reason: 'Ready' });
      expectConverged(first.final);
      // Restart the operator after each step: a fresh decide on that exact state converges too,
      // with no duplicate members and no orphan pods.
      for (const state of first.states) {
        const again = run(state);
        expect(again.steps.at(-1)).toMatchObject({ type: 'none', reason: 'Ready' });
        expectConverged(again.final);
      }
    });
  }

  it('scale 3 -> 5 -> 3 removes the newest members, each at most once', () => {
    const up = run(healthy([0, 1, 2], { spec: spec({ size: 5 }) }));
    const grown = up.final;
    expect(
      members(grown)
        .map((x) => x.etcdName)
        .sort(),
    ).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    grown.spec.size = 3;
    const down = run(grown);
    expect(
      members(down.final)
        .map((x) => x.etcdName)
        .sort(),
    ).toEqual(['c-0', 'c-1', 'c-2']);
    const removed = down.steps.filter((a) => a.type === 'removeMember');
    expect(removed).toHaveLength(2);
  });
});
