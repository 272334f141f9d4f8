// Schemas shared by the etcd.opsmith.io resources.
import * as k from '../../dsl.ts';

export const ETCD_GROUP = 'etcd.opsmith.io';

/** etcd versions are MAJOR.MINOR.PATCH without a "v" (the image tag adds it). */
export const VERSION_PATTERN = '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)$';

/** s3://bucket[/prefix] or file:///absolute/path, as packages/backup-storage parses them. */
export const BACKUP_URL_PATTERN =
  '^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^?#]*)?|file:///[^?#]+)$';

export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';

export const secretRef = (description: string) =>
  k.string({ description, pattern: DNS_SUBDOMAIN_PATTERN, maxLength: 253 });

/** Where a backup lives, and the credentials to reach it. */
export const BackupLocation = k.object(
  {
    url: k.string({
      description:
        'Backup location: s3://bucket/prefix (S3 or S3-compatible) or file:///path (a mounted volume).',
      pattern: BACKUP_URL_PATTERN,
      maxLength: 1024,
    }),
    endpoint: k.optional(
      k.string({
        description: 'S3 endpoint URL for S3-compatible servers (MinIO, Ceph); AWS when unset.',
        pattern: '^https?://[^\\s]+$',
      }),
    ),
    region: k.optional(k.string({ description: 'S3 region.', maxLength: 64 })),
    forcePathStyle: k.optional(
      k.boolean({ description: 'Path-style S3 addressing (most S3-compatible servers need it).' }),
    ),
    credentialsSecret: k.optional(
      secretRef(
        'Secret with accessKeyId and secretAccessKey (and optionally sessionToken) for S3.',
      ),
    ),
  },
  {
    title: 'BackupLocation',
    description: 'A backup location understood by the backup agent.',
    validations: [
      {
        rule: "!self.url.startsWith('file:') || !has(self.endpoint)",
        message: 'endpoint applies to s3:// locations only',
        fieldPath: '.endpoint',
      },
    ],
  },
);
