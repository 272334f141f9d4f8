// Crash safety: what this node put on the host is written to <dataDir>/node/state.json as it goes,
// so the next start with the same data dir removes what a crashed sandbox left behind.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { cgroupTreePids, removeCgroupTree } from './cgroups.ts';
import { CLAIM_DIR, networkFor, processStartTime, removeHostLeftovers } from './network.ts';

export interface NodeState {
  pid: number;
  startTime: string;
  index: number;
  cgroupDir?: string;
  shmDir: string;
  agentPid?: number;
  processes: Array<{ pid: number; startTime: string }>;
}

export function stateFile(dataDir: string): string {
  return join(dataDir, 'node', 'state.json');
}

export function writeState(dataDir: string, state: NodeState): void {
  mkdirSync(join(dataDir, 'node'), { recursive: true });
  const file = stateFile(dataDir);
  writeFileSync(file + '.tmp', JSON.stringify(state));
  renameSync(file + '.tmp', file);
}

export function readState(dataDir: string): NodeState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as NodeState;
  } catch {
    return undefined;
  }
}

function killIfSame(pid: number, startTime: string): void {
  if (pid <= 1 || processStartTime(pid) !== startTime) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // gone or not a group leader
    }
  }
}

/**
 * Removes what a previous node agent with this data dir left: processes, cgroups, network
 * namespaces, veths, the bridge, the subnet claim, shared-memory dirs. Refuses while that agent is
 * still alive (another sandbox is using the data dir).
 */
export async function cleanupLeftovers(dataDir: string): Promise<void> {
  const state = readState(dataDir);
  if (!state) return;
  if (state.pid !== process.pid && processStartTime(state.pid) === state.startTime) {
    throw new Error(
      `data dir ${dataDir} is in use by a running kube-sandbox node (pid ${String(state.pid)})`,
    );
  }
  for (const p of state.processes) killIfSame(p.pid, p.startTime);
  if (state.agentPid) {
    try {
      process.kill(state.agentPid, 0);
      const cmd = readFileSync(`/proc/${String(state.agentPid)}/cmdline`, 'utf8');
      if (cmd.includes('proxy-agent')) process.kill(state.agentPid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  if (state.cgroupDir) {
    for (const pid of cgroupTreePids(state.cgroupDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    // the kernel needs a moment to empty cgroups of killed processes
    for (let i = 0; i < 50 && !removeCgroupTree(state.cgroupDir); i++)
      await new Promise((r) => setTimeout(r, 20));
  }
  await removeHostLeftovers(networkFor(state.index, dataDir));
  try {
    const claim = JSON.parse(
      readFileSync(join(CLAIM_DIR, `${String(state.index)}.json`), 'utf8'),
    ) as { pid: number };
    if (claim.pid === state.pid)
      rmSync(join(CLAIM_DIR, `${String(state.index)}.json`), { force: true });
  } catch {
    // no claim
  }
  rmSync(state.shmDir, { recursive: true, force: true });
  rmSync(join(dataDir, 'node', 'pods'), { recursive: true, force: true });
  if (existsSync(stateFile(dataDir))) rmSync(stateFile(dataDir));
}

/**
 * Cleans up after every sandbox on this machine whose node died without stopping (its subnet claim
 * names a process that is gone): processes, cgroups and network through its data dir's state file.
 */
export async function sweepStaleClaims(): Promise<void> {
  let files: string[];
  try {
    files = readdirSync(CLAIM_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return;
  }
  for (const f of files) {
    let claim: { pid: number; startTime: string; dataDir: string };
    try {
      claim = JSON.parse(readFileSync(join(CLAIM_DIR, f), 'utf8')) as typeof claim;
    } catch {
      continue;
    }
    if (processStartTime(claim.pid) === claim.startTime) continue;
    try {
      await cleanupLeftovers(claim.dataDir);
    } catch {
      // the data dir is in use again by a live node: leave it
      continue;
    }
    const index = Number(f.replace('.json', ''));
    if (Number.isInteger(index)) await removeHostLeftovers(networkFor(index, claim.dataDir));
    rmSync(join(CLAIM_DIR, f), { force: true });
  }
}
