// Cluster DNS, the part of CoreDNS's kubernetes plugin we need: Service names (ClusterIP, headless
// -> endpoint IPs, ExternalName -> CNAME), <hostname>.<subdomain>.<ns>.svc names, pod A records and
// SRV for named ports. Unknown names and everything outside cluster.local get NXDOMAIN at once.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { KubeObject } from '../core/types.ts';
import type { Obj } from './env.ts';

export const CLUSTER_DOMAIN = 'cluster.local';
const TTL = 5;

export interface DnsData {
  services(): KubeObject[];
  endpoints(namespace: string, name: string): KubeObject | undefined;
  pods(namespace: string): KubeObject[];
}

export type DnsAnswer = dnsPacket.Answer;

export interface DnsResult {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: DnsAnswer[];
}

interface Address {
  ip: string;
  hostname?: string;
}

function isPodReady(p: KubeObject): boolean {
  const conds = ((p.status as Obj | undefined)?.conditions ?? []) as Array<{
    type: string;
    status: string;
  }>;
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Endpoint addresses of a headless service (ready, or all with publishNotReadyAddresses). */
function headlessAddresses(svc: KubeObject, data: DnsData): Address[] {
  const ns = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  const publishAll = (svc.spec as Obj).publishNotReadyAddresses === true;
  const out: Address[] = [];
  const ep = data.endpoints(ns, name);
  for (const subset of (ep?.subsets ?? []) as Obj[]) {
    const lists = [subset.addresses, ...(publishAll ? [subset.notReadyAddresses] : [])];
    for (const list of lists) {
      for (const a of (list ?? []) as Array<{ ip: string; hostname?: string }>) {
        if (!out.some((o) => o.ip === a.ip))
          out.push({ ip: a.ip, ...(a.hostname ? { hostname: a.hostname } : {}) });
      }
    }
  }
  // pods that declare this service as their subdomain are named even before endpoints list them
  for (const p of data.pods(ns)) {
    const spec = (p.spec ?? {}) as Obj;
    const ip = (p.status as Obj | undefined)?.podIP as string | undefined;
    if (!ip || spec.subdomain !== name || !spec.hostname || p.metadata?.deletionTimestamp) continue;
    if (!publishAll && !isPodReady(p)) continue;
    const existing = out.find((o) => o.ip === ip);
    if (existing) existing.hostname ??= String(spec.hostname);
    else out.push({ ip, hostname: String(spec.hostname) });
  }
  return out;
}

function a(name: string, ip: string): DnsAnswer {
  return { type: 'A', name, ttl: TTL, class: 'IN', data: ip };
}

/** Answers one question from the cluster state. Pure apart from reading `data`. */
export function resolveQuestion(qname: string, qtype: string, data: DnsData): DnsResult {
  const name = qname.toLowerCase().replace(/\.$/, '');
  const nx: DnsResult = { rcode: 'NXDOMAIN', answers: [] };
  if (!name.endsWith(`.${CLUSTER_DOMAIN}`)) return nx;
  const labels = name.slice(0, -(CLUSTER_DOMAIN.length + 1)).split('.');
  const want = (t: string) => qtype === t || qtype === 'ANY';
  const result = (answers: DnsAnswer[]): DnsResult => ({ rcode: 'NOERROR', answers });

  // <a-b-c-d>.<ns>.pod.cluster.local
  if (labels.length === 3 && labels[2] === 'pod') {
    const ip = (labels[0] ?? '').replace(/-/g, '.');
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return nx;
    return result(want('A') ? [a(name, ip)] : []);
  }
  if (labels[labels.length - 1] !== 'svc') return nx;
  const rest = labels.slice(0, -1);
  const svcs = data.services();
  const find = (ns: string, n: string) =>
    svcs.find((s) => s.metadata?.namespace === ns && s.metadata.name === n);

  // _port._proto.<svc>.<ns>.svc
  if (rest.length === 4 && rest[0]?.startsWith('_') && rest[1]?.startsWith('_')) {
    const svc = find(rest[3] ?? '', rest[2] ?? '');
    if (!svc) return nx;
    const portName = rest[0].slice(1);
    const proto = rest[1].slice(1).toUpperCase();
    const port = (
      (svc.spec as Obj).ports as
        | Array<{ name?: string; port: number; protocol?: string }>
        | undefined
    )?.find((p) => p.name === portName && (p.protocol ?? 'TCP') === proto);
    if (!port) return nx;
    if (!want('SRV')) return result([]);
    const base = `${rest[2] ?? ''}.${rest[3] ?? ''}.svc.${CLUSTER_DOMAIN}`;
    const clusterIP = (svc.spec as Obj).clusterIP;
    const targets =
      clusterIP && clusterIP !== 'None'
        ? [base]
        : headlessAddresses(svc, data).map((ad) =>
            ad.hostname ? `${ad.hostname}.${base}` : `${ad.ip.replace(/\./g, '-')}.${base}`,
          );
    return result(
      targets.map((t) => ({
        type: 'SRV',
        name,
        ttl: TTL,
        class: 'IN',
        data: { priority: 0, weight: 100, port: port.port, target: t },
      })),
    );
  }
  // <svc>.<ns>.svc
  if (rest.length === 2) {
    const svc = find(rest[1] ?? '', rest[0] ?? '');
    if (!svc) return nx;
    const spec = svc.spec as Obj;
    if (spec.type === 'ExternalName') {
      return result(
        want('CNAME') || want('A')
          ? [{ type: 'CNAME', name, ttl: TTL, class: 'IN', data: String(spec.externalName) }]
          : [],
      );
    }
    if (!want('A')) return result([]);
    const ip = spec.clusterIP as string | undefined;
    if (ip && ip !== 'None') return result([a(name, ip)]);
    return result(headlessAddresses(svc, data).map((ad) => a(name, ad.ip)));
  }
  // <hostname>.<svc>.<ns>.svc (or a dashed IP)
  if (rest.length === 3) {
    const svc = find(rest[2] ?? '', rest[1] ?? '');
    if (!svc) return nx;
    const host = rest[0] ?? '';
    const match = headlessAddresses(svc, data).filter(
      (ad) => ad.hostname === host || ad.ip.replace(/\./g, '-') === host,
    );
    if (match.length === 0) return nx;
    return result(want('A') ? match.map((ad) => a(name, ad.ip)) : []);
  }
  return nx;
}

export function answerQuery(query: Buffer, data: DnsData): Buffer {
  let packet: dnsPacket.Packet;
  try {
    packet = dnsPacket.decode(query);
  } catch {
    return Buffer.alloc(0);
  }
  const q = packet.questions?.[0];
  const soa: DnsAnswer = {
    type: 'SOA',
    name: CLUSTER_DOMAIN,
    ttl: TTL,
    class: 'IN',
    data: {
      mname: `ns.dns.${CLUSTER_DOMAIN}`,
      rname: `hostmaster.${CLUSTER_DOMAIN}`,
      serial: 1,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: TTL,
    },
  };
  const r = q ? resolveQuestion(q.name, q.type, data) : { rcode: 'NXDOMAIN' as const, answers: [] };
  const rcode = r.rcode === 'NXDOMAIN' ? 3 : 0;
  const rd = (packet.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  return dnsPacket.encode({
    type: 'response',
    id: packet.id ?? 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | rd | rcode,
    questions: packet.questions ?? [],
    answers: r.answers,
    authorities: r.answers.length === 0 ? [soa] : [],
  });
}

/** UDP and TCP DNS on host:port. */
export async function startDnsServer(
  host: string,
  port: number,
  data: DnsData,
): Promise<{ port: number; stop(): Promise<void> }> {
  const udp: Socket = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const out = answerQuery(msg, data);
    if (out.length) udp.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, host, () => resolve());
  });
  const bound = udp.address().port;
  // a failed send to one client must not take the node down
  udp.on('error', () => undefined);
  const tcp: Server = createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const out = answerQuery(buf.subarray(2, 2 + len), data);
        buf = buf.subarray(2 + len);
        const framed = Buffer.alloc(2 + out.length);
        framed.writeUInt16BE(out.length, 0);
        out.copy(framed, 2);
        sock.write(framed);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(bound, host, () => resolve());
  });
  tcp.on('error', () => undefined);
  return {
    port: bound,
    stop: async () => {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}
