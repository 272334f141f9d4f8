// What a base image name stands for on this host. Base images are never fetched: an entry says
// which files of the image this host can provide (the Node binary of this workspace), the image's
// config (env, entrypoint, user), its users, and which host directories stand in for the image's
// system libraries at run time (glibc and libstdc++ that the Node binary links against).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface BaseImage {
  /** What this entry stands for, for messages. */
  description: string;
  /** Image path -> host path of a file to place there (copied or hard-linked). */
  files: Record<string, string>;
  /** Directories the image has (mount points and writable dirs). */
  dirs: string[];
  /** Host directories bind-mounted read-only at the same path when the image runs (its libraries). */
  hostMounts: string[];
  env: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  user?: string;
  workdir?: string;
  /** /etc/passwd entries: name -> uid (gid = uid). */
  users: Record<string, number>;
}

export interface BaseImageEntry {
  /** Image patterns: `*` matches anything; a digest (@sha256:...) is ignored. */
  match: string[];
  image: BaseImage;
}

/** The workspace's Node binary (node_modules/.bin/node, the `node` devDependency), else this process's. */
export function workspaceNode(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'node', 'bin', 'node');
    if (existsSync(candidate)) return candidate;
  }
  return process.execPath;
}

const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const LIBRARIES = ['/lib', '/lib64', '/usr/lib'];
const RUNTIME_DIRS = ['/proc', '/dev', '/tmp', '/etc'];

export function defaultBaseImages(node = workspaceNode()): BaseImageEntry[] {
  return [
    {
      match: [
        'node:24',
        'node:24-*',
        'node:24.*',
        'docker.io/library/node:24*',
        'library/node:24*',
      ],
      image: {
        description: `node:24 (this workspace's Node ${process.versions.node.split('.')[0]} binary at /usr/local/bin/node)`,
        files: { '/usr/local/bin/node': node },
        dirs: [...RUNTIME_DIRS, ...LIBRARIES, '/home/node'],
        hostMounts: LIBRARIES,
        env: { PATH: STANDARD_PATH, NODE_VERSION: '24' },
        cmd: ['node'],
        users: { root: 0, node: 1000 },
      },
    },
    {
      match: ['gcr.io/distroless/nodejs24-debian12*', 'gcr.io/distroless/nodejs24-debian13*'],
      image: {
        description: "distroless nodejs24 (this workspace's Node binary at /nodejs/bin/node)",
        files: { '/nodejs/bin/node': node },
        dirs: [...RUNTIME_DIRS, ...LIBRARIES, '/home/nonroot'],
        hostMounts: LIBRARIES,
        env: { PATH: STANDARD_PATH },
        entrypoint: ['/nodejs/bin/node'],
        users: { root: 0, nobody: 65534, nonroot: 65532 },
      },
    },
    {
      match: ['scratch'],
      image: {
        description: 'scratch (empty)',
        files: {},
        dirs: [],
        hostMounts: [],
        env: {},
        users: {},
      },
    },
  ];
}

function patternRegex(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** The entry for an image reference; later entries win, so callers append their own. */
export function resolveBaseImage(ref: string, entries: BaseImageEntry[]): BaseImage {
  const name = ref.replace(/@sha256:[0-9a-f]+$/, '');
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i].match.some((p) => patternRegex(p).test(name))) return entries[i].image;
  }
  const known = entries.flatMap((e) => e.match).join(', ');
  throw new Error(
    `base image "${ref}" has no mapping on this host (base images are not fetched); known: ${known}`,
  );
}
