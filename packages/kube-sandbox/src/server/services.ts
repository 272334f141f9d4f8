// Service ClusterIP and NodePort allocation, like the real server's allocators: 10.96.0.0/16,
// requested IPs honoured, "None" for headless, 422 when an IP is taken, release on delete.
import { errors, fieldErrors } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';
import { isPlainObject } from './util.ts';

const RANGE_BASE = (10 << 24) | (96 << 16);
const RANGE_SIZE = 1 << 16;
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

function ipToNumber(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

function numberToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: Array<{ nodePort?: number; [k: string]: unknown }>;
  [k: string]: unknown;
}

export class ClusterIpAllocator {
  private readonly used = new Set<string>();
  private readonly usedPorts = new Set<number>();
  private next = 11;
  private nextPort = NODE_PORT_MIN;

  /** Marks the IPs and node ports of an existing service as used (startup). */
  observe(svc: KubeObject): void {
    const spec = svc.spec as ServiceSpec | undefined;
    if (spec?.clusterIP && spec.clusterIP !== 'None') this.used.add(spec.clusterIP);
    for (const p of spec?.ports ?? []) if (p.nodePort) this.usedPorts.add(p.nodePort);
  }

  release(svc: KubeObject): void {
    const spec = svc.spec as ServiceSpec | undefined;
    if (spec?.clusterIP) this.used.delete(spec.clusterIP);
    for (const p of spec?.ports ?? []) if (p.nodePort) this.usedPorts.delete(p.nodePort);
  }

  /** Fills spec.clusterIP(s) and node ports on create/update; throws 422 on a taken or bad IP. */
  assign(svc: KubeObject, old: KubeObject | undefined, dryRun: boolean): void {
    if (!isPlainObject(svc.spec)) svc.spec = {};
    const spec = svc.spec as ServiceSpec;
    const oldSpec = old?.spec as ServiceSpec | undefined;
    const name = svc.metadata?.name ?? '';
    if (spec.type === 'ExternalName') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
      return;
    }
    if (oldSpec?.clusterIP && !spec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    const requested = spec.clusterIP ?? spec.clusterIPs?.[0];
    if (old && requested === oldSpec?.clusterIP) {
      spec.clusterIPs = requested ? [requested] : [];
    } else if (requested === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
    } else if (requested) {
      const n = ipToNumber(requested);
      if (n === undefined || n < RANGE_BASE || n >= RANGE_BASE + RANGE_SIZE) {
        throw errors.invalid('Service', '', name, [
          fieldErrors.invalid(
            'spec.clusterIPs',
            [requested],
            `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is 10.96.0.0/16`,
          ),
        ]);
      }
      if (this.used.has(requested)) {
        throw errors.invalid('Service', '', name, [
          fieldErrors.invalid(
            'spec.clusterIPs',
            [requested],
            `failed to allocate IP ${requested}: provided IP is already allocated`,
          ),
        ]);
      }
      if (!dryRun) this.used.add(requested);
      spec.clusterIPs = [requested];
    } else {
      const ip = this.allocate();
      if (!dryRun) this.used.add(ip);
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    }
    if (oldSpec?.clusterIP && oldSpec.clusterIP !== spec.clusterIP && !dryRun)
      this.used.delete(oldSpec.clusterIP);
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      for (const [i, port] of (spec.ports ?? []).entries()) {
        if (!isPlainObject(port)) continue;
        const oldPort = oldSpec?.ports?.[i]?.nodePort;
        if (!port.nodePort && oldPort) port.nodePort = oldPort;
        if (port.nodePort) {
          if (port.nodePort !== oldPort && this.usedPorts.has(port.nodePort)) {
            throw errors.invalid('Service', '', name, [
              fieldErrors.invalid(
                `spec.ports[${i}].nodePort`,
                port.nodePort,
                'provided port is already allocated',
              ),
            ]);
          }
        } else port.nodePort = this.allocatePort();
        if (!dryRun) this.usedPorts.add(port.nodePort);
      }
    }
  }

  private allocate(): string {
    for (let i = 0; i < RANGE_SIZE; i++) {
      const offset = ((this.next + i) % (RANGE_SIZE - 2)) + 1;
      const ip = numberToIp(RANGE_BASE + offset);
      if (!this.used.has(ip) && ip !== KUBERNETES_SERVICE_IP) {
        this.next = offset + 1;
        return ip;
      }
    }
    throw errors.internal('failed to allocate a serviceIP: range is full');
  }

  private allocatePort(): number {
    for (let i = 0; i <= NODE_PORT_MAX - NODE_PORT_MIN; i++) {
      const port =
        NODE_PORT_MIN + ((this.nextPort - NODE_PORT_MIN + i) % (NODE_PORT_MAX - NODE_PORT_MIN + 1));
      if (!this.usedPorts.has(port)) {
        this.nextPort = port + 1;
        return port;
      }
    }
    throw errors.internal('failed to allocate a nodePort: range is full');
  }
}
