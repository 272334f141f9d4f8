// Starts a built image's ENTRYPOINT + CMD as a child process.
// Two modes, chosen honestly by privilege:
// - 'chroot' (root, the default then): a new mount namespace (unshare -m) where the base image's
//   library directories and /proc, /dev are bind-mounted into the image root, then the process is
//   chrooted there (unshare --root/--wd) as the image's USER. Absolute paths inside the process
//   are image paths, exactly as in a container. readOnlyRoot remounts the root read-only, like
//   securityContext.readOnlyRootFilesystem; `tmpfs` paths get a fresh writable tmpfs.
// - 'mapped' (any user): no isolation. The entrypoint and any argument that names an existing
//   absolute image path are rewritten to the host path inside the root, cwd is root + WORKDIR
//   and IMAGE_ROOT is set; absolute paths the program computes itself still mean host paths.
//   readOnlyRoot makes the root read-only with chmod -R a-w (only binding for non-root users).
//   As root the process still switches to USER, so the root's parent dirs must be traversable.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { inRoot, resolveUser, type BuildResult } from './build.ts';

export interface RunImageOptions {
  /** 'chroot' needs root; default: 'chroot' when root, else 'mapped'. */
  mode?: 'chroot' | 'mapped';
  /** Extra environment (wins over the image's). */
  env?: Record<string, string>;
  /** Replaces the image's ENTRYPOINT. */
  entrypoint?: string[];
  /** Overrides USER ('' or '0' = root). */
  user?: string;
  readOnlyRoot?: boolean;
  /** Image paths that get a fresh tmpfs (chroot mode), e.g. ['/tmp']. */
  tmpfs?: string[];
  /** More read-only binds: image path -> host path (chroot mode), e.g. a kubeconfig. */
  binds?: Record<string, string>;
  /**
   * Chroot mode: run the program as PID 1 of a new PID namespace, as a container runtime does.
   * The kernel then drops signals PID 1 has no handler for; stop() signals that PID 1.
   */
  pidNamespace?: boolean;
  stdio?: 'pipe' | 'inherit';
}

