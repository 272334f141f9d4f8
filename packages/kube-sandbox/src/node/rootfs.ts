// A container's filesystem: an overlay of the host root (so the host stays untouched: writes land in
// a per-container upper dir), /proc /sys /dev from the host, fresh /tmp /run /dev/shm, then the
// volumes, image files and kubelet files bind-mounted at their paths. Rendered as a shell script run
// inside a new mount + UTS namespace; the planning here is pure apart from reading symlinks.
import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { shq } from './exec.ts';

export interface BindMount {
  /** Path inside the container. */
  target: string;
  /** Host path. */
  source: string;
  readOnly: boolean;
  /** true when source is a file (the target is created as an empty file). */
  file: boolean;
}

export interface LaunchPlan {
  rootDir: string;
  upperDir: string;
  workDir: string;
  hostname: string;
  mounts: BindMount[];
  /** cgroup.procs files to join before exec (memory limit). */
  cgroupProcs: string[];
  uid?: number;
  gid?: number;
  supplementalGroups: number[];
  workingDir: string;
  argv: string[];
  /** securityContext.readOnlyRootFilesystem: the overlay is remounted read-only after setup. */
  readOnlyRoot?: boolean;
  /** Touched right before exec: its absence after an exit means the setup itself failed. */
  startedMarker: string;
}

/** Paths the sandbox replaces with fresh filesystems; host symlinks under them are not followed. */
const FRESH = ['/tmp', '/run', '/dev'];

/**
 * Resolves `path` the way it would resolve inside the container's root (whose lower layer is the host
 * root), keeping absolute symlinks inside that root: /var/run/secrets -> /run/secrets.
 */
export function resolveInRoot(
  path: string,
  lstat: (p: string) => string | undefined = hostLink,
): string {
  let parts = posix.normalize(path).split('/').filter(Boolean);
  let resolved = '/';
  for (let hops = 0; parts.length > 0; ) {
    const name = parts.shift() ?? '';
    const next = posix.join(resolved, name);
    const fresh = FRESH.some((f) => next === f || next.startsWith(f + '/'));
    const link = fresh ? undefined : lstat(next);
    if (link === undefined) {
      resolved = next;
      continue;
    }
    if (++hops > 40) throw new Error(`too many symlinks resolving ${path}`);
    const rest = link.split('/').filter(Boolean);
    if (link.startsWith('/')) resolved = '/';
    parts = [...rest, ...parts];
  }
  return resolved;
}

function hostLink(p: string): string | undefined {
  try {
    return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : undefined;
  } catch {
    return undefined;
  }
}

/** Mounts ordered so that a parent path is mounted before anything inside it. */
export function orderMounts(mounts: BindMount[]): BindMount[] {
  return [...mounts].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
}

export function renderLaunchScript(plan: LaunchPlan): string {
  const R = plan.rootDir;
  const at = (p: string) => shq(posix.join(R, p));
  const lines = ['set -e'];
  for (const procs of plan.cgroupProcs) lines.push(`echo $$ > ${shq(procs)}`);
  lines.push(
    `/usr/bin/mount -t overlay overlay -o ${shq(`lowerdir=/,upperdir=${plan.upperDir},workdir=${plan.workDir}`)} ${shq(R)}`,
    `/usr/bin/mount --rbind /proc ${at('/proc')}`,
    `/usr/bin/mount --rbind /sys ${at('/sys')}`,
    // a private /dev with the usual device nodes bound from the host (files created under it
    // never reach the host's /dev)
    `/usr/bin/mount -t tmpfs -o mode=755 tmpfs ${at('/dev')}`,
    `for d in null zero full random urandom tty; do : > ${at('/dev')}/$d; /usr/bin/mount --bind /dev/$d ${at('/dev')}/$d; done`,
    `/usr/bin/mkdir ${at('/dev/pts')} ${at('/dev/shm')}`,
    `/usr/bin/mount --bind /dev/pts ${at('/dev/pts')}`,
    `/usr/bin/mount -t tmpfs -o mode=1777 tmpfs ${at('/dev/shm')}`,
    `/usr/bin/ln -s /proc/self/fd ${at('/dev/fd')}; /usr/bin/ln -s /proc/self/fd/0 ${at('/dev/stdin')}; /usr/bin/ln -s /proc/self/fd/1 ${at('/dev/stdout')}; /usr/bin/ln -s /proc/self/fd/2 ${at('/dev/stderr')}; /usr/bin/ln -s pts/ptmx ${at('/dev/ptmx')}`,
    `/usr/bin/mount -t tmpfs -o mode=1777 tmpfs ${at('/tmp')}`,
    `/usr/bin/mount -t tmpfs -o mode=755 tmpfs ${at('/run')}`,
  );
  for (const m of orderMounts(plan.mounts)) {
    const target = resolveInRoot(m.target);
    const t = at(target);
    if (m.file) {
      lines.push(`/usr/bin/mkdir -p ${at(posix.dirname(target))}`);
      lines.push(`if [ -d ${t} ] && [ ! -L ${t} ]; then :; else /usr/bin/rm -f ${t}; : > ${t}; fi`);
    } else {
      lines.push(`if [ -L ${t} ] || [ -f ${t} ]; then /usr/bin/rm -f ${t}; fi`);
      lines.push(`/usr/bin/mkdir -p ${t}`);
    }
    lines.push(`/usr/bin/mount --bind ${shq(m.source)} ${t}`);
    if (m.readOnly) lines.push(`/usr/bin/mount -o remount,bind,ro ${t}`);
  }
  lines.push(`/usr/bin/hostname ${shq(plan.hostname)}`);
  const wd = resolveInRoot(plan.workingDir);
  const owner = `${String(plan.uid ?? 0)}:${String(plan.gid ?? 0)}`;
  lines.push(
    `if [ ! -d ${at(wd)} ]; then /usr/bin/mkdir -p ${at(wd)}; /usr/bin/chown ${owner} ${at(wd)}; fi`,
  );
  if (plan.readOnlyRoot) lines.push(`/usr/bin/mount -o remount,ro ${shq(R)}`);
  const groups = plan.supplementalGroups.length
    ? ` --groups=${plan.supplementalGroups.join(',')}`
    : '';
  // inside the new root, as the container user: tell the kubelet the container runs (fd 3) only
  // once root and working dir are the container's (exec hooks and probes enter them), and keep
  // that pipe out of the program
  const inner = 'cd "$1" || exit 1; shift; echo started >&3; exec 3>&-; exec "$@"';
  lines.push(`: > ${shq(plan.startedMarker)}`);
  lines.push(
    `exec /usr/sbin/chroot --userspec=${owner}${groups} ${shq(R)} /bin/sh -c ${shq(inner)} sh ${shq(plan.workingDir)} ${plan.argv.map(shq).join(' ')}`,
  );
  return lines.join('\n') + '\n';
}
