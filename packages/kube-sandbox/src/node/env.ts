// Container environment and command line, as the kubelet computes them: service link variables,
// envFrom, env with valueFrom, $(VAR) expansion with $$ escaping, command/args over ENTRYPOINT/CMD.
// Pure: every lookup comes in through EnvSources.
import type { KubeObject } from '../core/types.ts';
import type { ImageSpec } from './images.ts';

export type Obj = Record<string, unknown>;

export interface EnvSources {
  configMap(namespace: string, name: string): KubeObject | undefined;
  secret(namespace: string, name: string): KubeObject | undefined;
  podIP: string;
  hostIP: string;
  /** Services visible to the pod: its namespace's, plus `kubernetes` in default. */
  services: KubeObject[];
  /** Node allocatable, for resourceFieldRef without a limit. */
  nodeAllocatable: { cpu: number; memory: number };
}

export class ContainerConfigError extends Error {}

/** $(VAR) expansion like k8s.io/kubernetes/third_party/forked/golang/expansion. */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, end);
      const value = lookup(name);
      out += value ?? `$(${name})`;
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** A resource.Quantity as a number ("500m" -> 0.5, "1Gi" -> 1073741824). */
export function parseQuantity(q: unknown): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+)(?:[eE]([+-]?\d+))?([a-zA-Z]*)$/.exec(String(q).trim());
  if (!m) throw new ContainerConfigError(`invalid quantity ${JSON.stringify(q)}`);
  const factor = SUFFIX[m[3] ?? ''];
  if (factor === undefined) throw new ContainerConfigError(`invalid quantity ${JSON.stringify(q)}`);
  return Number(m[1]) * (m[2] ? 10 ** Number(m[2]) : 1) * factor;
}

function decode(secret: KubeObject, key: string): string | undefined {
  const data = secret.data as Record<string, string> | undefined;
  if (data?.[key] !== undefined) return Buffer.from(data[key], 'base64').toString('utf8');
  const sd = secret.stringData as Record<string, string> | undefined;
  return sd?.[key];
}

/** metadata.labels['x'] style field paths (env and downwardAPI volumes). */
export function podFieldValue(
  pod: KubeObject,
  path: string,
  src: { podIP: string; hostIP: string },
): string {
  const meta = pod.metadata ?? {};
  const spec = (pod.spec ?? {}) as Obj;
  const sub = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (sub) {
    const m = (sub[1] === 'labels' ? meta.labels : meta.annotations) ?? {};
    return m[sub[2] ?? ''] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels ?? {});
    case 'metadata.annotations':
      return formatMap(meta.annotations ?? {});
    case 'spec.nodeName':
      return String(spec.nodeName ?? '');
    case 'spec.serviceAccountName':
      return String(spec.serviceAccountName ?? 'default');
    case 'status.podIP':
    case 'status.podIPs':
      return src.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return src.hostIP;
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath ${JSON.stringify(path)}`);
  }
}

/** key="value" lines sorted by key, values escaped like kubelet's fieldpath.FormatMap. */
export function formatMap(m: Record<string, string>): string {
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`)
    .join('\n');
}

export function resourceFieldValue(
  container: Obj,
  ref: { resource?: string; divisor?: unknown },
  allocatable: { cpu: number; memory: number },
): string {
  const resources = (container.resources ?? {}) as { limits?: Obj; requests?: Obj };
  const resource = ref.resource ?? '';
  const [kind, name] = resource.split('.') as [string, string];
  const divisor = ref.divisor === undefined ? 1 : parseQuantity(ref.divisor);
  const limits = resources.limits ?? {};
  const requests = resources.requests ?? {};
  let value: number;
  const fallback = name === 'cpu' ? allocatable.cpu : name === 'memory' ? allocatable.memory : 0;
  if (kind === 'limits') {
    value = limits[name] !== undefined ? parseQuantity(limits[name]) : fallback;
  } else if (kind === 'requests') {
    value =
      requests[name] !== undefined
        ? parseQuantity(requests[name])
        : limits[name] !== undefined
          ? parseQuantity(limits[name])
          : name === 'cpu' || name === 'memory'
            ? 0
            : 0;
  } else {
    throw new ContainerConfigError(
      `unsupported resourceFieldRef resource ${JSON.stringify(resource)}`,
    );
  }
  return String(Math.ceil(value / divisor - 1e-9));
}

