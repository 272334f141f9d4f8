// The sandbox's pod network: one Linux bridge per sandbox instance (ksbx<N>, 10.244.<N>.0/24, gateway
// .1 in the host namespace), a "service" network namespace at .2 that holds every ClusterIP (so
// several sandboxes on one machine can each have their own 10.96.0.0/16), and one network namespace
// per pod with a veth into the bridge. N is claimed with a file under /run/kube-sandbox/net so
// concurrent sandboxes never collide; a claim whose owner process is gone is taken over.
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ipBatch, run, runOk } from './exec.ts';

export const CLAIM_DIR = '/run/kube-sandbox/net';
export const SERVICE_CIDR = '10.96.0.0/16';

export interface NodeNetwork {
  index: number;
  bridge: string;
  /** e.g. "10.244.7" */
  prefix: string;
  subnetCidr: string;
  gatewayIp: string;
  svcNetns: string;
  svcIp: string;
  dataDir: string;
}

interface Claim {
  pid: number;
  startTime: string;
  dataDir: string;
}

export function networkFor(index: number, dataDir: string): NodeNetwork {
  const prefix = `10.244.${index}`;
  return {
    index,
    bridge: `ksbx${index}`,
    prefix,
    subnetCidr: `${prefix}.0/24`,
    gatewayIp: `${prefix}.1`,
    svcNetns: `ksbx${index}-svc`,
    svcIp: `${prefix}.2`,
    dataDir,
  };
}

/** Start of a process (field 22 of /proc/<pid>/stat), to tell a live owner from a reused pid. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function claimAlive(c: Claim): boolean {
  return processStartTime(c.pid) === c.startTime;
}

function readClaim(index: number): Claim | undefined {
  try {
    return JSON.parse(readFileSync(`${CLAIM_DIR}/${index}.json`, 'utf8')) as Claim;
  } catch {
    return undefined;
  }
}

/**
 * Claims a subnet index for this data dir. The first candidate is derived from the data dir, so a
 * restarted sandbox usually gets the same gateway IP (the API server's certificate names it).
 * Stale claims (owner dead) are taken over after removing what the dead owner left on the host.
 */
export async function reserveNodeNetwork(dataDir: string): Promise<NodeNetwork> {
  mkdirSync(CLAIM_DIR, { recursive: true });
  const start = createHash('sha256').update(dataDir).digest().readUInt8(0);
  const me: Claim = {
    pid: process.pid,
    startTime: processStartTime(process.pid) ?? '',
    dataDir,
  };
  for (let i = 0; i < 256; i++) {
    const index = (start + i) % 256;
    const path = `${CLAIM_DIR}/${index}.json`;
    const existing = readClaim(index);
    if (existing) {
      if (existing.pid === me.pid && existing.dataDir === dataDir)
        return networkFor(index, dataDir);
      if (claimAlive(existing)) continue;
      await removeHostLeftovers(networkFor(index, existing.dataDir));
      rmSync(path, { force: true });
    }
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, JSON.stringify(me));
      closeSync(fd);
      return networkFor(index, dataDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
  }
  throw new Error('no free sandbox subnet (all 256 claimed under ' + CLAIM_DIR + ')');
}

export function releaseNodeNetwork(net: NodeNetwork): void {
  const c = readClaim(net.index);
  if (c && c.pid === process.pid) rmSync(`${CLAIM_DIR}/${net.index}.json`, { force: true });
}

/** Deletes the bridge, every ksbx<N>-* namespace and stray veths of one sandbox index. */
export async function removeHostLeftovers(net: NodeNetwork): Promise<void> {
  const list = await run('ip', ['netns', 'list']);
  const mine = list.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`ksbx${net.index}-`));
  const links = await run('ip', ['-o', 'link', 'show']);
  const veths = links.stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n.startsWith(`kv${net.index}-`) || n === net.bridge);
  await ipBatch(
    [...mine.map((n) => `netns delete ${n}`), ...veths.map((v) => `link delete ${v}`)],
    true,
  );
}

