import {
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  RequestContext,
  type HttpMethod,
} from '@kubernetes/client-node';
import {
  errorFromResponse,
  errorFromStatus,
  isRetryable,
  retryDelayMs,
  TimeoutError,
} from './errors.ts';
import { builtinResources, collectionPath, objectPath, typeKey } from './resources.ts';
import type {
  KubeList,
  KubeObject,
  ResourceInfo,
  TypeRef,
  WatchEvent,
  WatchEventType,
} from './types.ts';
import { sleep } from './sleep.ts';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface ClientOptions {
  kubeConfig?: KubeConfig;
  /** fieldManager for every write (server-side apply and ordinary writes). */
  fieldManager?: string;
  /** Per-request timeout (not for watches). Default 30 s. */
  timeoutMs?: number;
  /** Retries of transient failures (429, 5xx, timeouts, transport). Default 5. */
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Whether a failed request may be retried (default: true except POST, which retries only 429). */
  idempotent?: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  subresource?: string;
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  force?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  signal?: AbortSignal;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  accept?: string;
  signal?: AbortSignal;
  /** Abort the stream when nothing (not even a bookmark) arrives for this long. */
  inactivityTimeoutMs?: number;
}

/**
 * A thin typed client for any kind over client-node's authenticated transport: explicit content
 * types, typed errors from Status bodies, retries with backoff honouring Retry-After, timeouts.
 */
