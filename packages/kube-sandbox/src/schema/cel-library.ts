// The CEL environment of custom-resource validation rules: @marcbachmann/cel-js plus the
// Kubernetes CEL libraries our CRDs use (lists, regex, quantity, sets, strings additions).
import { Environment } from '@marcbachmann/cel-js';
import { CelCidr, CelIp, CelUrl } from './cel-net.ts';
import { compilePattern } from './pattern.ts';
import { Quantity } from './quantity.ts';

type Fn = (...args: never[]) => unknown;

class SetsNamespace {}

function compareValues(a: unknown, b: unknown): number {
  if (a instanceof Quantity && b instanceof Quantity) return a.compare(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (
    (typeof a === 'bigint' || typeof a === 'number') &&
    (typeof b === 'bigint' || typeof b === 'number')
  ) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new Error('no such overload');
}

function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) =>
        celEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return false;
}

function sumOf(list: unknown[]): unknown {
  if (list.length === 0) return 0n;
  return list.reduce((acc: unknown, v) => {
    if (typeof acc === 'bigint' && typeof v === 'bigint') return acc + v;
    if (typeof acc === 'number' && typeof v === 'number') return acc + v;
    throw new Error('no such overload');
  });
}

function extreme(list: unknown[], sign: number): unknown {
  if (list.length === 0) throw new Error('min/max called on empty list');
  return list.reduce((acc, v) => (compareValues(v, acc) * sign > 0 ? v : acc));
}

