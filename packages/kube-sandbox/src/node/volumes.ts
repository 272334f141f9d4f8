// Pod volumes on the host: directories the kubelet prepares and the launch script bind-mounts.
// configMap/secret/downwardAPI/projected go through the atomic writer and are refreshed when their
// sources change; the service-account token is requested through TokenRequest and renewed at 80%
// of its lifetime, like the kubelet's token manager.
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../core/types.ts';
import { writeAtomic, type Payload } from './atomic-writer.ts';
import { formatMap, podFieldValue, resourceFieldValue, type Obj } from './env.ts';

export class VolumeNotReady extends Error {}

export interface VolumeSources {
  configMap(namespace: string, name: string): KubeObject | undefined;
  secret(namespace: string, name: string): KubeObject | undefined;
  pvc(namespace: string, name: string): Promise<KubeObject | undefined>;
  pv(name: string): Promise<KubeObject | undefined>;
  token(args: { serviceAccount: string; audience?: string; expirationSeconds: number }): Promise<{
    token: string;
    expirationTimestamp: string;
  }>;
  caPem: string;
  podIP: string;
  hostIP: string;
  nodeAllocatable: { cpu: number; memory: number };
}

export interface PreparedVolume {
  name: string;
  hostPath: string;
  /** configMap/secret/projected/downwardAPI are always mounted read-only. */
  forceReadOnly: boolean;
  /** PVC claim name, for chaos wipe. */
  claimName?: string;
}

/** The kube-api-access projected volume the ServiceAccount admission plugin adds to pods. */
export const SA_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const KUBE_API_ACCESS = 'kube-api-access-sandbox';

export function kubeApiAccessVolume(): Obj {
  return {
    name: KUBE_API_ACCESS,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [
              {
                path: 'namespace',
                fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
              },
            ],
          },
        },
      ],
    },
  };
}

/** Whether the pod gets the implicit service-account volume (spec, then the ServiceAccount). */
export function needsServiceAccountVolume(pod: KubeObject, sa: KubeObject | undefined): boolean {
  const spec = (pod.spec ?? {}) as Obj;
  const volumes = (spec.volumes ?? []) as Obj[];
  if (volumes.some((v) => String(v.name).startsWith('kube-api-access-'))) return false;
  if (typeof spec.automountServiceAccountToken === 'boolean')
    return spec.automountServiceAccountToken;
  if (sa && typeof sa.automountServiceAccountToken === 'boolean')
    return sa.automountServiceAccountToken;
  return true;
}

function mode(m: unknown, fallback: number): number {
  return typeof m === 'number' ? m : fallback;
}

type Items = Array<{ key?: string; path: string; mode?: number }> | undefined;

/** configMap/secret data (already decoded) -> payload honouring items, modes and optional. */
export function keyedPayload(
  what: string,
  data: Record<string, Buffer>,
  items: Items,
  defaultMode: number,
  optional: boolean,
): Payload {
  const out: Payload = {};
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) out[k] = { data: v, mode: defaultMode };
    return out;
  }
  for (const it of items) {
    const v = data[it.key ?? ''];
    if (v === undefined) {
      if (optional) continue;
      throw new VolumeNotReady(`configuration key ${JSON.stringify(it.key)} not found in ${what}`);
    }
    out[it.path] = { data: v, mode: mode(it.mode, defaultMode) };
  }
  return out;
}

function configMapData(cm: KubeObject): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((cm.data ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v);
  for (const [k, v] of Object.entries((cm.binaryData ?? {}) as Record<string, string>)) {
    out[k] = Buffer.from(v, 'base64');
  }
  return out;
}

