// Opens a backup location with the credentials of the Secret it names. Secret values go straight
// into the storage driver: they are never logged, put in status or sent through the queue.
import {
  BackupError,
  decodeSecretData,
  openStorageFromSpec,
  type BackupStorage,
  type StorageRef,
} from '@opsmith/backup-storage';
import { isNotFound, type KubeClient, type KubeObject } from '@opsmith/k8s-runtime';
import type { BackupLocation } from './types.ts';

const SECRET = { apiVersion: 'v1', kind: 'Secret' };

/** The queue's reference form of a location (names only, no secret values). */
export function storageRef(l: BackupLocation): StorageRef {
  return {
    location: l.url,
    ...(l.endpoint !== undefined ? { endpoint: l.endpoint } : {}),
    ...(l.region !== undefined ? { region: l.region } : {}),
    ...(l.forcePathStyle !== undefined ? { forcePathStyle: l.forcePathStyle } : {}),
    ...(l.credentialsSecret !== undefined ? { credentialsSecret: l.credentialsSecret } : {}),
  };
}

export async function openLocation(
  kube: KubeClient,
  namespace: string,
  ref: StorageRef,
): Promise<BackupStorage> {
  let secret: { name: string; data: ReturnType<typeof decodeSecretData> } | undefined;
  if (ref.credentialsSecret) {
    let obj: (KubeObject & { data?: Record<string, string> }) | undefined;
    try {
      obj = await kube.get(SECRET, ref.credentialsSecret, namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!obj) {
      throw new BackupError(
        'MissingSecretKey',
        `Secret ${namespace}/${ref.credentialsSecret} (credentialsSecret) does not exist; create it with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      );
    }
    secret = { name: `${namespace}/${ref.credentialsSecret}`, data: decodeSecretData(obj.data) };
  }
  const { credentialsSecret: _omit, ...spec } = ref;
  return openStorageFromSpec(spec, secret);
}
