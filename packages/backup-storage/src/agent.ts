/**
 * backup-agent: fetch, verify or list backups from inside a pod (init container or Job) with
 * only the credentials Secret mounted. Exit codes name the kind of problem (see EXIT).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { latestBackup, listBackups } from './catalog.ts';
import {
  encryptionKeyFromSecret,
  s3CredentialsFromSecret,
  type S3Credentials,
  type SecretData,
} from './credentials.ts';
import { BackupError, errorMessage, type BackupErrorCode } from './errors.ts';
import { parseLocation } from './location.ts';
import type { BackupManifest } from './manifest.ts';
import { openStorage } from './open-storage.ts';
import { fetchBackupToFile, requireManifest, restoreBackup, verifyBackup } from './restore.ts';
import type { BackupStorage } from './storage.ts';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  integrity: 4,
  credentials: 5,
  unavailable: 6,
} as const;

const USAGE = `usage: backup-agent <fetch|verify|list> [options]
  fetch   --location URL --backup ID|latest --output PATH|-   fetch, verify, then place the file
  verify  --location URL --backup ID|latest                   re-read and check a backup
  list    --location URL                                      complete backups, newest first (JSON lines)
options (env fallback in brackets):
  --location URL           s3://bucket/prefix or file:///dir            [BACKUP_LOCATION]
  --backup ID              backup id or "latest"                         [BACKUP_ID]
  --output PATH            destination file, "-" for stdout             [BACKUP_OUTPUT]
  --endpoint URL           S3-compatible endpoint                        [AWS_ENDPOINT_URL_S3, S3_ENDPOINT]
  --region NAME            S3 region (default us-east-1)                 [AWS_REGION]
  --path-style / --virtual-host   S3 addressing (default path-style when an endpoint is set)
  --credentials-dir DIR    a mounted Secret: files AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
                           [BACKUP_CREDENTIALS_DIR]; otherwise env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
  --encryption-key-file F  file holding the 32-byte key (raw, hex or base64) [BACKUP_ENCRYPTION_KEY_FILE]
  --timeout SECONDS        give up after this long (default 3600)        [BACKUP_TIMEOUT]
exit codes: 0 ok, 1 other failure, 2 bad usage or input, 3 backup not found, 4 integrity or
decryption failure, 5 credentials or access denied, 6 storage unreachable or timed out`;

export interface AgentIO {
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
}

const EXIT_BY_CODE: Record<BackupErrorCode, number> = {
  InvalidLocation: EXIT.usage,
  InvalidArgument: EXIT.usage,
  MissingSecretKey: EXIT.credentials,
  InvalidEncryptionKey: EXIT.credentials,
  AccessDenied: EXIT.credentials,
  NotFound: EXIT.notFound,
  NoSuchBucket: EXIT.notFound,
  IntegrityError: EXIT.integrity,
  DecryptionFailed: EXIT.integrity,
  Incomplete: EXIT.integrity,
  Unavailable: EXIT.unavailable,
  Timeout: EXIT.unavailable,
  Cancelled: EXIT.failure,
  StorageError: EXIT.failure,
};

/** Reads a mounted Secret directory: one file per key; skips the ..data bookkeeping entries. */
export async function readSecretDir(dir: string): Promise<SecretData> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new BackupError(
      'MissingSecretKey',
      `credentials directory ${dir} cannot be read: ${errorMessage(err)}`,
    );
  }
  const data: Record<string, Buffer> = {};
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if ((await stat(p)).isFile()) data[name] = await readFile(p);
  }
  return data;
}

