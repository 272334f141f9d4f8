import { BackupError } from './errors.ts';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Decoded Secret data: key -> value (strings as in stringData, or Buffers). */
export type SecretData = Readonly<Record<string, string | Buffer | undefined>>;

const ACCESS_KEY_NAMES = ['AWS_ACCESS_KEY_ID', 'accessKey', 'accessKeyId', 'access_key_id'];
const SECRET_KEY_NAMES = [
  'AWS_SECRET_ACCESS_KEY',
  'secretKey',
  'secretAccessKey',
  'secret_access_key',
];
const SESSION_TOKEN_NAMES = ['AWS_SESSION_TOKEN', 'sessionToken', 'session_token'];

function pick(data: SecretData, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = data[n];
    if (v !== undefined) {
      const s = (Buffer.isBuffer(v) ? v.toString('utf8') : v).trim();
      if (s) return s;
    }
  }
  return undefined;
}

/**
 * S3 credentials from a Kubernetes Secret's decoded data. The Secret is named only for messages,
 * so the package needs no Kubernetes client: the operator reads the Secret and passes its data.
 */
export function s3CredentialsFromSecret(
  data: SecretData,
  secretName = 'the credentials Secret',
): S3Credentials {
  const accessKeyId = pick(data, ACCESS_KEY_NAMES);
  const secretAccessKey = pick(data, SECRET_KEY_NAMES);
  const missing: string[] = [];
  if (!accessKeyId) missing.push(`${ACCESS_KEY_NAMES[0]} (or ${ACCESS_KEY_NAMES[1]})`);
  if (!secretAccessKey) missing.push(`${SECRET_KEY_NAMES[0]} (or ${SECRET_KEY_NAMES[1]})`);
  if (missing.length > 0 || !accessKeyId || !secretAccessKey)
    throw new BackupError(
      'MissingSecretKey',
      `Secret ${secretName} has no key ${missing.join(' and no key ')}; present keys: ${
        Object.keys(data).sort().join(', ') || '(none)'
      }`,
    );
  const sessionToken = pick(data, SESSION_TOKEN_NAMES);
  return sessionToken
    ? { accessKeyId, secretAccessKey, sessionToken }
    : { accessKeyId, secretAccessKey };
}

/** A 32-byte AES key from a Secret: raw 32 bytes, 64 hex characters or base64 of 32 bytes. */
export function encryptionKeyFromSecret(
  data: SecretData,
  secretName = 'the encryption Secret',
  keyName = 'key',
): Buffer {
  const v = data[keyName];
  if (v === undefined)
    throw new BackupError(
      'MissingSecretKey',
      `Secret ${secretName} has no key ${keyName}; present keys: ${Object.keys(data).sort().join(', ') || '(none)'}`,
    );
  const key = decodeKey(v);
  if (!key)
    throw new BackupError(
      'InvalidEncryptionKey',
      `Secret ${secretName} key ${keyName} is not a 256-bit key (give 32 raw bytes, 64 hex characters or base64 of 32 bytes)`,
    );
  return key;
}

function decodeKey(v: string | Buffer): Buffer | undefined {
  if (Buffer.isBuffer(v) && v.length === 32) return Buffer.from(v);
  const s = (Buffer.isBuffer(v) ? v.toString('utf8') : v).trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    const b = Buffer.from(s, 'base64');
    if (b.length === 32) return b;
  }
  if (!Buffer.isBuffer(v) && Buffer.byteLength(v) === 32) return Buffer.from(v, 'utf8');
  return undefined;
}

/** Decodes a Secret's `data` (base64 values, as the API returns them) into SecretData. */
export function decodeSecretData(
  data: Readonly<Record<string, string>> | undefined,
): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}
