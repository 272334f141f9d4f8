// Values of the Kubernetes CEL url, ip and cidr libraries.
import { isIPv4, isIPv6 } from './formats.ts';

export class CelUrl {
  readonly url: URL;

  constructor(url: URL) {
    this.url = url;
  }

  static parse(text: string): CelUrl | undefined {
    // the k8s library accepts absolute URIs and absolute paths
    try {
      return new CelUrl(text.startsWith('/') ? new URL(text, 'path-only:/') : new URL(text));
    } catch {
      return undefined;
    }
  }

  scheme(): string {
    return this.url.protocol === 'path-only:' ? '' : this.url.protocol.replace(/:$/, '');
  }

  host(): string {
    return this.url.host;
  }

  hostname(): string {
    return this.url.hostname.replace(/^\[|\]$/g, '');
  }

  port(): string {
    return this.url.port;
  }

  escapedPath(): string {
    return this.url.pathname;
  }

  query(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, v] of this.url.searchParams) (out[k] ??= []).push(v);
    return out;
  }
}

function ipv4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, p) => (acc << 8n) + BigInt(Number(p)), 0n);
}

function ipv6ToBigInt(ip: string): bigint {
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4ToBigInt(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', back] = text.split('::');
  const h = head ? head.split(':') : [];
  const b = back !== undefined && back !== '' ? back.split(':') : [];
  const groups =
    back === undefined ? h : [...h, ...Array<string>(8 - h.length - b.length).fill('0'), ...b];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

export class CelIp {
  readonly family: 4 | 6;
  readonly value: bigint;
  readonly text: string;

  constructor(family: 4 | 6, value: bigint, text: string) {
    this.family = family;
    this.value = value;
    this.text = text;
  }

  static parse(text: string): CelIp | undefined {
    if (isIPv4(text)) return new CelIp(4, ipv4ToBigInt(text), text);
    if (isIPv6(text) && !text.includes('%')) return new CelIp(6, ipv6ToBigInt(text), text);
    return undefined;
  }

  bits(): number {
    return this.family === 4 ? 32 : 128;
  }

  isLoopback(): boolean {
    return this.family === 4 ? this.value >> 24n === 127n : this.value === 1n;
  }

  isUnspecified(): boolean {
    return this.value === 0n;
  }

  toString(): string {
    return this.text;
  }
}

export class CelCidr {
  readonly ip: CelIp;
  readonly prefix: number;

  constructor(ip: CelIp, prefix: number) {
    this.ip = ip;
    this.prefix = prefix;
  }

  static parse(text: string): CelCidr | undefined {
    const slash = text.indexOf('/');
    if (slash < 0) return undefined;
    const ip = CelIp.parse(text.slice(0, slash));
    const bits = text.slice(slash + 1);
    if (!ip || !/^\d{1,3}$/.test(bits) || Number(bits) > ip.bits()) return undefined;
    return new CelCidr(ip, Number(bits));
  }

  private mask(): bigint {
    const total = BigInt(this.ip.bits());
    const host = total - BigInt(this.prefix);
    return ((1n << total) - 1n) ^ ((1n << host) - 1n);
  }

  containsIp(ip: CelIp): boolean {
    return (
      ip.family === this.ip.family && (ip.value & this.mask()) === (this.ip.value & this.mask())
    );
  }

  containsCidr(other: CelCidr): boolean {
    return (
      other.ip.family === this.ip.family && other.prefix >= this.prefix && this.containsIp(other.ip)
    );
  }
}
