// Per-container memory cgroups (cgroup v1 memory controller, nested under the sandbox process's own
// cgroup): memory limits with OOM detection, and a handle on every process a container spawned, so
// termination and freeze reach processes that left the process group.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
  readdirSync,
} from 'node:fs';
import { join } from 'node:path';

export interface CgroupSupport {
  ok: boolean;
  /** The directory new sandbox cgroups are created under. */
  base?: string;
  why?: string;
}

export function detectMemoryCgroup(): CgroupSupport {
  try {
    const self = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .map((l) => l.split(':'))
      .find((p) => p[1]?.split(',').includes('memory'));
    if (!self) return { ok: false, why: 'no cgroup v1 memory controller for this process' };
    const base = join('/sys/fs/cgroup/memory', self[2] ?? '/');
    if (!existsSync(join(base, 'cgroup.procs'))) {
      return { ok: false, why: `memory cgroup ${base} is not mounted` };
    }
    const probe = join(base, `ksbx-probe-${String(process.pid)}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return { ok: true, base };
  } catch (err) {
    return { ok: false, why: `memory cgroups not usable: ${(err as Error).message}` };
  }
}

export class ContainerCgroup {
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }

  static create(base: string, ...names: string[]): ContainerCgroup {
    const path = join(base, ...names);
    mkdirSync(path, { recursive: true });
    return new ContainerCgroup(path);
  }

  get procsFile(): string {
    return join(this.path, 'cgroup.procs');
  }

  setLimit(bytes: number | undefined): void {
    // -1 means unlimited; swap is capped too when the kernel has memsw (no swapping past the limit)
    writeFileSync(
      join(this.path, 'memory.limit_in_bytes'),
      bytes === undefined ? '-1' : String(Math.floor(bytes)),
    );
  }

  oomKills(): number {
    try {
      const m = /oom_kill (\d+)/.exec(readFileSync(join(this.path, 'memory.oom_control'), 'utf8'));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }

  pids(): number[] {
    try {
      return readFileSync(this.procsFile, 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  signalAll(signal: NodeJS.Signals): void {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** Removes the cgroup (and empty children); false when processes still live in it. */
  remove(): boolean {
    return removeCgroupTree(this.path);
  }
}

export function removeCgroupTree(path: string): boolean {
  if (!existsSync(path)) return true;
  let ok = true;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.isDirectory()) ok = removeCgroupTree(join(path, e.name)) && ok;
  }
  try {
    rmdirSync(path);
  } catch {
    ok = false;
  }
  return ok;
}

/** Every pid in a cgroup tree. */
export function cgroupTreePids(path: string): number[] {
  if (!existsSync(path)) return [];
  const out: number[] = [];
  try {
    out.push(
      ...readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number),
    );
    for (const e of readdirSync(path, { withFileTypes: true })) {
      if (e.isDirectory()) out.push(...cgroupTreePids(join(path, e.name)));
    }
  } catch {
    // raced with removal
  }
  return out;
}
