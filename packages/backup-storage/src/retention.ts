import { scanObjects, listBackups } from './catalog.ts';
import { BackupError } from './errors.ts';
import { manifestKey, type BackupManifest } from './manifest.ts';
import { PARTIAL_MARK } from './fs-storage.ts';
import type { BackupStorage } from './storage.ts';

export interface RetentionPolicy {
  /** Keep the newest N backups. */
  keepLast?: number;
  /** Keep backups created less than this many milliseconds ago. */
  maxAgeMs?: number;
}

export interface RetentionPlan {
  keep: string[];
  delete: string[];
  /** Why each kept backup is kept. */
  reasons: Record<string, string[]>;
}

export function validateRetentionPolicy(p: RetentionPolicy): void {
  if (p.keepLast !== undefined && (!Number.isInteger(p.keepLast) || p.keepLast < 1))
    throw new BackupError(
      'InvalidArgument',
      `retention keepLast must be an integer >= 1, got ${p.keepLast}`,
    );
  if (p.maxAgeMs !== undefined && (!Number.isFinite(p.maxAgeMs) || p.maxAgeMs <= 0))
    throw new BackupError(
      'InvalidArgument',
      `retention maxAge must be positive, got ${p.maxAgeMs} ms`,
    );
}

/**
 * Pure retention decision. A backup is kept when ANY rule keeps it (the union of keepLast
 * and maxAge); with no rule nothing is deleted. The newest verified backup is always kept,
 * and when none is verified, the newest backup is.
 */
export function planRetention(
  backups: readonly Pick<BackupManifest, 'id' | 'createdAt' | 'verifiedAt'>[],
  policy: RetentionPolicy,
  now: Date,
): RetentionPlan {
  validateRetentionPolicy(policy);
  const sorted = [...backups].sort(
    (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1),
  );
  const reasons: Record<string, string[]> = {};
  const why = (id: string, r: string) => (reasons[id] ??= []).push(r);
  const noRule = policy.keepLast === undefined && policy.maxAgeMs === undefined;
  sorted.forEach((b, i) => {
    if (noRule) why(b.id, 'no retention rule');
    if (policy.keepLast !== undefined && i < policy.keepLast)
      why(b.id, `among the newest ${policy.keepLast}`);
    if (policy.maxAgeMs !== undefined && now.getTime() - Date.parse(b.createdAt) < policy.maxAgeMs)
      why(b.id, 'newer than maxAge');
  });
  const anchor = sorted.find((b) => b.verifiedAt) ?? sorted[0];
  if (anchor)
    why(anchor.id, anchor.verifiedAt ? 'newest verified backup' : 'newest backup (none verified)');
  return {
    keep: sorted.filter((b) => reasons[b.id]).map((b) => b.id),
    delete: sorted.filter((b) => !reasons[b.id]).map((b) => b.id),
    reasons,
  };
}

/** Deletes one backup: manifest first, so an interrupted delete never leaves a usable-looking backup. */
export async function deleteBackup(storage: BackupStorage, id: string): Promise<void> {
  await storage.delete(manifestKey(id));
  for await (const o of storage.list(`${id}/`)) await storage.delete(o.key);
}

export interface RetentionResult extends RetentionPlan {
  /** Orphaned objects (no manifest, older than the grace period) removed. */
  orphansDeleted: string[];
}

/**
 * Applies a retention policy and collects orphans. Safe when runs overlap: deletes are
 * idempotent, a manifest that vanished meanwhile is skipped, and each run protects the newest
 * verified backup it sees, which no other run deletes while a newer one does not exist.
 */
export async function applyRetention(
  storage: BackupStorage,
  policy: RetentionPolicy,
  opts: { now?: Date; orphanGraceMs?: number; dryRun?: boolean } = {},
): Promise<RetentionResult> {
  const now = opts.now ?? new Date();
  const backups = await listBackups(storage);
  const plan = planRetention(backups, policy, now);
  if (!opts.dryRun) for (const id of plan.delete) await deleteBackup(storage, id);
  const orphansDeleted = await collectOrphans(storage, {
    now,
    graceMs: opts.orphanGraceMs ?? 24 * 3600_000,
    dryRun: opts.dryRun,
  });
  return { ...plan, orphansDeleted };
}

/** Objects of backups without a manifest: interrupted uploads, half-deleted backups. */
export function planOrphans(
  objects: {
    withManifest: ReadonlySet<string>;
    byId: ReadonlyMap<string, { key: string; lastModified: Date }[]>;
  },
  now: Date,
  graceMs: number,
): string[] {
  const out: string[] = [];
  for (const [id, objs] of objects.byId) {
    const old = (o: { lastModified: Date }) => now.getTime() - o.lastModified.getTime() > graceMs;
    if (objects.withManifest.has(id)) {
      // Leftover temp files of a filesystem write that was killed.
      out.push(...objs.filter((o) => o.key.includes(PARTIAL_MARK) && old(o)).map((o) => o.key));
      continue;
    }
    // The grace period must exceed the longest backup: until then the data may still be getting its manifest.
    if (objs.every(old)) out.push(...objs.map((o) => o.key));
  }
  return out.sort();
}

export async function collectOrphans(
  storage: BackupStorage,
  opts: { now?: Date; graceMs: number; dryRun?: boolean },
): Promise<string[]> {
  const orphans = planOrphans(await scanObjects(storage), opts.now ?? new Date(), opts.graceMs);
  if (!opts.dryRun) for (const key of orphans) await storage.delete(key);
  return orphans;
}
