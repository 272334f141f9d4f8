import { s3CredentialsFromSecret, type SecretData } from './credentials.ts';
import { FileStorage } from './fs-storage.ts';
import { parseLocation } from './location.ts';
import { S3Storage, type S3StorageOptions } from './s3-storage.ts';
import type { BackupStorage } from './storage.ts';

export type S3ConnectionOptions = Omit<S3StorageOptions, 'bucket' | 'prefix'>;

/** Opens storage for a location URL: s3://bucket/prefix (with the S3 connection options) or file:///dir. */
export function openStorage(url: string, opts: { s3?: S3ConnectionOptions } = {}): BackupStorage {
  const loc = parseLocation(url);
  if (loc.kind === 'file') return new FileStorage(loc.path);
  return new S3Storage({ ...opts.s3, bucket: loc.bucket, prefix: loc.prefix });
}

/** The storage fields of a job or custom resource: a location plus connection settings. */
export interface StorageSpec {
  location: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  serverSideEncryption?: { algorithm: 'AES256' | 'aws:kms'; kmsKeyId?: string };
}

/**
 * Opens storage from a spec and the decoded data of its credentials Secret (read by the
 * operator with its own Kubernetes client). Without Secret data the SDK's default chain applies.
 */
export function openStorageFromSpec(
  spec: StorageSpec,
  secret?: { name: string; data: SecretData },
): BackupStorage {
  return openStorage(spec.location, {
    s3: {
      ...(spec.endpoint !== undefined ? { endpoint: spec.endpoint } : {}),
      ...(spec.region !== undefined ? { region: spec.region } : {}),
      ...(spec.forcePathStyle !== undefined ? { forcePathStyle: spec.forcePathStyle } : {}),
      ...(spec.serverSideEncryption ? { serverSideEncryption: spec.serverSideEncryption } : {}),
      ...(secret ? { credentials: s3CredentialsFromSecret(secret.data, secret.name) } : {}),
    },
  });
}