export interface RunningImage {
  child: ChildProcess;
  /** The argv that was started (after mapping). */
  argv: string[];
  mode: 'chroot' | 'mapped';
  /** Collected stdout / stderr (stdio 'pipe'). */
  output(): { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends the signal (default SIGTERM) and waits for the exit; SIGKILL after killAfterMs (5 s). */
  stop(
    signal?: NodeJS.Signals,
    killAfterMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** ENTRYPOINT + CMD with Docker's override rules: args replace CMD. */
export function imageArgv(
  config: BuildResult['config'],
  args?: string[],
  entrypoint?: string[],
): string[] {
  const argv = [...(entrypoint ?? config.entrypoint), ...(args ?? (entrypoint ? [] : config.cmd))];
  if (argv.length === 0)
    throw new Error('the image has neither ENTRYPOINT nor CMD, and no args were given');
  return argv;
}

/** Maps argv for 'mapped' mode: the program via the image PATH, absolute image paths into the root. */
export function mapArgv(root: string, argv: string[], imagePath: string): string[] {
  const [program, ...rest] = argv;
  let resolved = program;
  if (program.startsWith('/')) resolved = inRoot(root, program);
  else if (!program.includes('/')) {
    const dir = imagePath
      .split(':')
      .find((d) => d && existsSync(inRoot(root, posix.join(d, program))));
    if (dir) resolved = inRoot(root, posix.join(dir, program));
  }
  const mapped = rest.map((a) =>
    a.startsWith('/') && existsSync(inRoot(root, a)) ? inRoot(root, a) : a,
  );
  return [resolved, ...mapped];
}

/** The shell script run inside `unshare -m` for chroot mode (pure, so it can be unit-tested). */
export function chrootScript(plan: {
  root: string;
  hostMounts: string[];
  readOnlyRoot: boolean;
  tmpfs: string[];
  binds: Record<string, string>;
  workdir: string;
  uid: number;
  gid: number;
  argv: string[];
  pidNamespace?: boolean;
}): string {
  const r = plan.root;
  const lines = [
    'set -e',
    `/usr/bin/mount --make-rprivate /`,
    `/usr/bin/mount --bind ${shq(r)} ${shq(r)}`,
  ];
  if (plan.readOnlyRoot) lines.push(`/usr/bin/mount -o remount,bind,ro ${shq(r)}`);
  const bindRo = (source: string, target: string) => {
    lines.push(`/usr/bin/mount --bind ${shq(source)} ${shq(target)}`);
    lines.push(`/usr/bin/mount -o remount,bind,ro ${shq(target)}`);
  };
  for (const dir of plan.hostMounts) bindRo(dir, inRoot(r, dir));
  lines.push(`/usr/bin/mount --rbind /proc ${shq(inRoot(r, '/proc'))}`);
  lines.push(`/usr/bin/mount --rbind /dev ${shq(inRoot(r, '/dev'))}`);
  for (const [imagePath, hostPath] of Object.entries(plan.binds))
    bindRo(hostPath, inRoot(r, imagePath));
  for (const t of plan.tmpfs)
    lines.push(`/usr/bin/mount -t tmpfs -o mode=1777 tmpfs ${shq(inRoot(r, t))}`);
  lines.push(
    `exec /usr/bin/unshare ${plan.pidNamespace ? '--pid --fork ' : ''}--root=${shq(r)} --wd=${shq(plan.workdir)} -S ${String(plan.uid)} -G ${String(plan.gid)} -- ${plan.argv.map(shq).join(' ')}`,
  );
  return lines.join('\n');
}

function makeReadOnly(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) for (const e of readdirSync(path)) makeReadOnly(join(path, e));
  chmodSync(path, st.mode & 0o7555);
}

/** The child processes of a process (Linux /proc), e.g. the PID 1 that `unshare --fork` started. */
function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return readFileSync(`/proc/${String(pid)}/task/${String(pid)}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Starts the image (see the file comment for the two modes). */
export function runImage(
  result: BuildResult,
  args?: string[],
  opts: RunImageOptions = {},
): RunningImage {
  const mode = opts.mode ?? (isRoot() ? 'chroot' : 'mapped');
  if (mode === 'chroot' && !isRoot())
    throw new Error('runImage: chroot mode needs root (use mode "mapped")');
  const config = result.config;
  const env: Record<string, string> = { ...config.env, ...opts.env };
  env.HOSTNAME ??= 'dockerfile-run';
  env.HOME ??= '/';
  const argv = imageArgv(config, args, opts.entrypoint);
  const userSpec = opts.user ?? config.user;
  const { uid, gid } = userSpec ? resolveUser(result.root, userSpec) : { uid: 0, gid: 0 };
  const workdir = config.workdir || '/';
  let child: ChildProcess;
  let started: string[];
  const stdio = opts.stdio ?? 'pipe';
  if (mode === 'chroot') {
    for (const p of opts.tmpfs ?? []) {
      if (!existsSync(inRoot(result.root, p)))
        throw new Error(`runImage: ${p} does not exist in the image (create it in the Dockerfile)`);
    }
    // A bind target missing from the image gets an empty mount point, as a container runtime does.
    for (const [imagePath, hostPath] of Object.entries(opts.binds ?? {})) {
      const target = inRoot(result.root, imagePath);
      if (existsSync(target)) continue;
      if (statSync(hostPath).isDirectory()) mkdirSync(target, { recursive: true });
      else {
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, '');
      }
    }
    const script = chrootScript({
      root: result.root,
      hostMounts: result.hostMounts.filter(
        (d) => existsSync(d) && existsSync(inRoot(result.root, d)),
      ),
      readOnlyRoot: opts.readOnlyRoot ?? false,
      tmpfs: opts.tmpfs ?? [],
      binds: opts.binds ?? {},
      workdir,
      uid,
      gid,
      argv,
      pidNamespace: opts.pidNamespace ?? false,
    });
    started = argv;
    // env reaches the program through unshare's exec; PATH is the image's, used by execvp after chroot
    child = spawn('/usr/bin/unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', script], {
      env,
      stdio: ['ignore', stdio, stdio],
    });
  } else {
    if (opts.readOnlyRoot) makeReadOnly(result.root);
    started = mapArgv(result.root, argv, env.PATH ?? '/usr/local/bin:/usr/bin:/bin');
    env.IMAGE_ROOT = result.root;
    child = spawn(started[0], started.slice(1), {
      cwd: inRoot(result.root, workdir),
      env,
      stdio: ['ignore', stdio, stdio],
      ...(isRoot() && uid !== 0 ? { uid, gid } : {}),
    });
  }
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolveExit) => {
      child.on('error', (err) => {
        stderr += `\nrunImage: ${err.message}`;
        resolveExit({ code: 127, signal: null });
      });
      child.on('close', (code, signal) => resolveExit({ code, signal }));
    },
  );
  return {
    child,
    argv: started,
    mode,
    output: () => ({ stdout, stderr }),
    exited,
    stop: async (signal = 'SIGTERM', killAfterMs = 5000) => {
      // With a PID namespace, `unshare --fork` waits for its child and ignores SIGTERM: signal the
      // namespace's PID 1 (its child) the way a container runtime signals the container.
      const targets = mode === 'chroot' && opts.pidNamespace ? childPids(child.pid) : [];
      const send = (sig: NodeJS.Signals) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        if (targets.length === 0) child.kill(sig);
        for (const pid of targets) {
          try {
            process.kill(pid, sig);
          } catch {
            // already gone
          }
        }
      };
      send(signal);
      const timer = setTimeout(() => send('SIGKILL'), killAfterMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}

/** Runs the image to completion and returns its exit code and output (for `--help` style checks). */
export async function runImageToCompletion(
  result: BuildResult,
  args?: string[],
  opts: RunImageOptions & { timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const running = runImage(result, args, { ...opts, stdio: 'pipe' });
  const timer = setTimeout(() => running.child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const { code } = await running.exited;
  clearTimeout(timer);
  return { code, ...running.output() };
}

/** Makes a (possibly read-only) result writable again and removes it. */
export function removeImage(result: BuildResult): void {
  const restore = (path: string) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    chmodSync(path, st.mode | 0o200);
    if (st.isDirectory()) for (const e of readdirSync(path)) restore(join(path, e));
  };
  for (const root of new Set(Object.values(result.stages))) if (existsSync(root)) restore(root);
  result.dispose();
}
