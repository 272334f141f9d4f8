import { describe, expect, it } from 'vitest';
import {
  hostsFile,
  podConditions,
  podPhase,
  qosClass,
  resolvConf,
  restartDelay,
  shouldRestart,
  withTransitions,
  type ContainerView,
} from './pod-status.ts';

const running: ContainerView = {
  name: 'a',
  state: { running: { startedAt: 't' } },
  ready: true,
  restartCount: 0,
};
const exited = (code: number): ContainerView => ({
  name: 'b',
  state: {
    terminated: {
      exitCode: code,
      reason: code ? 'Error' : 'Completed',
      startedAt: 't',
      finishedAt: 't',
    },
  },
  ready: false,
  restartCount: 0,
});
const waiting: ContainerView = {
  name: 'c',
  state: { waiting: { reason: 'ContainerCreating' } },
  ready: false,
  restartCount: 0,
};

describe('podPhase', () => {
  const phase = (
    containers: ContainerView[],
    restartPolicy = 'Always',
    init = { initDone: true, initFailed: false },
  ) => podPhase({ restartPolicy, containers, ...init });
  it('follows the kubelet rules', () => {
    expect(phase([waiting])).toBe('Pending');
    expect(phase([running, waiting])).toBe('Pending');
    expect(phase([running])).toBe('Running');
    expect(phase([exited(0)], 'Never')).toBe('Succeeded');
    expect(phase([exited(1)], 'Never')).toBe('Failed');
    expect(phase([exited(1)], 'OnFailure')).toBe('Running');
    expect(phase([exited(0)], 'Always')).toBe('Running');
    expect(phase([running], 'Always', { initDone: false, initFailed: false })).toBe('Pending');
    expect(phase([], 'Never', { initDone: false, initFailed: true })).toBe('Failed');
    const backoff: ContainerView = {
      ...waiting,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: exited(1).state,
    };
    expect(phase([backoff])).toBe('Running');
  });
});

describe('restarts', () => {
  it('restarts per policy with doubling backoff', () => {
    expect(shouldRestart('Always', 0)).toBe(true);
    expect(shouldRestart('OnFailure', 0)).toBe(false);
    expect(shouldRestart('OnFailure', 1)).toBe(true);
    expect(shouldRestart('Never', 1)).toBe(false);
    const o = { baseMs: 10_000, maxMs: 300_000 };
    expect([0, 1, 2, 3, 6, 10].map((n) => restartDelay(n, o))).toEqual([
      0, 10_000, 20_000, 40_000, 300_000, 300_000,
    ]);
  });
});

describe('conditions', () => {
  it('reports readiness and keeps transition times', () => {
    const conds = podConditions({
      phase: 'Running',
      sandboxReady: true,
      initIncomplete: [],
      unready: ['b'],
      gatesFailing: [],
    });
    expect(conds.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [b]',
    });
    const t1 = withTransitions(conds, undefined, 'T1');
    const t2 = withTransitions(conds, t1, 'T2');
    expect(t2.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('T1');
    const ready = podConditions({
      phase: 'Running',
      sandboxReady: true,
      initIncomplete: [],
      unready: [],
      gatesFailing: [],
    });
    expect(withTransitions(ready, t2, 'T3').find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      lastTransitionTime: 'T3',
    });
    const done = podConditions({
      phase: 'Succeeded',
      sandboxReady: true,
      initIncomplete: [],
      unready: [],
      gatesFailing: [],
    });
    expect(done.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PodCompleted',
    });
  });

  it('classifies QoS', () => {
    expect(qosClass([{}])).toBe('BestEffort');
    expect(qosClass([{ resources: { limits: { cpu: '1', memory: '1Gi' } } }])).toBe('Guaranteed');
    expect(qosClass([{ resources: { requests: { cpu: '1' } } }])).toBe('Burstable');
  });
});

describe('kubelet files', () => {
  it('writes /etc/hosts and /etc/resolv.conf like the kubelet', () => {
    expect(hostsFile('10.0.0.5', 'web-0', 'web', 'prod')).toContain(
      '10.0.0.5\tweb-0.web.prod.svc.cluster.local\tweb-0\n',
    );
    expect(hostsFile('10.0.0.5', 'pod', undefined, 'prod')).toContain('127.0.0.1\tlocalhost\n');
    expect(resolvConf('prod', '10.244.1.1')).toBe(
      'search prod.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.244.1.1\noptions ndots:5\n',
    );
    expect(
      resolvConf('prod', '10.244.1.1', { options: [{ name: 'ndots', value: '2' }] }),
    ).toContain('options ndots:2\n');
  });
});
