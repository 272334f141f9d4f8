// The service-account signing key pair, generated once per data directory and kept there so
// tokens stay valid across sandbox restarts (like a cluster's sa.key).
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keyId } from './jwt.ts';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
}

export const SIGNING_KEY_FILE = 'sa-signing-key.pem';

function fromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, kid: keyId(publicKey) };
}

async function generatePem(): Promise<string> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      },
      (err, _publicKey, privateKey) => (err ? reject(err) : resolve(privateKey)),
    );
  });
}

/** Loads the key from dataDir, generating and storing it on first use. */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const path = join(dataDir, SIGNING_KEY_FILE);
  try {
    return fromPem(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const pem = await generatePem();
  await mkdir(dataDir, { recursive: true });
  try {
    // 'wx': if another process raced us, keep its key.
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
    return fromPem(pem);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      return fromPem(await readFile(path, 'utf8'));
    throw err;
  }
}
