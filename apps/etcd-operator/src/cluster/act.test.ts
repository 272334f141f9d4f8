import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, NotFoundError, type KubeClient } from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../api/types.ts';
import type { EtcdClient } from '../etcd/client.ts';
import { EtcdOperationError } from '../etcd/errors.ts';
import { Failpoints, parseFailpoints } from '../failpoints.ts';
import { act, MEMBERSHIP_KEY, REQUEUE, retryDelayFor, type ActDeps } from './act.ts';
import type { Action } from './decide.ts';

const cluster: EtcdCluster = {
  apiVersion: 'etcd.opsmith.io/v1alpha1',
  kind: 'EtcdCluster',
  metadata: { name: 'c', namespace: 'ns', uid: 'u1' },
  spec: { size: 3, version: '3.4.23' },
};

function harness(etcd: Partial<EtcdClient>, failpoints = '') {
  const log: string[] = [];
  const kube = {
    create: (obj: { kind: string; metadata: { name: string } }) => {
      log.push(`create ${obj.kind} ${obj.metadata.name}`);
      if (obj.metadata.name === 'exists')
        return Promise.reject(new AlreadyExistsError(409, { message: 'exists' }));
      return Promise.resolve(obj);
    },
    delete: (type: { kind: string }, name: string) => {
      log.push(`delete ${type.kind} ${name}`);
      return name === 'gone'
        ? Promise.reject(new NotFoundError(404, { message: 'gone' }))
        : Promise.resolve({});
    },
  } as unknown as KubeClient;
  const deps: ActDeps = {
    kube,
    etcd: {
      timeoutMs: 1000,
      // Two members: e7 is the one being removed (id 7), e8 stays.
      statusAll: () =>
        Promise.resolve([
          { endpoint: 'e7', memberId: '7' },
          { endpoint: 'e8', memberId: '8' },
        ]),
      clientFor: (endpoint: string) => ({
        put: (key: string) => ({
          value: () => (log.push(`put ${key} on ${endpoint}`), Promise.resolve()),
        }),
      }),
      ...etcd,
    } as EtcdClient,
    events: {
      normal: (_o, reason) => (log.push(`event ${reason}`), Promise.resolve()),
      warning: (_o, reason) => (log.push(`warning ${reason}`), Promise.resolve()),
    },
    failpoints: new Failpoints(parseFailpoints(failpoints), (name) => {
      log.push(`crash ${name}`);
      throw new Error(`failpoint ${name}`);
    }),
    recordStatus: (patch) => {
      log.push(
        `status ${JSON.stringify(patch.members?.map((m) => m.name) ?? [])} ${patch.nextOrdinal}`,
      );
      return Promise.resolve();
    },
  };
  const run = (action: Action) =>
    act(deps, {
      cluster,
      decision: { action, podImage: 'etcd:1' },
      initialCluster: [
        { name: 'c-0', peerURL: 'http://c-0:2380' },
        { name: 'c-1', peerURL: 'http://c-1:2380' },
      ],
      members: [],
    });
  return { log, run };
}

const m1 = { name: 'c-1', ordinal: 1 };

describe('act', () => {
  it('adds a learner and records it in status before any pod exists', async () => {
    const h = harness({
      addLearner: () =>
        Promise.resolve({
          member: { id: '7', name: '', peerURLs: [], clientURLs: [], isLearner: true },
          members: [],
        }),
    });
    const r = await h.run({ type: 'addLearner', member: m1, peerURL: 'http://c-1:2380' });
    expect(r.outcome).toBe('done');
    expect(h.log).toEqual(['status ["c-1"] 2', 'event MemberAdded']);
  });

  it('a crash right after MemberAdd leaves no pod and no status (the member list tells)', async () => {
    const h = harness(
      {
        addLearner: () =>
          Promise.resolve({
            member: { id: '7', name: '', peerURLs: [], clientURLs: [], isLearner: true },
            members: [],
          }),
      },
      'afterMemberAdd',
    );
    await expect(h.run({ type: 'addLearner', member: m1, peerURL: 'u' })).rejects.toThrow(
      'failpoint',
    );
    expect(h.log).toEqual(['crash afterMemberAdd']);
  });

  it('requeues when etcd says come back later (Unhealthy after a member start)', async () => {
    const h = harness({
      addLearner: () =>
        Promise.reject(new EtcdOperationError('Unhealthy', 'memberAdd', 'unhealthy cluster')),
    });
    const r = await h.run({ type: 'addLearner', member: m1, peerURL: 'u' });
    expect(r).toEqual({ requeueAfterMs: REQUEUE.etcdBusy, outcome: 'retry: Unhealthy' });
    expect(h.log).toEqual([]);
  });

  it('removes the member, then its pod, then its PVC; a member already gone counts as removed', async () => {
    const h = harness({
      removeMember: () =>
        Promise.reject(
          new EtcdOperationError('MemberNotFound', 'memberRemove', 'member not found'),
        ),
    });
    await h.run({ type: 'removeMember', member: m1, memberId: '7', reason: 'scale down' });
    expect(h.log).toEqual([
      // The write that makes the removal durable goes to a member that stays.
      `put ${MEMBERSHIP_KEY} on e8`,
      'status [] undefined',
      'delete Pod c-1',
      'delete PersistentVolumeClaim c-1-data',
      'event MemberRemoved',
    ]);
  });

  it('adopts objects an earlier pass created and ignores ones already deleted', async () => {
    const h = harness({});
    await h.run({ type: 'deletePod', pod: 'gone', reason: 'orphan' });
    await h.run({ type: 'createPod', member: m1, memberId: '7', reason: 'learner added' });
    expect(h.log).toEqual([
      'delete Pod gone',
      'event PodDeleted',
      'create PersistentVolumeClaim c-1-data',
      'create Pod c-1',
      'event PodCreated',
    ]);
  });

  it('promote that is not caught up yet is a requeue, not a failure', async () => {
    const h = harness({
      promote: () => Promise.resolve({ promoted: false, reason: 'LearnerNotReady', message: 'x' }),
    });
    const r = await h.run({ type: 'promote', member: m1, memberId: '7' });
    expect(r.outcome).toBe('retry: catching up');
  });

  it('maps errors to delays: retryable etcd kinds and conflicts requeue, others throw', () => {
    expect(retryDelayFor(new EtcdOperationError('NoLeader', 'x', 'y'))).toBe(REQUEUE.etcdBusy);
    expect(retryDelayFor(new EtcdOperationError('Unknown', 'x', 'y'))).toBeUndefined();
    expect(retryDelayFor(new Error('x'))).toBeUndefined();
  });
});