export async function setupBridge(net: NodeNetwork): Promise<void> {
  await removeHostLeftovers(net);
  await ipBatch([
    // A fixed MAC: a bridge without one takes the lowest MAC of its ports, so it changes as pod
    // veths come and go, and long-lived neighbours (the service namespace, running pods) keep
    // sending to the gateway's old MAC until their ARP entry goes stale: connections time out.
    `link add ${net.bridge} address ${macForIp(net.gatewayIp)} type bridge`,
    `addr add ${net.gatewayIp}/24 dev ${net.bridge}`,
    `link set ${net.bridge} up`,
  ]);
  // The service namespace: every ClusterIP is local there (AnyIP route), its proxy agent listens.
  await createNetns(net, net.svcNetns, `kv${net.index}-svc`, net.svcIp, false);
  await ipBatch([`route add local ${SERVICE_CIDR} dev lo`], false, net.svcNetns);
}

export async function teardownNetwork(net: NodeNetwork): Promise<void> {
  await removeHostLeftovers(net);
}

/** Host-side veth name of a pod (15 characters at most). */
export function podVethName(net: NodeNetwork, podKey: string): string {
  return `kv${net.index}-${createHash('sha1').update(podKey).digest('hex').slice(0, 6)}`;
}

export function podNetnsName(net: NodeNetwork, podKey: string): string {
  return `ksbx${net.index}-${createHash('sha1').update(podKey).digest('hex').slice(0, 12)}`;
}

/** Creates a namespace with eth0 at `ip` on the bridge, default route to the gateway. */
export async function createNetns(
  net: NodeNetwork,
  netns: string,
  veth: string,
  ip: string,
  serviceRoute: boolean,
): Promise<void> {
  await ipBatch([`netns delete ${netns}`, `link delete ${veth}`], true);
  await runOk('ip', ['netns', 'add', netns]);
  await ipBatch([
    `link add ${veth} type veth peer name eth0 netns ${netns}`,
    `link set ${veth} master ${net.bridge} up`,
  ]);
  await ipBatch(
    [
      // a MAC derived from the IP (as Docker does): when an IP is reused, neighbours' ARP caches
      // still point at the right interface
      `link set eth0 address ${macForIp(ip)}`,
      `addr add ${ip}/24 dev eth0`,
      'link set lo up',
      'link set eth0 up',
      `route add default via ${net.gatewayIp}`,
      ...(serviceRoute ? [`route add ${SERVICE_CIDR} via ${net.svcIp}`] : []),
    ],
    false,
    netns,
  );
}

export async function deleteNetns(netns: string, veth: string): Promise<void> {
  await ipBatch([`netns delete ${netns}`, `link delete ${veth}`], true);
}

/** Chaos: a pod's link down (cut) or up (heal). */
export async function setVethUp(veth: string, up: boolean): Promise<void> {
  await runOk('ip', ['link', 'set', veth, up ? 'up' : 'down']);
}

export function macForIp(ip: string): string {
  return ['02', '42', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(
    ':',
  );
}

/** Pod IPs .10-.254 of the sandbox subnet, handed out round-robin so a freed IP rests a while. */
export class IpPool {
  readonly #prefix: string;
  readonly #used = new Set<number>();
  #next = 10;
  constructor(prefix: string) {
    this.#prefix = prefix;
  }
  allocate(): string {
    for (let i = 0; i < 245; i++) {
      const host = 10 + ((this.#next - 10 + i) % 245);
      if (!this.#used.has(host)) {
        this.#used.add(host);
        this.#next = host + 1 > 254 ? 10 : host + 1;
        return `${this.#prefix}.${String(host)}`;
      }
    }
    throw new Error(`pod subnet ${this.#prefix}.0/24 is full`);
  }
  reserve(ip: string): void {
    const host = Number(ip.split('.')[3]);
    this.#used.add(host);
  }
  release(ip: string): void {
    this.#used.delete(Number(ip.split('.')[3]));
  }
}
