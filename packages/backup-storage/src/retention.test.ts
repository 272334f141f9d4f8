import { describe, expect, it } from 'vitest';
import { planOrphans, planRetention } from './retention.ts';

const now = new Date('2026-06-10T12:00:00Z');
const day = 24 * 3600_000;
const b = (id: string, daysAgo: number, verified = true) => ({
  id,
  createdAt: new Date(now.getTime() - daysAgo * day).toISOString(),
  ...(verified
    ? { verifiedAt: new Date(now.getTime() - daysAgo * day + 60_000).toISOString() }
    : {}),
});

describe('planRetention', () => {
  const backups = [b('d5', 5), b('d1', 1), b('d3', 3), b('d10', 10), b('d2', 2)];

  it('keeps the newest N', () => {
    const plan = planRetention(backups, { keepLast: 2 }, now);
    expect(plan.keep).toEqual(['d1', 'd2']);
    expect(plan.delete).toEqual(['d3', 'd5', 'd10']);
  });

  it('keeps those newer than maxAge', () => {
    expect(planRetention(backups, { maxAgeMs: 4 * day }, now).delete).toEqual(['d5', 'd10']);
  });

  it('keeps the union when both rules are given', () => {
    expect(planRetention(backups, { keepLast: 4, maxAgeMs: 2.5 * day }, now).delete).toEqual([
      'd10',
    ]);
    expect(planRetention(backups, { keepLast: 1, maxAgeMs: 2.5 * day }, now).keep).toEqual([
      'd1',
      'd2',
    ]);
  });

  it('never deletes the newest verified backup, even when every rule would', () => {
    const onlyOld = [b('old-unverified', 1, false), b('old-verified', 20), b('older', 30)];
    const plan = planRetention(onlyOld, { maxAgeMs: 0.5 * day }, now);
    expect(plan.keep).toEqual(['old-verified']);
    expect(plan.reasons['old-verified']).toEqual(['newest verified backup']);
    expect(plan.delete).toEqual(['old-unverified', 'older']);
  });

  it('keeps the newest backup when none is verified', () => {
    const plan = planRetention([b('x', 9, false), b('y', 8, false)], { maxAgeMs: day }, now);
    expect(plan.keep).toEqual(['y']);
  });

  it('deletes nothing without a rule and rejects nonsense rules', () => {
    expect(planRetention(backups, {}, now).delete).toEqual([]);
    expect(() => planRetention(backups, { keepLast: 0 }, now)).toThrow(/keepLast/);
    expect(() => planRetention(backups, { maxAgeMs: -1 }, now)).toThrow(/maxAge/);
  });

  it('is stable for two runs planned from overlapping views', () => {
    const later = [...backups, b('d0', 0)];
    const first = planRetention(backups, { keepLast: 2 }, now);
    const second = planRetention(later, { keepLast: 2 }, now);
    const survivors = later
      .map((x) => x.id)
      .filter((id) => !first.delete.includes(id) && !second.delete.includes(id));
    expect(survivors).toEqual(['d1', 'd0']);
  });
});

describe('planOrphans', () => {
  it('collects objects of backups without a manifest once older than the grace period', () => {
    const at = (h: number) => new Date(now.getTime() - h * 3600_000);
    const plan = planOrphans(
      {
        withManifest: new Set(['good']),
        byId: new Map([
          [
            'good',
            [
              { key: 'good/data', lastModified: at(50) },
              { key: 'good/manifest.json', lastModified: at(50) },
              { key: 'good/data.partial-ab12', lastModified: at(49) },
            ],
          ],
          ['killed', [{ key: 'killed/data', lastModified: at(30) }]],
          ['running', [{ key: 'running/data', lastModified: at(1) }]],
        ]),
      },
      now,
      24 * 3600_000,
    );
    expect(plan).toEqual(['good/data.partial-ab12', 'killed/data']);
  });
});
