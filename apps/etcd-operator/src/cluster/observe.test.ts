import { describe, expect, it } from 'vitest';
import {
  toObservedMembers,
  toObservedPod,
  toObservedPvc,
  recordedUnhealthySince,
  updateUnhealthySince,
} from './observe.ts';
import { specView, sizeWarning } from './spec.ts';

describe('observe mapping', () => {
  it('maps member list, status and health', () => {
    const members = toObservedMembers([
      {
        member: {
          id: '18446744073709551615',
          name: 'c-0',
          peerURLs: ['http://c-0.c.ns.svc:2380'],
          clientURLs: ['http://x'],
          isLearner: false,
        },
        status: {
          endpoint: 'http://x',
          memberId: '18446744073709551615',
          leaderId: '18446744073709551615',
          isLeader: true,
          isLearner: false,
          version: '3.4.23',
          dbSize: 1,
          dbSizeInUse: 1,
          raftIndex: '1',
          raftAppliedIndex: '1',
          raftTerm: '1',
          revision: '1',
          clusterId: '1',
          errors: [],
        },
        health: { endpoint: 'http://x', healthy: true },
      },
      {
        member: {
          id: '2',
          name: '',
          peerURLs: ['http://c-1.c.ns.svc:2380'],
          clientURLs: [],
          isLearner: true,
        },
      },
    ]);
    expect(members).toEqual([
      {
        id: '18446744073709551615',
        etcdName: 'c-0',
        peerURLs: ['http://c-0.c.ns.svc:2380'],
        isLearner: false,
        isLeader: true,
        healthy: true,
        version: '3.4.23',
      },
      {
        id: '2',
        etcdName: '',
        peerURLs: ['http://c-1.c.ns.svc:2380'],
        isLearner: true,
        isLeader: false,
        healthy: false,
      },
    ]);
  });

  it('maps pods and PVCs', () => {
    expect(
      toObservedPod({
        metadata: {
          name: 'c-0',
          annotations: {
            'etcd.opsmith.io/pod-spec-hash': 'abc',
            'etcd.opsmith.io/initial-cluster-state': 'new',
          },
        },
        spec: { containers: [{ name: 'etcd', image: 'img' }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      }),
    ).toEqual({
      name: 'c-0',
      phase: 'Running',
      ready: true,
      terminating: false,
      image: 'img',
      specHash: 'abc',
      seedFlags: true,
    });
    expect(toObservedPod({ metadata: { name: 'c-1', deletionTimestamp: 'now' } })).toMatchObject({
      phase: 'Pending',
      ready: false,
      terminating: true,
      image: '',
    });
    expect(toObservedPvc({ metadata: { name: 'c-0-data' } })).toEqual({
      name: 'c-0-data',
      terminating: false,
    });
  });

  it('reads back the unhealthy times a previous operator recorded in status', () => {
    const recorded = recordedUnhealthySince([
      { name: 'a', unhealthySince: '2026-01-01T00:00:10.000Z' },
      { name: 'b' },
      { name: 'c', unhealthySince: 'not a time' },
    ]);
    expect(recorded).toEqual({ a: Date.parse('2026-01-01T00:00:10.000Z') });
    // The restarted operator's clock continues from the recorded time, not from now.
    expect(updateUnhealthySince(recorded, [{ name: 'a', healthy: false }], Date.now())).toEqual(
      recorded,
    );
    expect(recordedUnhealthySince(undefined)).toEqual({});
  });

  it('keeps the first unhealthy time and forgets recovered members', () => {
    const t1 = updateUnhealthySince(
      {},
      [
        { name: 'a', healthy: false },
        { name: 'b', healthy: true },
      ],
      100,
    );
    expect(t1).toEqual({ a: 100 });
    const t2 = updateUnhealthySince(
      t1,
      [
        { name: 'a', healthy: false },
        { name: 'b', healthy: false },
      ],
      200,
    );
    expect(t2).toEqual({ a: 100, b: 200 });
    expect(
      updateUnhealthySince(
        t2,
        [
          { name: 'a', healthy: true },
          { name: 'b', healthy: false },
        ],
        300,
      ),
    ).toEqual({ b: 200 });
  });
});

describe('spec view', () => {
  it('applies defaults', () => {
    const v = specView({ size: 3, version: '3.4.23' });
    expect(v).toMatchObject({
      size: 3,
      image: 'quay.io/coreos/etcd:v3.4.23',
      paused: false,
      recoverFromBackup: false,
      storage: 'pvc',
      pvcRetention: 'Delete',
      replaceUnhealthyAfterMs: 300_000,
    });
    expect(v.podSpecHash).toMatch(/^[0-9a-f]{16}$/);
  });
  it('reads every option', () => {
    const v = specView(
      {
        size: 5,
        version: '3.4.23',
        repository: 'r.io/etcd',
        paused: true,
        recovery: { restoreFromBackup: true },
        storage: { type: 'EmptyDir', retentionPolicy: 'Retain' },
        replaceUnhealthyAfterSeconds: 60,
      },
      { quorumLossAfterMs: 5000 },
    );
    expect(v).toMatchObject({
      image: 'r.io/etcd:v3.4.23',
      paused: true,
      recoverFromBackup: true,
      storage: 'emptyDir',
      pvcRetention: 'Retain',
      replaceUnhealthyAfterMs: 60_000,
      quorumLossAfterMs: 5000,
    });
  });
  it('warns about even sizes only', () => {
    expect(sizeWarning(3)).toBeUndefined();
    expect(sizeWarning(4)).toContain('tolerates 1');
  });
});
