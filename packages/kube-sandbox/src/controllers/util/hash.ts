// Template hashes: FNV-1a 32-bit over a stable JSON rendering, encoded with the alphabet k8s uses
// for generated names (rand.SafeEncodeString), so hashes look like real pod-template-hash values.
import { semanticNormalize, stableStringify } from './objects.ts';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) {
    hash ^= b;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function safeEncode(text: string): string {
  let out = '';
  for (const ch of text) out += SAFE_ALPHABET[ch.charCodeAt(0) % SAFE_ALPHABET.length];
  return out;
}

/** Hash of a pod template (plus collisionCount when set), as a short DNS-safe string. */
export function templateHash(template: unknown, collisionCount?: number): string {
  const base =
    stableStringify(semanticNormalize(template) ?? {}) +
    (collisionCount ? `#${collisionCount}` : '');
  return safeEncode(String(fnv32a(base)));
}