function secretData(s: KubeObject): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((s.data ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries((s.stringData ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v);
  return out;
}

export function downwardPayload(
  pod: KubeObject,
  items: Obj[],
  defaultMode: number,
  src: { podIP: string; hostIP: string; nodeAllocatable: { cpu: number; memory: number } },
): Payload {
  const out: Payload = {};
  const containers = ((pod.spec as Obj).containers ?? []) as Obj[];
  for (const it of items) {
    let value: string;
    if (it.fieldRef) {
      const path = String((it.fieldRef as Obj).fieldPath);
      value =
        path === 'metadata.labels'
          ? formatMap(pod.metadata?.labels ?? {})
          : path === 'metadata.annotations'
            ? formatMap(pod.metadata?.annotations ?? {})
            : podFieldValue(pod, path, src);
    } else if (it.resourceFieldRef) {
      const ref = it.resourceFieldRef as {
        containerName?: string;
        resource?: string;
        divisor?: unknown;
      };
      const c = containers.find((x) => x.name === ref.containerName) ?? containers[0] ?? {};
      value = resourceFieldValue(c, ref, src.nodeAllocatable);
    } else continue;
    out[String(it.path)] = { data: Buffer.from(value), mode: mode(it.mode, defaultMode) };
  }
  return out;
}

interface CachedToken {
  token: string;
  refreshAt: number;
}

/** Prepares and refreshes the volumes of one pod. */
export class PodVolumes {
  readonly #pod: () => KubeObject;
  readonly #dir: string;
  readonly #shmDir: string;
  readonly #src: VolumeSources;
  readonly #tokens = new Map<string, CachedToken>();
  readonly prepared = new Map<string, PreparedVolume>();

  constructor(pod: () => KubeObject, podDir: string, shmDir: string, src: VolumeSources) {
    this.#pod = pod;
    this.#dir = join(podDir, 'volumes');
    this.#shmDir = shmDir;
    this.#src = src;
  }

  /** The pod's volumes plus the implicit kube-api-access one when it applies. */
  volumes(withServiceAccount: boolean): Obj[] {
    const vols = [...(((this.#pod().spec as Obj).volumes ?? []) as Obj[])];
    if (withServiceAccount) vols.push(kubeApiAccessVolume());
    return vols;
  }

  async prepare(withServiceAccount: boolean): Promise<void> {
    for (const v of this.volumes(withServiceAccount)) {
      this.prepared.set(String(v.name), await this.#prepareOne(v));
    }
  }

  /** Rewrites every projected kind of volume (no-op when nothing changed); returns changed names. */
  async refresh(withServiceAccount: boolean): Promise<string[]> {
    const changed: string[] = [];
    for (const v of this.volumes(withServiceAccount)) {
      if (v.configMap || v.secret || v.projected || v.downwardAPI) {
        try {
          const path = join(this.#dir, String(v.name));
          if (writeAtomic(path, await this.#payload(v))) {
            this.#fsGroupFiles(path);
            changed.push(String(v.name));
          }
        } catch (err) {
          if (!(err instanceof VolumeNotReady)) throw err;
        }
      }
    }
    return changed;
  }

  async #prepareOne(v: Obj): Promise<PreparedVolume> {
    const name = String(v.name);
    const pod = this.#pod();
    const ns = pod.metadata?.namespace ?? 'default';
    if (v.emptyDir !== undefined) {
      const medium = (v.emptyDir as Obj | null)?.medium;
      const path = medium === 'Memory' ? join(this.#shmDir, name) : join(this.#dir, name);
      mkdirSync(path, { recursive: true });
      chmodSync(path, 0o777);
      return { name, hostPath: path, forceReadOnly: false };
    }
    if (v.hostPath) {
      const hp = v.hostPath as { path: string; type?: string };
      if (hp.type === 'DirectoryOrCreate') mkdirSync(hp.path, { recursive: true, mode: 0o755 });
      if (hp.type === 'FileOrCreate' && !existsSync(hp.path))
        writeFileSync(hp.path, '', { mode: 0o644 });
      if ((hp.type === 'Directory' || hp.type === 'File') && !existsSync(hp.path)) {
        throw new VolumeNotReady(
          `hostPath type check failed: ${hp.path} is not a ${hp.type.toLowerCase()}`,
        );
      }
      return { name, hostPath: hp.path, forceReadOnly: false };
    }
    if (v.persistentVolumeClaim) {
      const claim = String((v.persistentVolumeClaim as Obj).claimName);
      const pvc = await this.#src.pvc(ns, claim);
      if (!pvc) throw new VolumeNotReady(`persistentvolumeclaim "${claim}" not found`);
      const volumeName = (pvc.spec as Obj | undefined)?.volumeName as string | undefined;
      const phase = (pvc.status as Obj | undefined)?.phase;
      if (!volumeName || phase === 'Pending') {
        throw new VolumeNotReady(`pod has unbound immediate PersistentVolumeClaims (${claim})`);
      }
      const pv = await this.#src.pv(volumeName);
      const spec = (pv?.spec ?? {}) as Obj;
      const path = ((spec.hostPath ?? spec.local) as { path?: string } | undefined)?.path;
      if (!path)
        throw new VolumeNotReady(`persistentvolume "${volumeName}" has no hostPath/local path`);
      mkdirSync(path, { recursive: true });
      // like local-path-provisioner: any container user may write its claim
      if ((statSync(path).mode & 0o777) !== 0o777) chmodSync(path, 0o777);
      return { name, hostPath: path, forceReadOnly: false, claimName: claim };
    }
    if (v.configMap || v.secret || v.projected || v.downwardAPI) {
      const path = join(this.#dir, name);
      writeAtomic(path, await this.#payload(v));
      this.#fsGroupFiles(path);
      return { name, hostPath: path, forceReadOnly: true };
    }
    throw new VolumeNotReady(`volume ${name}: this volume type is not supported by kube-sandbox`);
  }

  /**
   * The kubelet's SetVolumeOwnership on secret/configMap/projected/downwardAPI volumes: with an
   * fsGroup, every file becomes group-owned by it and group-readable (mode | 0440, so a
   * defaultMode 0400 file is readable by a non-root container in that group).
   */
  #fsGroupFiles(root: string): void {
    const fsGroup = (this.#pod().spec as Obj | undefined)?.securityContext as Obj | undefined;
    const gid = fsGroup?.fsGroup;
    if (typeof gid === 'number') applyFsGroupRecursive(root, gid);
  }

  async #payload(v: Obj): Promise<Payload> {
    const pod = this.#pod();
    const ns = pod.metadata?.namespace ?? 'default';
    if (v.configMap)
      return this.#configMap(ns, v.configMap as Obj, mode((v.configMap as Obj).defaultMode, 0o644));
    if (v.secret)
      return this.#secret(ns, v.secret as Obj, mode((v.secret as Obj).defaultMode, 0o644));
    if (v.downwardAPI) {
      const d = v.downwardAPI as Obj;
      return downwardPayload(pod, (d.items ?? []) as Obj[], mode(d.defaultMode, 0o644), this.#src);
    }
    const p = v.projected as Obj;
    const defaultMode = mode(p.defaultMode, 0o644);
    const out: Payload = {};
    for (const s of (p.sources ?? []) as Obj[]) {
      if (s.configMap) Object.assign(out, this.#configMap(ns, s.configMap as Obj, defaultMode));
      if (s.secret) Object.assign(out, this.#secret(ns, s.secret as Obj, defaultMode));
      if (s.downwardAPI) {
        Object.assign(
          out,
          downwardPayload(
            pod,
            ((s.downwardAPI as Obj).items ?? []) as Obj[],
            defaultMode,
            this.#src,
          ),
        );
      }
      if (s.serviceAccountToken) {
        const t = s.serviceAccountToken as {
          audience?: string;
          expirationSeconds?: number;
          path: string;
        };
        out[t.path] = {
          data: Buffer.from(await this.#token(t.audience, t.expirationSeconds ?? 3607)),
          mode: defaultMode,
        };
      }
    }
    return out;
  }

  #configMap(ns: string, ref: Obj, defaultMode: number): Payload {
    const name = String(ref.name ?? '');
    const optional = ref.optional === true;
    // kube-root-ca.crt is published in every namespace by the real controller-manager; serve the CA
    // even when nobody created the ConfigMap.
    const cm =
      this.#src.configMap(ns, name) ??
      (name === 'kube-root-ca.crt' ? { data: { 'ca.crt': this.#src.caPem } } : undefined);
    if (!cm) {
      if (optional) return {};
      throw new VolumeNotReady(`configmap "${name}" not found`);
    }
    return keyedPayload(
      `ConfigMap ${ns}/${name}`,
      configMapData(cm),
      ref.items as Items,
      defaultMode,
      optional,
    );
  }

  #secret(ns: string, ref: Obj, defaultMode: number): Payload {
    const name = String(ref.secretName ?? ref.name ?? '');
    const optional = ref.optional === true;
    const s = this.#src.secret(ns, name);
    if (!s) {
      if (optional) return {};
      throw new VolumeNotReady(`secret "${name}" not found`);
    }
    return keyedPayload(
      `Secret ${ns}/${name}`,
      secretData(s),
      ref.items as Items,
      defaultMode,
      optional,
    );
  }

  async #token(audience: string | undefined, expirationSeconds: number): Promise<string> {
    const key = `${audience ?? ''}/${String(expirationSeconds)}`;
    const cached = this.#tokens.get(key);
    if (cached && Date.now() < cached.refreshAt) return cached.token;
    const sa = String(
      ((this.#pod().spec as Obj).serviceAccountName as string | undefined) ?? 'default',
    );
    const issued = Date.now();
    let t: { token: string; expirationTimestamp: string };
    try {
      t = await this.#src.token({
        serviceAccount: sa,
        ...(audience ? { audience } : {}),
        expirationSeconds,
      });
    } catch (err) {
      if (err instanceof VolumeNotReady) throw err;
      throw new VolumeNotReady(`failed to fetch token: ${(err as Error).message}`);
    }
    const expires = Date.parse(t.expirationTimestamp);
    const refreshAt = Number.isFinite(expires)
      ? issued + (expires - issued) * 0.8
      : issued + expirationSeconds * 800;
    this.#tokens.set(key, { token: t.token, refreshAt });
    return t.token;
  }
}

/** fsGroup on a read-only volume's whole tree: files | 0440, directories | 02550 (symlinks kept). */
export function applyFsGroupRecursive(path: string, fsGroup: number): void {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    chownSync(path, st.uid, fsGroup);
    chmodSync(path, (st.mode & 0o7777) | (st.isDirectory() ? 0o2550 : 0o440));
    if (st.isDirectory()) {
      for (const entry of readdirSync(path)) applyFsGroupRecursive(join(path, entry), fsGroup);
    }
  } catch {
    // best effort, like SetVolumeOwnership on filesystems that do not support it
  }
}

/** fsGroup: volume roots group-owned and setgid, as the kubelet does (top level only). */
export function applyFsGroup(path: string, fsGroup: number): void {
  try {
    const st = statSync(path);
    chownSync(path, st.uid, fsGroup);
    chmodSync(path, (st.mode & 0o7777) | 0o2070);
  } catch {
    // best effort, like SetVolumeOwnership on filesystems that do not support it
  }
}