function quantityOf(s: string): Quantity {
  const q = Quantity.parse(s);
  if (!q)
    throw new Error(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
  return q;
}

function findAll(s: string, re: string, limit?: bigint): string[] {
  const out: string[] = [];
  const regex = new RegExp(re, 'g' + (compilePattern(re)?.unicode ? 'u' : ''));
  for (const m of s.matchAll(regex)) {
    if (limit !== undefined && limit >= 0n && BigInt(out.length) >= limit) break;
    out.push(m[0]);
  }
  return out;
}

function parsed<T>(value: T | undefined, error: string): T {
  if (value === undefined) throw new Error(error);
  return value;
}

function buildEnvironment(): Environment {
  const env = new Environment({
    unlistedVariablesAreDyn: false,
    homogeneousAggregateLiterals: false,
    enableOptionalTypes: true,
  });
  env.registerType('Quantity', Quantity);
  env.registerType('SetsNamespace', SetsNamespace);
  env.registerType('URL', CelUrl);
  env.registerType('IP', CelIp);
  env.registerType('CIDR', CelCidr);
  env.registerConstant('sets', 'SetsNamespace', new SetsNamespace());
  const fns: [string, Fn][] = [
    // k8s list library
    [
      'list.isSorted(): bool',
      (l: unknown[]) => l.every((v, i) => i === 0 || compareValues(l[i - 1], v) <= 0),
    ],
    ['list.sum(): dyn', (l: unknown[]) => sumOf(l)],
    ['list.min(): dyn', (l: unknown[]) => extreme(l, -1)],
    ['list.max(): dyn', (l: unknown[]) => extreme(l, 1)],
    [
      'list.indexOf(dyn): int',
      (l: unknown[], x: unknown) => BigInt(l.findIndex((v) => celEquals(v, x))),
    ],
    [
      'list.lastIndexOf(dyn): int',
      (l: unknown[], x: unknown) => {
        for (let i = l.length - 1; i >= 0; i--) if (celEquals(l[i], x)) return BigInt(i);
        return -1n;
      },
    ],
    // k8s regex library
    [
      'string.find(string): string',
      (s: string, re: string) => compilePattern(re)?.exec(s)?.[0] ?? '',
    ],
    ['string.findAll(string): list<string>', (s: string, re: string) => findAll(s, re)],
    [
      'string.findAll(string, int): list<string>',
      (s: string, re: string, n: bigint) => findAll(s, re, n),
    ],
    // strings extension additions
    [
      'string.replace(string, string): string',
      (s: string, a: string, b: string) => s.split(a).join(b),
    ],
    [
      'string.replace(string, string, int): string',
      (s: string, a: string, b: string, n: bigint) => {
        let out = s;
        let from = 0;
        for (let i = 0n; n < 0n || i < n; i++) {
          const at = out.indexOf(a, from);
          if (at < 0) break;
          out = out.slice(0, at) + b + out.slice(at + a.length);
          from = at + b.length;
        }
        return out;
      },
    ],
    ['string.charAt(int): string', (s: string, i: bigint) => [...s][Number(i)] ?? ''],
    ['string.reverse(): string', (s: string) => [...s].reverse().join('')],
    // k8s quantity library
    ['quantity(string): Quantity', (s: string) => quantityOf(s)],
    ['isQuantity(string): bool', (s: string) => Quantity.parse(s) !== undefined],
    ['Quantity.sign(): int', (q: Quantity) => BigInt(q.nanos > 0n ? 1 : q.nanos < 0n ? -1 : 0)],
    ['Quantity.isInteger(): bool', (q: Quantity) => q.isInteger()],
    ['Quantity.asInteger(): int', (q: Quantity) => q.nanos / 1_000_000_000n],
    ['Quantity.asApproximateFloat(): double', (q: Quantity) => Number(q.nanos) / 1e9],
    ['Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => a.compare(b) > 0],
    ['Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => a.compare(b) < 0],
    ['Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => BigInt(a.compare(b))],
    [
      'Quantity.add(Quantity): Quantity',
      (a: Quantity, b: Quantity) => Quantity.fromNanos(a.nanos + b.nanos),
    ],
    [
      'Quantity.add(int): Quantity',
      (a: Quantity, b: bigint) => Quantity.fromNanos(a.nanos + b * 1_000_000_000n),
    ],
    [
      'Quantity.sub(Quantity): Quantity',
      (a: Quantity, b: Quantity) => Quantity.fromNanos(a.nanos - b.nanos),
    ],
    [
      'Quantity.sub(int): Quantity',
      (a: Quantity, b: bigint) => Quantity.fromNanos(a.nanos - b * 1_000_000_000n),
    ],
    // k8s url library
    [
      'url(string): URL',
      (s: string) => parsed(CelUrl.parse(s), 'URL parse error during conversion from string'),
    ],
    ['isURL(string): bool', (s: string) => CelUrl.parse(s) !== undefined],
    ['URL.getScheme(): string', (u: CelUrl) => u.scheme()],
    ['URL.getHost(): string', (u: CelUrl) => u.host()],
    ['URL.getHostname(): string', (u: CelUrl) => u.hostname()],
    ['URL.getPort(): string', (u: CelUrl) => u.port()],
    ['URL.getEscapedPath(): string', (u: CelUrl) => u.escapedPath()],
    ['URL.getQuery(): map', (u: CelUrl) => u.query()],
    // k8s ip and cidr libraries
    [
      'ip(string): IP',
      (s: string) => parsed(CelIp.parse(s), 'IP Address parse error during conversion from string'),
    ],
    ['isIP(string): bool', (s: string) => CelIp.parse(s) !== undefined],
    ['IP.family(): int', (ip: CelIp) => BigInt(ip.family)],
    ['IP.isLoopback(): bool', (ip: CelIp) => ip.isLoopback()],
    ['IP.isUnspecified(): bool', (ip: CelIp) => ip.isUnspecified()],
    ['string(IP): string', (ip: CelIp) => ip.text],
    [
      'cidr(string): CIDR',
      (s: string) =>
        parsed(CelCidr.parse(s), 'network address parse error during conversion from string'),
    ],
    ['isCIDR(string): bool', (s: string) => CelCidr.parse(s) !== undefined],
    ['CIDR.containsIP(IP): bool', (c: CelCidr, ip: CelIp) => c.containsIp(ip)],
    [
      'CIDR.containsIP(string): bool',
      (c: CelCidr, ip: string) => c.containsIp(parsed(CelIp.parse(ip), 'IP Address parse error')),
    ],
    ['CIDR.containsCIDR(CIDR): bool', (c: CelCidr, o: CelCidr) => c.containsCidr(o)],
    [
      'CIDR.containsCIDR(string): bool',
      (c: CelCidr, o: string) =>
        c.containsCidr(parsed(CelCidr.parse(o), 'network address parse error')),
    ],
    ['CIDR.prefixLength(): int', (c: CelCidr) => BigInt(c.prefix)],
    ['CIDR.ip(): IP', (c: CelCidr) => c.ip],
    // sets extension
    [
      'SetsNamespace.contains(list, list): bool',
      (_ns: SetsNamespace, a: unknown[], b: unknown[]) =>
        b.every((x) => a.some((y) => celEquals(x, y))),
    ],
    [
      'SetsNamespace.equivalent(list, list): bool',
      (_ns: SetsNamespace, a: unknown[], b: unknown[]) =>
        b.every((x) => a.some((y) => celEquals(x, y))) &&
        a.every((x) => b.some((y) => celEquals(x, y))),
    ],
    [
      'SetsNamespace.intersects(list, list): bool',
      (_ns: SetsNamespace, a: unknown[], b: unknown[]) =>
        a.some((x) => b.some((y) => celEquals(x, y))),
    ],
  ];
  for (const [signature, handler] of fns) {
    env.registerFunction(signature, handler as (...args: unknown[]) => unknown);
  }
  return env;
}

let base: Environment | undefined;
let shared: Environment | undefined;

/** Functions and types without variables; typed environments are clones of it. */
export function celBaseEnvironment(): Environment {
  base ??= buildEnvironment();
  return base;
}

/** The evaluation environment: `self` and `oldSelf` are dyn (values are typed by toCel). */
export function celEnvironment(): Environment {
  shared ??= celBaseEnvironment()
    .clone()
    .registerVariable('self', 'dyn')
    .registerVariable('oldSelf', 'dyn');
  return shared;
}

let durationProgram: ((ctx: Record<string, unknown>) => unknown) | undefined;

/** A CEL duration value from a Go duration string ("1h30m"), as the format: duration mapping needs. */
export function celDuration(text: string): unknown {
  durationProgram ??= celEnvironment().parse('duration(self)');
  return durationProgram({ self: text });
}
