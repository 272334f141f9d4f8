// List helpers: resourceVersion parsing, continue tokens (resourceVersion + last key) and
// metav1.LabelSelector rendering.
import { errors } from '../core/errors.ts';
import { isPlainObject } from './util.ts';

export interface ContinueToken {
  rv: number;
  start: string;
}

export function parseRv(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw errors.badRequest(`invalid resource version "${value}"`);
  }
  return Number(value);
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(
    JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start }),
  ).toString('base64url');
}

export function decodeContinue(value: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as {
      rv?: unknown;
      start?: unknown;
    };
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string')
      return { rv: parsed.rv, start: parsed.start };
  } catch {
    // fall through
  }
  throw errors.badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

/** metav1.LabelSelector -> selector string. */
export function labelSelectorString(sel: Record<string, unknown>): string {
  const parts: string[] = [];
  const ml = sel.matchLabels;
  if (isPlainObject(ml)) for (const [k, v] of Object.entries(ml)) parts.push(`${k}=${String(v)}`);
  const me = sel.matchExpressions;
  if (Array.isArray(me)) {
    for (const e of me as Array<{ key: string; operator: string; values?: string[] }>) {
      switch (e.operator) {
        case 'In':
          parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
          break;
        case 'NotIn':
          parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
          break;
        case 'Exists':
          parts.push(e.key);
          break;
        case 'DoesNotExist':
          parts.push(`!${e.key}`);
          break;
      }
    }
  }
  return parts.join(',');
}
