// The version guard: which version changes a rolling upgrade may make. etcd supports upgrading
// one minor version at a time (3.4 -> 3.5, never 3.4 -> 3.6) and has no supported online
// downgrade in 3.4, so both are refused; patch releases move freely upwards.

export interface EtcdVersion {
  major: number;
  minor: number;
  patch: number;
}

const VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export function parseEtcdVersion(v: string): EtcdVersion | undefined {
  const m = VERSION.exec(v.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function compareVersions(a: EtcdVersion, b: EtcdVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function formatVersion(v: EtcdVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export type VersionChange =
  | { allowed: true; kind: 'none' | 'patch' | 'minor' }
  | {
      allowed: false;
      reason: 'MalformedVersion' | 'Downgrade' | 'SkipsMinorVersion' | 'MajorVersionChange';
      message: string;
    };

/** May a cluster running `current` be moved to `target`? */
export function checkVersionChange(current: string, target: string): VersionChange {
  const from = parseEtcdVersion(current);
  const to = parseEtcdVersion(target);
  if (!to) {
    return {
      allowed: false,
      reason: 'MalformedVersion',
      message: `spec.version "${target}" is not a version like 3.4.23`,
    };
  }
  if (!from) {
    return {
      allowed: false,
      reason: 'MalformedVersion',
      message: `the running version "${current}" cannot be parsed; refusing to change it`,
    };
  }
  const cmp = compareVersions(to, from);
  if (cmp === 0) return { allowed: true, kind: 'none' };
  if (cmp < 0) {
    return {
      allowed: false,
      reason: 'Downgrade',
      message: `downgrade from ${formatVersion(from)} to ${formatVersion(to)} is not supported; set spec.version back to ${formatVersion(from)} or restore a backup into a new cluster`,
    };
  }
  if (to.major !== from.major) {
    return {
      allowed: false,
      reason: 'MajorVersionChange',
      message: `a major version change (${formatVersion(from)} -> ${formatVersion(to)}) is not supported`,
    };
  }
  if (to.minor > from.minor + 1) {
    return {
      allowed: false,
      reason: 'SkipsMinorVersion',
      message: `upgrade from ${formatVersion(from)} to ${formatVersion(to)} skips a minor version; upgrade to ${from.major}.${from.minor + 1}.x first`,
    };
  }
  return { allowed: true, kind: to.minor === from.minor ? 'patch' : 'minor' };
}

/**
 * The version a cluster runs is the lowest its members report: during an upgrade, until the
 * last member moved, the cluster still runs the old one.
 */
export function lowestVersion(versions: string[]): string | undefined {
  const parsed = versions
    .map((v) => parseEtcdVersion(v))
    .filter((v): v is EtcdVersion => v !== undefined)
    .sort(compareVersions);
  return parsed[0] ? formatVersion(parsed[0]) : undefined;
}
