// The image map: which local program and file layout an image name stands for. Pure matching plus a
// loader for the YAML files (the package default, then a user file, later entries win).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface ImageSpec {
  /** The image's ENTRYPOINT. */
  entrypoint: string[];
  /** The image's CMD. */
  cmd: string[];
  /** image path -> absolute host path, bind-mounted read-only into the pod's filesystem. */
  files: Record<string, string>;
  env: Record<string, string>;
  workingDir?: string;
  /** "uid" or "uid:gid", like the image's USER. */
  user?: string;
}

export interface ImageEntry extends ImageSpec {
  match: string[];
  /** The file the entry came from, for messages. */
  source: string;
}

export interface ImageMap {
  entries: ImageEntry[];
  /** Files that were read, most specific last: named in ErrImagePull messages. */
  files: string[];
}

export const DEFAULT_IMAGE_MAP = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../images.yaml',
);

/** docker.io/library/redis:latest from redis; keeps digests. */
export function normalizeImageRef(ref: string): string {
  let name = ref.trim();
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  if (!hasRegistry) name = `docker.io/${slash < 0 ? 'library/' : ''}${name}`;
  const lastSlash = name.lastIndexOf('/');
  const tail = name.slice(lastSlash + 1);
  if (!tail.includes(':') && !tail.includes('@')) name += ':latest';
  return name;
}

/** A pattern without a tag matches every tag; `*` matches any run of characters. */
export function imagePatternMatches(pattern: string, image: string): boolean {
  let p = pattern.trim();
  const slash = p.lastIndexOf('/');
  const tail = p.slice(slash + 1);
  if (!tail.includes(':') && !tail.includes('@')) p += ':*';
  const normalizedPattern = normalizeImageRef(p);
  const re = new RegExp(
    '^' +
      normalizedPattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(normalizeImageRef(image));
}

export function resolveImage(map: ImageMap, image: string): ImageEntry | undefined {
  for (let i = map.entries.length - 1; i >= 0; i--) {
    const e = map.entries[i];
    if (e?.match.some((p) => imagePatternMatches(p, image))) return e;
  }
  return undefined;
}

function strings(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map(String);
  throw new Error(`expected a string or a list of strings, got ${JSON.stringify(v)}`);
}

/** `${NODE}` is the running Node binary; relative host paths are relative to the map file. */
function hostPath(p: string, file: string): string {
  const expanded = p.replace(/\$\{NODE\}/g, process.execPath);
  return isAbsolute(expanded) ? expanded : resolve(dirname(file), expanded);
}

export function parseImageMap(text: string, file: string): ImageEntry[] {
  const doc = parse(text) as { images?: unknown } | null;
  const list = doc?.images;
  if (!Array.isArray(list)) throw new Error(`${file}: expected a top-level "images:" list`);
  return list.map((raw: Record<string, unknown>, i) => {
    const match = strings(raw.match);
    if (match.length === 0) throw new Error(`${file}: images[${i}].match is required`);
    const files: Record<string, string> = {};
    for (const [imagePath, host] of Object.entries((raw.files ?? {}) as Record<string, unknown>)) {
      files[imagePath] = hostPath(String(host), file);
    }
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries((raw.env ?? {}) as Record<string, unknown>))
      env[k] = String(v);
    return {
      match,
      entrypoint: strings(raw.entrypoint).map((a) => a.replace(/\$\{NODE\}/g, process.execPath)),
      cmd: strings(raw.cmd),
      files,
      env,
      ...(raw.workingDir ? { workingDir: String(raw.workingDir) } : {}),
      ...(raw.user !== undefined ? { user: String(raw.user) } : {}),
      source: file,
    };
  });
}

/** The default map, then `extraFiles` (options, then $KUBE_SANDBOX_IMAGES): later entries win. */
export function loadImageMap(extraFiles: string[] = []): ImageMap {
  const fromEnv = process.env.KUBE_SANDBOX_IMAGES
    ? process.env.KUBE_SANDBOX_IMAGES.split(':').filter(Boolean)
    : [];
  const files = [DEFAULT_IMAGE_MAP, ...extraFiles, ...fromEnv];
  const entries: ImageEntry[] = [];
  for (const f of files) entries.push(...parseImageMap(readFileSync(f, 'utf8'), f));
  return { entries, files };
}

/** uid/gid of an image USER such as "65534" or "65534:65534" (names other than root/nobody: 0). */
export function parseImageUser(user: string | undefined): { uid?: number; gid?: number } {
  if (!user) return {};
  const [u, g] = user.split(':');
  const named: Record<string, number> = { root: 0, nobody: 65534, nogroup: 65534 };
  const num = (s: string | undefined) =>
    s === undefined ? undefined : /^\d+$/.test(s) ? Number(s) : (named[s] ?? 0);
  const uid = num(u);
  const gid = num(g);
  return { ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}) };
}
