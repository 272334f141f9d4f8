import { isBackupError } from './errors.ts';
import { MANIFEST_NAME, type BackupManifest } from './manifest.ts';
import { readManifest } from './restore.ts';
import type { BackupStorage, ObjectInfo } from './storage.ts';

export interface StoredObjects {
  /** Backup ids that have a manifest. */
  withManifest: Set<string>;
  /** Every object, grouped by backup id (the first key segment). */
  byId: Map<string, ObjectInfo[]>;
}

export async function scanObjects(storage: BackupStorage): Promise<StoredObjects> {
  const withManifest = new Set<string>();
  const byId = new Map<string, ObjectInfo[]>();
  for await (const o of storage.list('')) {
    const slash = o.key.indexOf('/');
    if (slash <= 0) continue;
    const id = o.key.slice(0, slash);
    if (o.key === `${id}/${MANIFEST_NAME}`) withManifest.add(id);
    const list = byId.get(id) ?? [];
    list.push(o);
    byId.set(id, list);
  }
  return { withManifest, byId };
}

export interface ListBackupsOptions {
  /** Called for manifests that exist but cannot be used (corrupt, unsupported version). */
  onInvalid?: (id: string, err: unknown) => void;
}

/** Complete backups (those with a valid manifest), newest first. */
export async function listBackups(
  storage: BackupStorage,
  opts: ListBackupsOptions = {},
): Promise<BackupManifest[]> {
  const { withManifest } = await scanObjects(storage);
  const out: BackupManifest[] = [];
  for (const id of withManifest) {
    try {
      const m = await readManifest(storage, id);
      if (m) out.push(m); // gone meanwhile: deleted by a concurrent retention run
    } catch (err) {
      if (isBackupError(err, 'IntegrityError') || isBackupError(err, 'InvalidArgument'))
        opts.onInvalid?.(id, err);
      else throw err;
    }
  }
  return out.sort(newestFirst);
}

export function newestFirst(a: BackupManifest, b: BackupManifest): number {
  return (
    Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
  );
}

/** The newest complete backup, optionally only verified ones. */
export async function latestBackup(
  storage: BackupStorage,
  opts: { verifiedOnly?: boolean } = {},
): Promise<BackupManifest | undefined> {
  const all = await listBackups(storage);
  return opts.verifiedOnly ? all.find((m) => m.verifiedAt) : all[0];
}
