import { describe as suite, expect, it } from 'vitest';
import { clusterConditions, describe } from './conditions.ts';
import type { Decision } from './decide.ts';

const d = (action: Decision['action'], extra: Partial<Decision> = {}): Decision => ({
  action,
  podImage: 'img',
  ...extra,
});

function byType(list: ReturnType<typeof clusterConditions>) {
  return Object.fromEntries(list.map((c) => [c.type, c]));
}

suite('cluster conditions', () => {
  it('ready cluster', () => {
    const c = byType(
      clusterConditions({
        decision: d({ type: 'none', reason: 'Ready' }),
        size: 3,
        voters: 3,
        healthyVoters: 3,
        quorum: true,
        generation: 4,
      }),
    );
    expect(c.Ready).toMatchObject({
      status: 'True',
      reason: 'AllMembersHealthy',
      observedGeneration: 4,
    });
    expect(c.Available?.status).toBe('True');
    expect(c.Progressing?.status).toBe('False');
    expect(c.Degraded?.status).toBe('False');
    expect(c.SizeWarning?.status).toBe('False');
  });
  it('scaling up', () => {
    const c = byType(
      clusterConditions({
        decision: d({ type: 'addLearner', member: { name: 'c-3', ordinal: 3 }, peerURL: 'u' }),
        size: 5,
        voters: 3,
        healthyVoters: 3,
        quorum: true,
      }),
    );
    expect(c.Scaling).toMatchObject({ status: 'True', message: 'adding c-3 as a learner' });
    expect(c.Progressing).toMatchObject({ status: 'True', reason: 'AddingMember' });
    expect(c.Ready?.status).toBe('False');
    expect(c.SizeWarning?.status).toBe('False');
  });
  it('lost quorum', () => {
    const c = byType(
      clusterConditions({
        decision: d({ type: 'degraded', reason: 'LostQuorum', message: 'do X', requeueAfterMs: 1 }),
        size: 3,
        voters: 3,
        healthyVoters: 0,
        quorum: false,
      }),
    );
    expect(c.Available).toMatchObject({ status: 'False', reason: 'LostQuorum' });
    expect(c.Degraded).toMatchObject({ status: 'True', reason: 'LostQuorum', message: 'do X' });
    expect(c.Progressing?.status).toBe('False');
  });
  it('upgrade blocked, paused, recovering, even size', () => {
    const blocked = byType(
      clusterConditions({
        decision: d(
          { type: 'none', reason: 'Ready' },
          { upgradeBlocked: { reason: 'Downgrade', message: 'no' } },
        ),
        size: 4,
        voters: 4,
        healthyVoters: 4,
        quorum: true,
      }),
    );
    expect(blocked.UpgradeBlocked).toMatchObject({ status: 'True', reason: 'Downgrade' });
    expect(blocked.SizeWarning).toMatchObject({ status: 'True', reason: 'EvenSize' });
    const paused = byType(
      clusterConditions({
        decision: d({ type: 'none', reason: 'Paused' }),
        size: 3,
        voters: 3,
        healthyVoters: 2,
        quorum: true,
      }),
    );
    expect(paused.Paused?.status).toBe('True');
    expect(paused.Ready?.reason).toBe('Paused');
    const rec = byType(
      clusterConditions({
        decision: d({ type: 'recoverFromBackup', reason: 'x' }),
        size: 3,
        voters: 3,
        healthyVoters: 0,
        quorum: false,
      }),
    );
    expect(rec.Recovering?.status).toBe('True');
    const up = byType(
      clusterConditions({
        decision: d({
          type: 'upgradeMember',
          member: { name: 'c-1', ordinal: 1 },
          fromImage: 'a',
          toImage: 'b',
          reason: 'image',
        }),
        size: 3,
        voters: 3,
        healthyVoters: 3,
        quorum: true,
      }),
    );
    expect(up.Upgrading?.status).toBe('True');
  });
  it('reasons are valid condition reasons', () => {
    const list = clusterConditions({
      decision: d({ type: 'wait', reason: 'x', requeueAfterMs: 1 }),
      size: 3,
      voters: 3,
      healthyVoters: 3,
      quorum: true,
    });
    for (const c of list) expect(c.reason).toMatch(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/);
    expect(describe(d({ type: 'deletePvc', pvc: 'p', reason: 'r' }))).toBe('deleting PVC p (r)');
  });
});
