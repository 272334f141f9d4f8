// Compact RS256 JSON Web Tokens with node:crypto: what service-account tokens are on a real cluster.
import { createHash, sign, verify, type KeyObject } from 'node:crypto';

export type JwtClaims = Record<string, unknown>;

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** The key id a real API server puts in the header: base64url(sha256(DER public key)). */
export function keyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

export function signJwt(claims: JwtClaims, privateKey: KeyObject, kid: string): string {
  const header = b64url(JSON.stringify({ alg: 'RS256', kid }));
  const payload = b64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

export type VerifyResult = { ok: true; claims: JwtClaims } | { ok: false; error: string };

/** Checks shape and signature only; claim semantics (time, audience, issuer) are the caller's. */
export function verifyJwt(token: string, publicKey: KeyObject): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, error: 'not a JWT' };
  const [header, payload, signature] = parts as [string, string, string];
  let parsedHeader: unknown;
  let claims: unknown;
  try {
    parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, error: 'malformed JWT' };
  }
  if (
    typeof parsedHeader !== 'object' ||
    parsedHeader === null ||
    (parsedHeader as { alg?: unknown }).alg !== 'RS256'
  ) {
    return { ok: false, error: 'unsupported signing algorithm' };
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
    return { ok: false, error: 'malformed JWT' };
  const valid = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    publicKey,
    Buffer.from(signature, 'base64url'),
  );
  if (!valid) return { ok: false, error: 'invalid signature' };
  return { ok: true, claims: claims as JwtClaims };
}
