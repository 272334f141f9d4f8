import { describe, expect, it } from 'vitest';
import { planRestore, seedFailureReason, type RestoreObserved } from './plan.ts';
import { seedFailureOf } from './controller.ts';
import { backupIdOf } from './resolve.ts';

const base = (over: Partial<RestoreObserved> = {}): RestoreObserved => ({
  spec: { source: { location: { url: 's3://b/p' } }, clusterName: 'c' },
  status: {},
  cluster: 'absent',
  leftovers: 0,
  clusterReady: false,
  ...over,
});
const resolved = { backupKey: 's3://b/p/c-1', phase: 'Pending' as const };

describe('planRestore', () => {
  it('resolves and verifies the backup before creating anything', () => {
    expect(planRestore(base())).toEqual({ type: 'resolveBackup' });
    expect(planRestore(base({ status: resolved }))).toEqual({ type: 'createCluster' });
  });
  it('never touches an existing cluster unless replaceExisting', () => {
    const a = planRestore(base({ cluster: 'foreign' }));
    expect(a).toMatchObject({ type: 'fail', reason: 'ClusterExists', cleanup: false });
    const spec = { ...base().spec, replaceExisting: true };
    expect(planRestore(base({ cluster: 'foreign', spec }))).toEqual({ type: 'resolveBackup' });
    expect(planRestore(base({ cluster: 'foreign', spec, status: resolved }))).toEqual({
      type: 'deleteExisting',
    });
  });
  it('waits for a replaced cluster to be gone before creating the new one', () => {
    expect(planRestore(base({ status: resolved, leftovers: 2 }))).toMatchObject({
      type: 'wait',
      reason: 'RemovingOldCluster',
    });
  });
  it('follows the cluster to Ready', () => {
    expect(planRestore(base({ status: resolved, cluster: 'ours' }))).toMatchObject({
      type: 'wait',
      reason: 'Restoring',
    });
    expect(planRestore(base({ status: resolved, cluster: 'ours', clusterReady: true }))).toEqual({
      type: 'succeed',
    });
  });
  it('a corrupted backup found by the seed pod fails the restore and deletes the cluster', () => {
    const a = planRestore(
      base({
        status: resolved,
        cluster: 'ours',
        seedFailure: { container: 'fetch-backup', exitCode: 4, message: 'sha256 mismatch' },
      }),
    );
    expect(a).toMatchObject({ type: 'fail', reason: 'BackupCorrupted', cleanup: true });
  });
  it('an unreachable bucket is retried by the kubelet, not failed', () => {
    const a = planRestore(
      base({
        status: resolved,
        cluster: 'ours',
        seedFailure: { container: 'fetch-backup', exitCode: 6, message: 'timeout' },
      }),
    );
    expect(a.type).toBe('wait');
  });
  it('finished restores stay finished', () => {
    expect(planRestore(base({ status: { phase: 'Failed' }, cluster: 'foreign' }))).toEqual({
      type: 'none',
    });
    expect(planRestore(base({ status: { phase: 'Succeeded' }, cluster: 'ours' }))).toEqual({
      type: 'none',
    });
  });
  it('file:// locations cannot be restored by a pod: a clear failure, nothing built', () => {
    const spec = { ...base().spec, source: { location: { url: 'file:///backups' } } };
    expect(planRestore(base({ spec }))).toMatchObject({
      type: 'fail',
      reason: 'UnsupportedLocation',
      cleanup: false,
    });
  });
  it('maps agent exit codes to reasons', () => {
    expect(seedFailureReason('fetch-backup', 3)).toBe('BackupNotFound');
    expect(seedFailureReason('fetch-backup', 5)).toBe('AccessDenied');
    expect(seedFailureReason('restore-snapshot', 1)).toBe('SnapshotRestoreFailed');
  });
});

describe('seed pod failures', () => {
  it('reads the current or last termination of the seed init containers only', () => {
    const pod = (s: Record<string, unknown>) =>
      ({ status: { initContainerStatuses: [s] } }) as unknown as Parameters<
        typeof seedFailureOf
      >[0][number];
    expect(seedFailureOf([pod({ name: 'fetch-backup', state: { running: {} } })])).toBeUndefined();
    expect(
      seedFailureOf([
        pod({
          name: 'fetch-backup',
          state: { waiting: {} },
          lastState: { terminated: { exitCode: 4, message: 'IntegrityError: bad' } },
        }),
      ]),
    ).toEqual({ container: 'fetch-backup', exitCode: 4, message: 'IntegrityError: bad' });
    expect(
      seedFailureOf([pod({ name: 'other', state: { terminated: { exitCode: 1 } } })]),
    ).toBeUndefined();
  });
});

describe('backup keys', () => {
  it('accepts a bare id or the key status.lastBackup shows', () => {
    expect(backupIdOf('s3://b/p', 'c-20260101T000000Z')).toBe('c-20260101T000000Z');
    expect(backupIdOf('s3://b/p/', 's3://b/p/c-1')).toBe('c-1');
    expect(backupIdOf('file:///backups', 'file:///backups/c-2/')).toBe('c-2');
  });
});
