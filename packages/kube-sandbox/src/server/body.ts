// Request body decoding: size limit (413), JSON or YAML by content type, duplicate-key detection
// for fieldValidation, and clear 400s for malformed input.
import type { IncomingMessage } from 'node:http';
import { parseDocument } from 'yaml';
import { errors, StatusError } from '../core/errors.ts';
import { decodeKubeProtobuf } from './protobuf.ts';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    throw errors.tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      throw errors.tooLarge();
    }
    chunks.push(buf);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

export interface DecodedBody {
  value: unknown;
  duplicateFields: string[];
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
}

const YAML_TYPES = new Set([
  'application/yaml',
  'application/apply-patch+yaml',
  'application/x-yaml',
  'text/yaml',
]);
const JSON_TYPES = new Set([
  'application/json',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  '',
  '*/*',
]);

/** Decodes a body by media type; throws 415 for unknown types and 400 for malformed text. */
export function decodeBody(
  buf: Buffer,
  contentType: string | undefined,
  kindHint: string,
): DecodedBody {
  const type = mediaType(contentType);
  const text = buf.toString('utf8');
  if (YAML_TYPES.has(type)) return decodeYaml(text, kindHint);
  if (type === 'application/vnd.kubernetes.protobuf')
    return { value: decodeKubeProtobuf(buf), duplicateFields: [] };
  if (!JSON_TYPES.has(type)) {
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got ${type})`,
    );
  }
  if (text.trim() === '') throw errors.badRequest("Object 'Kind' is missing in ''");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(
      `${kindHint}couldn't get version/kind; json parse error: ${(err as Error).message}`,
    );
  }
  const duplicateFields =
    text.length < 200_000 && typeof value === 'object' ? findDuplicateKeys(text) : [];
  return { value, duplicateFields };
}

function decodeYaml(text: string, kindHint: string): DecodedBody {
  const doc = parseDocument(text, {
    uniqueKeys: false,
    prettyErrors: false,
    schema: 'core',
    version: '1.2',
  });
  if (doc.errors.length) {
    throw errors.badRequest(
      `${kindHint}error converting YAML to JSON: yaml: ${doc.errors[0].message.split('\n')[0]}`,
    );
  }
  const duplicateFields: string[] = [];
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw errors.badRequest(`${kindHint}error converting YAML to JSON: ${(err as Error).message}`);
  }
  // Detect duplicate keys with the strict parser: its error names the key.
  const strict = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  for (const e of strict.errors) {
    if (e.code === 'DUPLICATE_KEY') duplicateFields.push(keyFromYamlError(text, e.pos[0]));
  }
  return { value: value ?? null, duplicateFields };
}

function keyFromYamlError(text: string, pos: number): string {
  const rest = text.slice(pos);
  const m = /^\s*["']?([^"':\n]+)/.exec(rest);
  return m ? m[1].trim() : '?';
}

/**
 * Finds duplicate object keys in JSON text (the real server reports them with their path under
 * fieldValidation Strict/Warn). Assumes the text already parsed as JSON.
 */
export function findDuplicateKeys(text: string): string[] {
  const dups: string[] = [];
  interface Frame {
    keys: Set<string> | undefined; // undefined for arrays
    path: string;
    index: number;
    pendingKey: string | undefined;
  }
  const stack: Frame[] = [];
  let i = 0;
  let lastString = '';
  const childPath = (f: Frame | undefined): string => {
    if (!f) return '';
    if (f.keys) return f.path ? `${f.path}.${f.pendingKey}` : (f.pendingKey ?? '');
    return `${f.path}[${f.index}]`;
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') {
          s += text.slice(j, j + 2);
          j += 2;
        } else s += text[j++];
      }
      lastString = s;
      i = j + 1;
      continue;
    }
    if (ch === ':') {
      const top = stack[stack.length - 1];
      if (top?.keys) {
        if (top.keys.has(lastString))
          dups.push(top.path ? `${top.path}.${lastString}` : lastString);
        top.keys.add(lastString);
        top.pendingKey = lastString;
      }
    } else if (ch === '{' || ch === '[') {
      const parent = stack[stack.length - 1];
      stack.push({
        keys: ch === '{' ? new Set() : undefined,
        path: childPath(parent),
        index: 0,
        pendingKey: undefined,
      });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      const top = stack[stack.length - 1];
      if (top && !top.keys) top.index++;
    }
    i++;
  }
  return dups;
}