export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly fieldManager: string;
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly discovered = new Map<string, Promise<ResourceInfo>>();
  private readonly custom = new Map<string, ResourceInfo>();

  constructor(options: ClientOptions = {}) {
    this.kubeConfig = options.kubeConfig ?? loadKubeConfig();
    this.fieldManager = options.fieldManager ?? 'opsmith';
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 5;
    this.retryBaseMs = options.retryBaseMs ?? 200;
    this.retryMaxMs = options.retryMaxMs ?? 10_000;
  }

  /** Registers a kind so no discovery call is needed (e.g. CRDs declared in crd-schemas). */
  register(info: ResourceInfo): void {
    this.custom.set(typeKey(info), info);
  }

  /** Resolves a kind to its resource: registered, built-in, or discovered from the server. */
  async resource(type: TypeRef): Promise<ResourceInfo> {
    const key = typeKey(type);
    const known = this.custom.get(key) ?? builtinResources.get(key);
    if (known) return known;
    let p = this.discovered.get(key);
    if (!p) {
      p = this.discover(type);
      this.discovered.set(key, p);
      p.catch(() => this.discovered.delete(key));
    }
    return p;
  }

  private async discover(type: TypeRef): Promise<ResourceInfo> {
    const path = type.apiVersion.includes('/')
      ? `/apis/${type.apiVersion}`
      : `/api/${type.apiVersion}`;
    const list = await this.request<{
      resources?: { name: string; kind: string; namespaced: boolean }[];
    }>('GET', path);
    const r = list.resources?.find((x) => x.kind === type.kind && !x.name.includes('/'));
    if (!r) throw new Error(`kind ${type.kind} is not served by ${type.apiVersion}`);
    return { ...type, plural: r.name, namespaced: r.namespaced };
  }

  async get<T extends KubeObject>(
    type: TypeRef,
    name: string,
    namespace?: string,
    opts: { subresource?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const r = await this.resource(type);
    return this.request<T>('GET', objectPath(r, name, namespace, opts.subresource), {
      signal: opts.signal,
    });
  }

  /** One page; see listAll for every page. */
  async list<T extends KubeObject>(type: TypeRef, opts: ListOptions = {}): Promise<KubeList<T>> {
    const r = await this.resource(type);
    return this.request<KubeList<T>>('GET', collectionPath(r, opts.namespace), {
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
      },
      accept: opts.accept,
      signal: opts.signal,
    });
  }

  /** Every page of a list; the resourceVersion is the first page's (a consistent snapshot). */
  async listAll<T extends KubeObject>(type: TypeRef, opts: ListOptions = {}): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let first: KubeList<T> | undefined;
    do {
      // the resourceVersion applies to the first page only; the continue token carries it after
      const page = await this.list<T>(type, {
        limit: 500,
        ...opts,
        continue: cont,
        resourceVersion: cont ? undefined : opts.resourceVersion,
      });
      first ??= page;
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { ...first, items };
  }

  async create<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const r = await this.resource(typeOf(obj));
    return this.request<T>('POST', collectionPath(r, obj.metadata?.namespace), {
      body: obj,
      query: this.writeQuery(opts),
      signal: opts.signal,
    });
  }

  /** PUT; carries metadata.resourceVersion, so a stale object fails with ConflictError. */
  async update<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const r = await this.resource(typeOf(obj));
    const m = obj.metadata ?? {};
    return this.request<T>('PUT', objectPath(r, m.name ?? '', m.namespace, opts.subresource), {
      body: obj,
      query: this.writeQuery(opts),
      signal: opts.signal,
    });
  }

  updateStatus<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.update(obj, { ...opts, subresource: 'status' });
  }

  async patch<T extends KubeObject>(
    type: TypeRef,
    name: string,
    namespace: string | undefined,
    patchType: PatchType,
    patch: unknown,
    opts: PatchOptions = {},
  ): Promise<T> {
    const r = await this.resource(type);
    return this.request<T>('PATCH', objectPath(r, name, namespace, opts.subresource), {
      body: patch,
      contentType: PATCH_CONTENT_TYPES[patchType],
      query: {
        ...this.writeQuery(opts),
        force: patchType === 'apply' ? (opts.force ?? true) : undefined,
      },
      signal: opts.signal,
    });
  }

  /** Server-side apply of a (partial) object with our field manager; force by default. */
  apply<T extends KubeObject>(obj: T, opts: PatchOptions = {}): Promise<T> {
    const m = obj.metadata ?? {};
    return this.patch<T>(typeOf(obj), m.name ?? '', m.namespace, 'apply', obj, opts);
  }

  applyStatus<T extends KubeObject>(obj: T, opts: PatchOptions = {}): Promise<T> {
    return this.apply(obj, { ...opts, subresource: 'status' });
  }

  async delete(
    type: TypeRef,
    name: string,
    namespace?: string,
    opts: DeleteOptions = {},
  ): Promise<KubeObject> {
    const r = await this.resource(type);
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    return this.request('DELETE', objectPath(r, name, namespace), { body, signal: opts.signal });
  }

  getScale(type: TypeRef, name: string, namespace?: string): Promise<KubeObject> {
    return this.get(type, name, namespace, { subresource: 'scale' });
  }

  scale(type: TypeRef, name: string, namespace: string | undefined, replicas: number) {
    return this.patch(
      type,
      name,
      namespace,
      'merge',
      { spec: { replicas } },
      { subresource: 'scale' },
    );
  }

  private writeQuery(opts: WriteOptions) {
    return {
      fieldManager: opts.fieldManager ?? this.fieldManager,
      dryRun: opts.dryRun ? 'All' : undefined,
    };
  }

  /** A raw API request with retries; resolves to the parsed JSON body. */
  async request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    const idempotent = opts.idempotent ?? method !== 'POST';
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.send(method, path, opts);
        const text = await res.body.text();
        if (res.httpStatusCode >= 400)
          throw errorFromResponse(res.httpStatusCode, text, res.headers);
        return (text ? JSON.parse(text) : {}) as T;
      } catch (e) {
        const canRetry =
          attempt < this.maxRetries &&
          !opts.signal?.aborted &&
          isRetryable(e) &&
          (idempotent || (e as { code?: number }).code === 429);
        if (!canRetry) throw e;
        await sleep(retryDelayMs(attempt, e, this.retryBaseMs, this.retryMaxMs), opts.signal);
      }
    }
  }

  private async send(method: HttpMethod, path: string, opts: RequestOptions) {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), method);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    ctx.setHeaderParam('Accept', opts.accept ?? 'application/json');
    if (opts.body !== undefined) {
      ctx.setHeaderParam('Content-Type', opts.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(opts.body));
    }
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const signals = [timeout, opts.signal].filter((s): s is AbortSignal => !!s);
    if (signals.length) ctx.setSignal(AbortSignal.any(signals));
    try {
      return await this.http.send(ctx).toPromise();
    } catch (e) {
      if (timeout?.aborted && !opts.signal?.aborted)
        throw new TimeoutError(408, {
          reason: 'Timeout',
          message: `${method} ${path}: no answer within ${timeoutMs} ms`,
        });
      throw e;
    }
  }

  /**
   * Opens a watch and yields its events until the server closes the stream (returns normally),
   * the signal aborts, or an error occurs (thrown; an ERROR event becomes a typed error, e.g. GoneError).
   */
  async *watch<T extends KubeObject>(
    type: TypeRef,
    opts: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const r = await this.resource(type);
    const inactivity = new AbortController();
    const signal = AbortSignal.any([inactivity.signal, ...(opts.signal ? [opts.signal] : [])]);
    const res = await this.send('GET', collectionPath(r, opts.namespace), {
      query: {
        watch: 1,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks ?? true,
        timeoutSeconds: opts.timeoutSeconds,
      },
      accept: opts.accept,
      timeoutMs: 0,
      signal,
    });
    if (res.httpStatusCode >= 400)
      throw errorFromResponse(res.httpStatusCode, await res.body.text(), res.headers);
    const stream = res.body.stream();
    if (!stream) return;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (!opts.inactivityTimeoutMs) return;
      clearTimeout(timer);
      timer = setTimeout(() => inactivity.abort(), opts.inactivityTimeoutMs);
    };
    arm();
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = stream.getReader();
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (opts.signal?.aborted) return;
          if (inactivity.signal.aborted)
            throw new TimeoutError(408, { reason: 'Timeout', message: 'watch went silent' });
          throw e;
        }
        if (chunk.done) return;
        arm();
        buffer += decoder.decode(chunk.value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!line) continue;
          // A malformed line means a broken stream: fail loudly so the informer re-watches.
          const ev = JSON.parse(line) as { type: WatchEventType; object: T };
          if (ev.type === 'ERROR') throw errorFromStatus(ev.object);
          yield ev;
        }
      }
    } finally {
      clearTimeout(timer);
      inactivity.abort();
      reader.releaseLock();
    }
  }
}

function typeOf(obj: KubeObject): TypeRef {
  if (!obj.apiVersion || !obj.kind) throw new Error('object needs apiVersion and kind');
  return { apiVersion: obj.apiVersion, kind: obj.kind };
}

/**
 * Configuration: an explicit kubeconfig path, else the in-cluster service account when running in
 * a pod, else KUBECONFIG / ~/.kube/config.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}