function serviceEnvName(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/** Docker-links style variables for the services, like kubelet's envvars.FromServices. */
export function serviceLinkEnv(services: KubeObject[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const sorted = [...services].sort((a, b) =>
    (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  );
  for (const svc of sorted) {
    const spec = (svc.spec ?? {}) as { clusterIP?: string; ports?: Obj[] };
    const ip = spec.clusterIP;
    if (!ip || ip === 'None') continue;
    const ports = spec.ports ?? [];
    const first = ports[0];
    if (!first) continue;
    const base = serviceEnvName(svc.metadata?.name ?? '');
    out.push([`${base}_SERVICE_HOST`, ip]);
    out.push([`${base}_SERVICE_PORT`, String(first.port)]);
    for (const p of ports) {
      if (p.name)
        out.push([`${base}_SERVICE_PORT_${serviceEnvName(String(p.name))}`, String(p.port)]);
    }
    const proto = String(first.protocol ?? 'TCP').toLowerCase();
    out.push([`${base}_PORT`, `${proto}://${ip}:${String(first.port)}`]);
    for (const p of ports) {
      const pr = String(p.protocol ?? 'TCP');
      const prefix = `${base}_PORT_${String(p.port)}_${pr.toUpperCase()}`;
      out.push([prefix, `${pr.toLowerCase()}://${ip}:${String(p.port)}`]);
      out.push([`${prefix}_PROTO`, pr.toLowerCase()]);
      out.push([`${prefix}_PORT`, String(p.port)]);
      out.push([`${prefix}_ADDR`, ip]);
    }
  }
  return out;
}

/**
 * The container's environment, in kubelet order: image env, service links, envFrom, env. Throws
 * ContainerConfigError (the pod shows CreateContainerConfigError) for a missing non-optional source.
 */
export function buildEnv(
  pod: KubeObject,
  container: Obj,
  image: ImageSpec,
  src: EnvSources,
): Map<string, string> {
  const ns = pod.metadata?.namespace ?? 'default';
  const spec = (pod.spec ?? {}) as Obj;
  const env = new Map<string, string>();
  for (const [k, v] of Object.entries(image.env)) env.set(k, v);
  const links =
    spec.enableServiceLinks === false
      ? src.services.filter(
          (s) => s.metadata?.name === 'kubernetes' && s.metadata.namespace === 'default',
        )
      : src.services;
  for (const [k, v] of serviceLinkEnv(links)) env.set(k, v);

  for (const from of (container.envFrom ?? []) as Obj[]) {
    const prefix = String(from.prefix ?? '');
    const cmRef = from.configMapRef as { name?: string; optional?: boolean } | undefined;
    const secRef = from.secretRef as { name?: string; optional?: boolean } | undefined;
    if (cmRef) {
      const cm = src.configMap(ns, cmRef.name ?? '');
      if (!cm) {
        if (cmRef.optional) continue;
        throw new ContainerConfigError(`configmap "${cmRef.name ?? ''}" not found`);
      }
      for (const [k, v] of Object.entries((cm.data ?? {}) as Record<string, string>))
        env.set(prefix + k, v);
    }
    if (secRef) {
      const s = src.secret(ns, secRef.name ?? '');
      if (!s) {
        if (secRef.optional) continue;
        throw new ContainerConfigError(`secret "${secRef.name ?? ''}" not found`);
      }
      for (const k of Object.keys(s.data ?? {})) env.set(prefix + k, decode(s, k) ?? '');
    }
  }

  const lookup = (name: string) => env.get(name);
  for (const e of (container.env ?? []) as Obj[]) {
    const name = String(e.name);
    const valueFrom = e.valueFrom as Obj | undefined;
    if (!valueFrom) {
      env.set(name, expandVars(String(e.value ?? ''), lookup));
      continue;
    }
    const value = valueFromSource(pod, container, valueFrom, src);
    if (value !== undefined) env.set(name, value);
  }
  return env;
}

function valueFromSource(
  pod: KubeObject,
  container: Obj,
  valueFrom: Obj,
  src: EnvSources,
): string | undefined {
  const ns = pod.metadata?.namespace ?? 'default';
  if (valueFrom.fieldRef) {
    return podFieldValue(pod, String((valueFrom.fieldRef as Obj).fieldPath), src);
  }
  if (valueFrom.resourceFieldRef) {
    const ref = valueFrom.resourceFieldRef as {
      resource?: string;
      divisor?: unknown;
      containerName?: string;
    };
    const containers = [
      ...(((pod.spec as Obj).containers ?? []) as Obj[]),
      ...(((pod.spec as Obj).initContainers ?? []) as Obj[]),
    ];
    const target = ref.containerName
      ? containers.find((c) => c.name === ref.containerName)
      : container;
    return resourceFieldValue(target ?? container, ref, src.nodeAllocatable);
  }
  const keyRef = (valueFrom.configMapKeyRef ?? valueFrom.secretKeyRef) as
    | { name?: string; key?: string; optional?: boolean }
    | undefined;
  if (keyRef) {
    const isSecret = Boolean(valueFrom.secretKeyRef);
    const kind = isSecret ? 'secret' : 'configmap';
    const obj = isSecret ? src.secret(ns, keyRef.name ?? '') : src.configMap(ns, keyRef.name ?? '');
    if (!obj) {
      if (keyRef.optional) return undefined;
      throw new ContainerConfigError(`${kind} "${keyRef.name ?? ''}" not found`);
    }
    const key = keyRef.key ?? '';
    const value = isSecret ? decode(obj, key) : ((obj.data ?? {}) as Record<string, string>)[key];
    if (value === undefined) {
      if (keyRef.optional) return undefined;
      throw new ContainerConfigError(
        `couldn't find key ${key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${ns}/${keyRef.name ?? ''}`,
      );
    }
    return value;
  }
  return undefined;
}

/** command overrides ENTRYPOINT (and drops CMD); args override CMD; $(VAR) expanded in both. */
export function commandLine(container: Obj, image: ImageSpec, env: Map<string, string>): string[] {
  const lookup = (name: string) => env.get(name);
  const command = container.command as string[] | undefined;
  const args = container.args as string[] | undefined;
  const cmd = command?.length ? command.map((c) => expandVars(c, lookup)) : image.entrypoint;
  const rest = args?.length
    ? args.map((a) => expandVars(a, lookup))
    : command?.length
      ? []
      : image.cmd;
  return [...cmd, ...rest];
}
