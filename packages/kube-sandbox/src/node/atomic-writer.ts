// Kubelet's AtomicWriter: a volume directory whose visible files are symlinks into `..data`, itself
// a symlink to a timestamped directory; an update writes a new directory and swaps `..data` with a
// rename, so readers never see a half-written set.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { posix, join } from 'node:path';

export interface Payload {
  /** Relative path ("a/b.txt") -> content and mode. */
  [path: string]: { data: Buffer; mode: number };
}

function samePayload(dir: string, payload: Payload): boolean {
  const paths = Object.keys(payload);
  try {
    const current = readdirSync(dir).filter((n) => !n.startsWith('..'));
    const top = new Set(paths.map((p) => p.split('/')[0]));
    if (current.length !== top.size || !current.every((c) => top.has(c))) return false;
    return paths.every((p) => {
      const entry = payload[p];
      return entry !== undefined && readFileSync(join(dir, '..data', p)).equals(entry.data);
    });
  } catch {
    return false;
  }
}

/** Writes `payload` into `dir` atomically; returns true when something changed. */
export function writeAtomic(dir: string, payload: Payload): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (existsSync(join(dir, '..data')) && samePayload(dir, payload)) return false;
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '')}.${String(process.hrtime.bigint() % 1000000000n)}`;
  const tsDir = join(dir, stamp);
  mkdirSync(tsDir, { mode: 0o755 });
  for (const [path, { data, mode }] of Object.entries(payload)) {
    const file = join(tsDir, path);
    mkdirSync(posix.dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, data);
    chmodSync(file, mode);
  }
  let old: string | undefined;
  try {
    old = readlinkSync(join(dir, '..data'));
  } catch {
    old = undefined;
  }
  const tmpLink = join(dir, '..data_tmp');
  rmSync(tmpLink, { force: true });
  symlinkSync(stamp, tmpLink);
  renameSync(tmpLink, join(dir, '..data'));
  // Top-level names point through ..data; stale ones go away.
  const top = new Set(Object.keys(payload).map((p) => p.split('/')[0] ?? p));
  for (const name of top) {
    const link = join(dir, name);
    let isLink = false;
    try {
      isLink = lstatSync(link).isSymbolicLink();
    } catch {
      isLink = false;
    }
    if (!isLink) symlinkSync(posix.join('..data', name), link);
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith('..')) continue;
    if (!top.has(name)) rmSync(join(dir, name), { force: true, recursive: true });
  }
  if (old && old !== stamp) rmSync(join(dir, old), { recursive: true, force: true });
  return true;
}