async function credentialsFrom(
  dir: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<S3Credentials | undefined> {
  if (dir) return s3CredentialsFromSecret(await readSecretDir(dir), `mounted at ${dir}`);
  if (env.AWS_ACCESS_KEY_ID || env.AWS_SECRET_ACCESS_KEY)
    return s3CredentialsFromSecret(
      {
        AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
        AWS_SESSION_TOKEN: env.AWS_SESSION_TOKEN,
      },
      'from the environment',
    );
  return undefined; // the SDK's default chain (e.g. web identity) applies
}

function usageError(msg: string): BackupError {
  return new BackupError('InvalidArgument', `${msg}\n${USAGE}`);
}

async function resolve(storage: BackupStorage, id: string): Promise<BackupManifest> {
  if (id !== 'latest') return requireManifest(storage, id);
  const m = await latestBackup(storage);
  if (!m) throw new BackupError('NotFound', `no complete backup in ${storage.url}`);
  return m;
}

async function runCommand(
  argv: string[],
  io: AgentIO,
  signal: AbortSignal,
  timeoutS: number,
): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      location: { type: 'string' },
      backup: { type: 'string' },
      output: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      'path-style': { type: 'boolean' },
      'virtual-host': { type: 'boolean' },
      'credentials-dir': { type: 'string' },
      'encryption-key-file': { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const env = io.env;
  const [command, ...extra] = positionals;
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!command || !['fetch', 'verify', 'list'].includes(command))
    throw usageError(`unknown or missing command ${command ?? ''}`.trim());
  if (extra.length) throw usageError(`unexpected arguments: ${extra.join(' ')}`);
  const location = values.location ?? env.BACKUP_LOCATION;
  if (!location) throw usageError('--location is required');
  const loc = parseLocation(location);
  const endpoint = values.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.S3_ENDPOINT;
  if (endpoint !== undefined) {
    try {
      new URL(endpoint);
    } catch {
      throw usageError(`--endpoint ${JSON.stringify(endpoint)} is not a URL`);
    }
  }
  const credentials =
    loc.kind === 's3'
      ? await credentialsFrom(values['credentials-dir'] ?? env.BACKUP_CREDENTIALS_DIR, env)
      : undefined;
  const storage = openStorage(location, {
    s3: {
      ...(endpoint ? { endpoint } : {}),
      region: values.region ?? env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: values['virtual-host']
        ? false
        : (values['path-style'] ?? endpoint !== undefined),
      ...(credentials ? { credentials } : {}),
      maxAttempts: 4,
      idleTimeoutMs: Math.min(60_000, timeoutS * 1000),
    },
  });
  const keyFile = values['encryption-key-file'] ?? env.BACKUP_ENCRYPTION_KEY_FILE;
  let key: Buffer | undefined;
  if (keyFile) {
    const content = await readFile(keyFile).catch((err: unknown) => {
      throw new BackupError(
        'InvalidEncryptionKey',
        `encryption key file ${keyFile} cannot be read: ${errorMessage(err)}`,
      );
    });
    key = encryptionKeyFromSecret({ key: content }, `file ${keyFile}`, 'key');
  }
  await storage.check(signal);

  if (command === 'list') {
    for (const m of await listBackups(storage))
      io.stdout.write(
        `${JSON.stringify({ id: m.id, createdAt: m.createdAt, size: m.size, position: m.position, verified: m.verifiedAt !== undefined })}\n`,
      );
    return;
  }
  const id = values.backup ?? env.BACKUP_ID;
  if (!id) throw usageError('--backup is required (an id or "latest")');
  const m = await resolve(storage, id);
  if (command === 'verify') {
    await verifyBackup(storage, m, { key, signal });
    io.stderr.write(`backup ${m.id} verified: ${m.size} bytes, sha256 ${m.rawSha256}\n`);
    return;
  }
  const output = values.output ?? env.BACKUP_OUTPUT;
  if (!output) throw usageError('--output is required (a file path or "-" for stdout)');
  if (output === '-') await restoreBackup(storage, m, io.stdout, { key, signal });
  else await fetchBackupToFile(storage, m, output, { key, signal });
  io.stderr.write(
    `backup ${m.id} fetched and verified${output === '-' ? '' : ` into ${output}`}: ${m.size} bytes, sha256 ${m.rawSha256}${
      m.position !== undefined ? `, position ${m.position}` : ''
    }\n`,
  );
}

/** Runs the agent; returns the exit code and writes one line naming the problem on failure. */
export async function runAgent(argv: string[], io: AgentIO): Promise<number> {
  const timeoutRaw = io.env.BACKUP_TIMEOUT;
  let timeoutS = 3600;
  const ti = argv.indexOf('--timeout');
  const t = ti >= 0 ? argv[ti + 1] : timeoutRaw;
  if (t !== undefined) {
    timeoutS = Number(t);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
      io.stderr.write(
        `backup-agent: --timeout ${JSON.stringify(t)} is not a positive number of seconds\n`,
      );
      return EXIT.usage;
    }
  }
  const signal = AbortSignal.timeout(timeoutS * 1000);
  try {
    await runCommand(argv, io, signal, timeoutS);
    return EXIT.ok;
  } catch (err) {
    if (signal.aborted) {
      io.stderr.write(`backup-agent: timed out after ${timeoutS} s\n`);
      return EXIT.unavailable;
    }
    if (err instanceof BackupError) {
      io.stderr.write(`backup-agent: ${err.code}: ${err.message}\n`);
      return EXIT_BY_CODE[err.code];
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`backup-agent: ${e.message}\n${USAGE}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`backup-agent: ${errorMessage(err)}\n`);
    return EXIT.failure;
  }
}

if (import.meta.main) {
  const code = await runAgent(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  });
  // Let stdout drain before exiting (restores to a pipe can be large).
  process.stdout.write('', () => process.exit(code));
}
