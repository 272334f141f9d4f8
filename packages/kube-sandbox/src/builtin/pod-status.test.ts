import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/types.ts';
import { podRow } from './pod-status.ts';

const now = new Date('2024-05-01T12:00:00Z');

function pod(
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
  meta: Record<string, unknown> = {},
): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...meta }, spec, status };
}

const oneContainer = { containers: [{ name: 'app', image: 'nginx' }] };
const running = { running: { startedAt: '2024-05-01T11:00:00Z' } };

/** The kubectl row of a one-container pod in `phase` whose container "app" is in `state`. */
function appRow(
  phase: string,
  state: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  const app = { name: 'app', ready: false, restartCount: 0, state, ...extra };
  return podRow(pod(oneContainer, { phase, containerStatuses: [app] }), now);
}

describe('pod STATUS/READY/RESTARTS like kubectl', () => {
  it('Pending pod with no statuses', () => {
    expect(podRow(pod(oneContainer, { phase: 'Pending' }), now)).toEqual({
      ready: '0/1',
      status: 'Pending',
      restarts: '0',
    });
  });

  it('ContainerCreating while waiting', () => {
    const row = appRow('Pending', { waiting: { reason: 'ContainerCreating' } });
    expect(row.status).toBe('ContainerCreating');
  });

  it('Running and ready', () => {
    const row = appRow('Running', running, { ready: true });
    expect(row).toEqual({ ready: '1/1', status: 'Running', restarts: '0' });
  });

  it('CrashLoopBackOff with restarts and the time of the last one', () => {
    const row = appRow(
      'Running',
      { waiting: { reason: 'CrashLoopBackOff' } },
      {
        restartCount: 4,
        lastState: {
          terminated: { exitCode: 1, reason: 'Error', finishedAt: '2024-05-01T11:58:00Z' },
        },
      },
    );
    expect(row).toEqual({ ready: '0/1', status: 'CrashLoopBackOff', restarts: '4 (2m ago)' });
  });

  it('ImagePullBackOff', () => {
    const row = appRow('Pending', { waiting: { reason: 'ImagePullBackOff' } });
    expect(row.status).toBe('ImagePullBackOff');
  });

  it('Completed and Error from terminated containers', () => {
    const done = appRow('Succeeded', { terminated: { exitCode: 0, reason: 'Completed' } });
    expect(done.status).toBe('Completed');
    const failed = appRow('Failed', { terminated: { exitCode: 2, reason: 'Error' } });
    expect(failed.status).toBe('Error');
    const noReason = appRow('Failed', { terminated: { exitCode: 137 } });
    expect(noReason.status).toBe('ExitCode:137');
    const signal = appRow('Failed', { terminated: { exitCode: 0, signal: 9 } });
    expect(signal.status).toBe('Signal:9');
  });

  it('Init:0/1 while the init container runs, Init:Error when it fails, Init:CrashLoopBackOff', () => {
    const spec = { initContainers: [{ name: 'init', image: 'busybox' }], ...oneContainer };
    const initRunning = podRow(
      pod(spec, {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: running }],
        containerStatuses: [
          { name: 'app', ready: false, state: { waiting: { reason: 'PodInitializing' } } },
        ],
      }),
      now,
    );
    expect(initRunning).toEqual({ ready: '0/1', status: 'Init:0/1', restarts: '0' });
    const initFailed = podRow(
      pod(spec, {
        phase: 'Pending',
        initContainerStatuses: [
          {
            name: 'init',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 1, reason: 'Error' } },
          },
        ],
      }),
      now,
    );
    expect(initFailed.status).toBe('Init:Error');
    const initLoop = podRow(
      pod(spec, {
        phase: 'Pending',
        initContainerStatuses: [
          {
            name: 'init',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
          },
        ],
      }),
      now,
    );
    expect(initLoop).toEqual({ ready: '0/1', status: 'Init:CrashLoopBackOff', restarts: '3' });
  });

  it('counts a started sidecar (restartable init container) in READY', () => {
    const spec = {
      initContainers: [{ name: 'side', image: 'envoy', restartPolicy: 'Always' }],
      ...oneContainer,
    };
    const row = podRow(
      pod(spec, {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [
          { name: 'side', ready: true, started: true, restartCount: 0, state: running },
        ],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
      }),
      now,
    );
    expect(row).toEqual({ ready: '2/2', status: 'Running', restarts: '0' });
  });

  it('Terminating once deletionTimestamp is set on a non-terminal pod', () => {
    const row = podRow(
      pod(
        oneContainer,
        { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: running }] },
        { deletionTimestamp: '2024-05-01T11:59:00Z' },
      ),
      now,
    );
    expect(row.status).toBe('Terminating');
  });

  it('Running (not Completed) while another container still runs, NotReady without Ready condition', () => {
    const spec = {
      containers: [
        { name: 'a', image: 'x' },
        { name: 'b', image: 'y' },
      ],
    };
    const statuses = [
      { name: 'a', ready: true, state: running },
      { name: 'b', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    ];
    expect(
      podRow(
        pod(spec, {
          phase: 'Running',
          containerStatuses: statuses,
          conditions: [{ type: 'Ready', status: 'True' }],
        }),
        now,
      ).status,
    ).toBe('Running');
    expect(podRow(pod(spec, { phase: 'Running', containerStatuses: statuses }), now).status).toBe(
      'NotReady',
    );
  });

  it('uses status.reason (Evicted) and SchedulingGated', () => {
    expect(podRow(pod(oneContainer, { phase: 'Failed', reason: 'Evicted' }), now).status).toBe(
      'Evicted',
    );
    expect(
      podRow(
        pod(oneContainer, {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
        }),
        now,
      ).status,
    ).toBe('SchedulingGated');
  });
});
