// The HTTP face of the API: authentication, authorization, content negotiation (JSON, Table,
// PartialObjectMetadata), discovery, OpenAPI, every verb and subresource, watch streaming, the
// /sandbox fault-injection endpoints. Every handler is wrapped: bad input answers a Status, never a crash.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, qualifiedResource, StatusError } from '../core/errors.ts';
import type {
  AdminRouteHandler,
  PatchType,
  PodLogProvider,
  ServedResource,
} from '../core/contracts.ts';
import type { KubeObject, RequestAttributes, UserInfo, WatchEvent } from '../core/types.ts';
import { SYSTEM_MASTERS } from '../core/types.ts';
import type { ApiCore, DeleteOptionsBody, FieldValidation, RequestContext } from './api.ts';
import { decodeBody, mediaType, readBody } from './body.ts';
import type { FaultInjector } from './faults.ts';
import { validateFaultRule } from './faults.ts';
import { ApiMetrics } from './metrics.ts';
import { groupDoc, resourceDocs } from './discovery.ts';
import type { ResourceDef } from './registry.ts';
import { parseRequestInfo, isTrue } from './request-info.ts';
import type { RequestInfo } from './request-info.ts';
import { handleSubresource } from './subresources.ts';
import { partialMetadata, toPartialList, toTable } from './table.ts';
import type { IncludeObject } from './table.ts';
import { apiVersionOf, isPlainObject } from './util.ts';

export const KUBE_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export interface HttpDeps {
  core: ApiCore;
  faults: FaultInjector;
  /** Served resources with schemas, for OpenAPI. */
  served: () => ServedResource[];
  logProvider: () => PodLogProvider | undefined;
  serverAddress: () => string;
}

type Negotiated =
  | { kind: 'json' }
  | { kind: 'table'; include: IncludeObject }
  | { kind: 'partial' };

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

export class HttpApi {
  private readonly deps: HttpDeps;
  private readonly openWatches = new Set<() => void>();
  private readonly adminRoutes = new Map<string, AdminRouteHandler>();
  readonly metrics = new ApiMetrics();
  private openapiCache = new Map<string, string>();
  private shuttingDown = false;

  constructor(deps: HttpDeps) {
    this.deps = deps;
    deps.core.registry.onChange(() => {
      this.openapiCache = new Map();
    });
  }

  /** Adds an admin-only endpoint at /sandbox/<path>. */
  registerAdminRoute(method: string, path: string, handler: AdminRouteHandler): void {
    this.adminRoutes.set(
      `${method.toUpperCase()} /sandbox/${path.replace(/^\/+|\/+$/g, '')}`,
      handler,
    );
  }

  /** Ends every streaming response (shutdown). */
  closeStreams(): void {
    this.shuttingDown = true;
    for (const close of [...this.openWatches]) close();
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req, res).catch((err: unknown) => {
      try {
        this.sendError(res, err);
      } catch {
        // Even the error could not be sent (e.g. the socket is gone): never crash the server.
        res.destroy();
      }
    });
  };

  private sendJson(
    res: ServerResponse,
    code: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-cache, private',
      ...headers,
    });
    res.end(text);
  }

  private sendError(res: ServerResponse, err: unknown, warnings: string[] = []): void {
    const status =
      err instanceof StatusError
        ? err
        : errors.internal(err instanceof Error ? err.message : String(err));
    if (!(err instanceof StatusError) && process.env.KUBE_SANDBOX_DEBUG) console.error(err);
    this.sendJson(res, status.code, status.toStatus(), {
      ...status.headers,
      ...warningHeader(warnings),
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (!path.startsWith('/sandbox/')) {
      const gate = this.deps.faults.gate();
      if (gate) await gate;
    }
    if (
      PUBLIC_PATHS.has(path) ||
      path.startsWith('/livez/') ||
      path.startsWith('/readyz/') ||
      path.startsWith('/healthz/')
    ) {
      return this.nonResource(req, res, path, url);
    }
    const user = await this.authenticate(req);
    if (!user) throw errors.unauthorized();
    if (path.startsWith('/sandbox/') || path === '/sandbox') {
      if (!user.groups.includes(SYSTEM_MASTERS))
        throw errors.forbidden(
          `forbidden: User "${user.username}" cannot use the sandbox control endpoints`,
        );
      return this.sandboxEndpoint(req, res, path, method);
    }
    const info = parseRequestInfo(method, path, url.searchParams);
    if (!info.isResourceRequest) {
      // Non-resource paths (discovery, OpenAPI, /metrics) are authorized by path, as in RBAC.
      const attrs: RequestAttributes = {
        user,
        verb: method.toLowerCase(),
        resourceRequest: false,
        path,
      };
      const decision = await this.deps.core.authorizer.authorize(attrs);
      if (!decision.allowed) {
        throw (
          this.deps.core.authExtras.forbidden?.(attrs, decision.reason) ??
          errors.forbidden(`forbidden: User "${user.username}" cannot ${attrs.verb} path "${path}"`)
        );
      }
      return this.nonResource(req, res, path, url);
    }
    return this.resource(req, res, url, info, user);
  }

  private async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return undefined;
    return this.deps.core.authenticator.authenticate(m[1]);
  }

  // ------------------------------------------------------------------ non-resource paths

  private async nonResource(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    url: URL,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed(method, path);
    if (path === '/version') return this.sendJson(res, 200, KUBE_VERSION);
    if (path === '/metrics') {
      const text = this.metrics.render(this.deps.core.store);
      res.writeHead(200, {
        'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    if (
      ['/healthz', '/livez', '/readyz'].includes(path) ||
      /^\/(healthz|livez|readyz)\//.test(path)
    ) {
      const verbose = url.searchParams.has('verbose');
      const text = verbose
        ? `[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]poststarthook/start-apiextensions-controllers ok\n${path.slice(1).split('/')[0]} check passed\n`
        : 'ok';
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    const registry = this.deps.core.registry;
    if (path === '/api') {
      return this.sendJson(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [
          { clientCIDR: '0.0.0.0/0', serverAddress: this.deps.serverAddress() },
        ],
      });
    }
    if (path === '/apis') {
      return this.sendJson(res, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: registry
          .groups()
          .filter((g) => g.name !== '')
          .map((g) => groupDoc(g.name, g.versions)),
      });
    }
    const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
    if (groupMatch) {
      const g = registry.groups().find((x) => x.name === groupMatch[1]);
      if (!g) throw errors.pageNotFound();
      return this.sendJson(res, 200, {
        kind: 'APIGroup',
        apiVersion: 'v1',
        ...groupDoc(g.name, g.versions),
      });
    }
    const gvMatch = /^\/api\/(v1)$|^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (gvMatch) {
      const group = gvMatch[1] ? '' : gvMatch[2];
      const version = gvMatch[1] ?? gvMatch[3];
      const defs = registry.resourcesIn(group, version);
      if (!defs.length) throw errors.pageNotFound();
      return this.sendJson(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: apiVersionOf(group, version),
        resources: defs.flatMap(resourceDocs),
      });
    }
    if (path === '/openapi/v2')
      return this.sendOpenApi(res, 'v2', () => this.deps.core.schema.openApiV2(this.deps.served()));
    if (path === '/openapi/v3') {
      return this.sendOpenApi(res, 'v3', () =>
        this.deps.core.schema.openApiV3Index(this.deps.served()),
      );
    }
    const v3 = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (v3) {
      const group = v3[1] ? '' : v3[2];
      const version = v3[1] ?? v3[3];
      return this.sendOpenApi(res, `v3/${group}/${version}`, () => {
        const doc = this.deps.core.schema.openApiV3GroupVersion(this.deps.served(), group, version);
        if (!doc) throw errors.pageNotFound();
        return doc;
      });
    }
    throw errors.pageNotFound();
  }

  private sendOpenApi(
    res: ServerResponse,
    key: string,
    build: () => Record<string, unknown>,
  ): void {
    let text = this.openapiCache.get(key);
    if (text === undefined) {
      text = JSON.stringify(build());
      this.openapiCache.set(key, text);
    }
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  // ------------------------------------------------------------------ /sandbox

  private async sandboxEndpoint(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    method: string,
  ): Promise<void> {
    const faults = this.deps.faults;
    if (path === '/sandbox/faults') {
      if (method === 'GET') return this.sendJson(res, 200, { faults: faults.list() });
      if (method === 'DELETE') {
        faults.clear();
        return this.sendJson(res, 200, { faults: [] });
      }
      if (method === 'POST') {
        const body = decodeBody(await readBody(req), req.headers['content-type'], '');
        const rules = Array.isArray(body.value) ? body.value : [body.value];
        const ids = rules.map((r) => faults.add(validateFaultRule(r)));
        return this.sendJson(res, 201, { ids, faults: faults.list() });
      }
    }
    if (path === '/sandbox/watches/close' && method === 'POST') {
      const closed = this.deps.core.closeAllWatches();
      return this.sendJson(res, 200, { closed });
    }
    if (path === '/sandbox/pause' && method === 'POST') {
      faults.pause();
      return this.sendJson(res, 200, { paused: true });
    }
    if (path === '/sandbox/resume' && method === 'POST') {
      faults.resume();
      return this.sendJson(res, 200, { paused: false });
    }
    const route = this.adminRoutes.get(`${method} ${path}`);
    if (route) {
      const buf = await readBody(req);
      const body = buf.length ? decodeBody(buf, req.headers['content-type'], '').value : undefined;
      const result = await route(body, new URL(req.url ?? '/', 'https://sandbox').searchParams);
      return this.sendJson(res, 200, result ?? {});
    }
    throw errors.pageNotFound();
  }

  // ------------------------------------------------------------------ resources

  private async resource(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    info: RequestInfo,
    user: UserInfo,
  ): Promise<void> {
    const core = this.deps.core;
    const q = url.searchParams;
    const def = core.registry.get(info.apiGroup, info.apiVersion, info.resource ?? '');
    if (!def) throw errors.pageNotFound();
    const namespace = def.info.namespaced ? info.namespace : undefined;
    res.on('finish', () =>
      this.metrics.countRequest({
        verb: info.verb,
        group: info.apiGroup,
        version: info.apiVersion,
        resource: info.resource ?? '',
        subresource: info.subresource ?? '',
        scope:
          info.name && !def.info.namespaced ? 'resource' : info.namespace ? 'namespace' : 'cluster',
        code: res.statusCode,
      }),
    );
    if (def.info.namespaced && !namespace && info.name && info.resource !== 'namespaces')
      throw errors.pageNotFound();
    const attrs: RequestAttributes = {
      user,
      verb: info.verb,
      resourceRequest: true,
      apiGroup: info.apiGroup,
      apiVersion: info.apiVersion,
      resource: info.resource!,
      ...(info.subresource ? { subresource: info.subresource } : {}),
      ...(info.namespace ? { namespace: info.namespace } : {}),
      ...(info.name ? { name: info.name } : {}),
    };
    const decision = await core.authorizer.authorize(attrs);
    if (!decision.allowed)
      throw (
        core.authExtras.forbidden?.(attrs, decision.reason) ?? forbidden(attrs, decision.reason)
      );
    const fault = this.deps.faults.decide(info.verb, info.resource, info.namespace, info.name);
    if (fault.timeout) {
      // Hold the request until the client gives up (the connection closes).
      await new Promise<void>((resolve) => {
        req.on('close', resolve);
        res.on('close', resolve);
      });
      return;
    }
    if (fault.error) throw fault.error;
    const ctx: RequestContext = {
      user,
      dryRun: q.getAll('dryRun').includes('All'),
      fieldValidation: parseFieldValidation(q.get('fieldValidation')),
      warnings: [],
      ...fieldManagerOf(q, req),
    };
    const negotiated = negotiate(req.headers.accept, q);
    try {
      if (info.subresource) {
        await handleSubresource({
          req,
          res,
          url,
          info,
          def,
          core,
          ctx,
          logProvider: this.deps.logProvider(),
          http: this,
        });
        return;
      }
      await this.verb(req, res, url, info, def, namespace, ctx, negotiated);
    } catch (err) {
      this.sendError(res, err, ctx.warnings);
    }
  }

  /** Reads and decodes the body, recording duplicate fields in ctx. */
  async body(req: IncomingMessage, def: ResourceDef, ctx: RequestContext): Promise<unknown> {
    const decoded = decodeBody(
      await readBody(req),
      req.headers['content-type'],
      `${def.info.kind} in version "${def.info.version}" cannot be handled as a ${def.info.kind}: `,
    );
    ctx.duplicateFields = decoded.duplicateFields;
    return decoded.value;
  }

  respond(
    res: ServerResponse,
    code: number,
    obj: KubeObject,
    ctx: RequestContext,
    negotiated: Negotiated = { kind: 'json' },
    def?: ResourceDef,
  ): void {
    let body: unknown = obj;
    if (def && obj.kind !== 'Status') {
      if (negotiated.kind === 'table') {
        body = toTable(
          def.info,
          [obj],
          { resourceVersion: obj.metadata?.resourceVersion ?? '' },
          negotiated.include,
        );
      } else if (negotiated.kind === 'partial') body = partialMetadata(obj);
    }
    this.sendJson(res, code, body, warningHeader(ctx.warnings));
  }

  private async verb(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    info: RequestInfo,
    def: ResourceDef,
    namespace: string | undefined,
    ctx: RequestContext,
    negotiated: Negotiated,
  ): Promise<void> {
    const core = this.deps.core;
    const q = url.searchParams;
    const name = info.name;
    if (def.virtual && info.verb !== 'create')
      throw errors.methodNotAllowed(info.verb, def.info.kind);
    switch (info.verb) {
      case 'get':
        return this.respond(res, 200, core.get(def, namespace, name!), ctx, negotiated, def);
      case 'list': {
        const list = core.list(def, namespace, {
          ...optional('labelSelector', q.get('labelSelector')),
          ...optional('fieldSelector', q.get('fieldSelector')),
          ...optional('continue', q.get('continue')),
          ...optional('resourceVersion', q.get('resourceVersion')),
          ...optional('resourceVersionMatch', q.get('resourceVersionMatch')),
          ...(q.get('limit') ? { limit: parseIntParam('limit', q.get('limit')!) } : {}),
        });
        const items = list.items as KubeObject[];
        const meta = list.metadata as Record<string, unknown>;
        if (negotiated.kind === 'table')
          return this.sendJson(res, 200, toTable(def.info, items, meta, negotiated.include));
        if (negotiated.kind === 'partial')
          return this.sendJson(res, 200, toPartialList(items, meta));
        return this.sendJson(res, 200, list);
      }
      case 'watch':
        return this.watch(req, res, q, def, namespace, name, negotiated);
      case 'create': {
        if (name) throw errors.methodNotAllowed('POST', def.info.kind);
        const body = (await this.body(req, def, ctx)) as KubeObject;
        if (def.virtual) {
          const { handleReview } = await import('./reviews.ts');
          return this.sendJson(res, 201, await handleReview(core, def, namespace, body, ctx));
        }
        const created = core.create(def, namespace, body, ctx);
        return this.respond(res, 201, created, ctx, negotiated, def);
      }
      case 'update': {
        const body = (await this.body(req, def, ctx)) as KubeObject;
        return this.respond(
          res,
          200,
          core.update(def, namespace, name!, body, ctx),
          ctx,
          negotiated,
          def,
        );
      }
      case 'patch': {
        const type = PATCH_TYPES[mediaType(req.headers['content-type'])];
        if (!type) throw errors.unsupportedMediaType(mediaType(req.headers['content-type']));
        const body = await this.body(req, def, ctx);
        const existed = core.tryGet(def, namespace, name!) !== undefined;
        const out = core.patch(def, namespace, name!, type, body, ctx, {
          force: isTrue(q.get('force')),
        });
        return this.respond(res, existed ? 200 : 201, out, ctx, negotiated, def);
      }
      case 'delete': {
        const options = await this.deleteOptions(req, q, ctx);
        const out = core.delete(def, namespace, name!, options, ctx);
        return this.respond(
          res,
          out.kind === 'Status' ? 200 : 200,
          out,
          ctx,
          { kind: 'json' },
          def,
        );
      }
      case 'deletecollection': {
        const options = await this.deleteOptions(req, q, ctx);
        const out = core.deleteCollection(
          def,
          namespace,
          {
            ...optional('labelSelector', q.get('labelSelector')),
            ...optional('fieldSelector', q.get('fieldSelector')),
          },
          options,
          ctx,
        );
        return this.sendJson(res, 200, out, warningHeader(ctx.warnings));
      }
      default:
        throw errors.methodNotAllowed(info.verb, def.info.kind);
    }
  }

  private async deleteOptions(
    req: IncomingMessage,
    q: URLSearchParams,
    ctx: RequestContext,
  ): Promise<DeleteOptionsBody> {
    const buf = await readBody(req);
    let options: DeleteOptionsBody = {};
    if (buf.length) {
      const decoded = decodeBody(buf, req.headers['content-type'], 'DeleteOptions: ');
      if (decoded.value !== null && !isPlainObject(decoded.value))
        throw errors.badRequest('DeleteOptions must be a JSON object');
      options = decoded.value ?? {};
      if (options.dryRun?.includes('All')) ctx.dryRun = true;
    }
    if (q.get('propagationPolicy')) options.propagationPolicy = q.get('propagationPolicy')!;
    if (q.get('gracePeriodSeconds'))
      options.gracePeriodSeconds = parseIntParam(
        'gracePeriodSeconds',
        q.get('gracePeriodSeconds')!,
      );
    if (q.get('orphanDependents')) options.orphanDependents = isTrue(q.get('orphanDependents'));
    return options;
  }

  private watch(
    req: IncomingMessage,
    res: ServerResponse,
    q: URLSearchParams,
    def: ResourceDef,
    namespace: string | undefined,
    name: string | undefined,
    negotiated: Negotiated,
  ): void {
    const core = this.deps.core;
    let fieldSelector = q.get('fieldSelector') ?? undefined;
    if (name) fieldSelector = [fieldSelector, `metadata.name=${name}`].filter(Boolean).join(',');
    const timeoutSeconds = q.get('timeoutSeconds')
      ? parseIntParam('timeoutSeconds', q.get('timeoutSeconds')!)
      : 1800 + Math.floor(Math.random() * 1800);
    const sendInitial = q.get('sendInitialEvents');
    let first = true;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      handle?.stop();
      clearTimeout(timer);
      this.openWatches.delete(end);
      res.end();
    };
    // Validate selectors before committing to a 200 stream.
    core.matcher(def, namespace, q.get('labelSelector') ?? undefined, fieldSelector);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    // Clients (client-node, client-go) wait for the headers before treating the watch as open.
    res.flushHeaders();
    const sink = (event: WatchEvent): void => {
      if (ended) return;
      let object: unknown = event.object;
      if (event.type !== 'ERROR' && event.type !== 'BOOKMARK') {
        if (negotiated.kind === 'table') {
          object = toTable(
            def.info,
            [event.object],
            { resourceVersion: event.object.metadata?.resourceVersion ?? '' },
            negotiated.include,
            first,
          );
          first = false;
        } else if (negotiated.kind === 'partial') object = partialMetadata(event.object);
      }
      res.write(serializeEvent(event.type, object));
    };
    const handle = core.watch(
      def,
      namespace,
      {
        ...optional('labelSelector', q.get('labelSelector')),
        ...optional('fieldSelector', fieldSelector),
        ...optional('resourceVersion', q.get('resourceVersion')),
        ...optional('resourceVersionMatch', q.get('resourceVersionMatch')),
        allowWatchBookmarks: isTrue(q.get('allowWatchBookmarks')),
        ...(sendInitial !== null ? { sendInitialEvents: isTrue(sendInitial) } : {}),
      },
      sink,
      () => setImmediate(end),
    );
    const timer = setTimeout(end, timeoutSeconds * 1000);
    timer.unref();
    this.openWatches.add(end);
    this.metrics.watches++;
    res.on('close', () => this.metrics.watches--);
    req.on('close', end);
    res.on('close', end);
    if (this.shuttingDown) end();
  }
}

const eventCache = new WeakMap<object, string>();

/** Serializes a watch event once per object for all watchers. */
function serializeEvent(type: string, object: unknown): string {
  if (typeof object === 'object' && object !== null && type !== 'BOOKMARK') {
    const key = object;
    const cached = eventCache.get(key);
    if (cached !== undefined && cached.startsWith(`{"type":"${type}"`)) return cached;
    const text = `{"type":"${type}","object":${JSON.stringify(object)}}\n`;
    eventCache.set(key, text);
    return text;
  }
  return `{"type":"${type}","object":${JSON.stringify(object)}}\n`;
}

function optional<K extends string>(
  key: K,
  value: string | null | undefined,
): Partial<Record<K, string>> {
  return value === null || value === undefined || value === ''
    ? {}
    : ({ [key]: value } as Record<K, string>);
}

function parseIntParam(name: string, value: string): number {
  if (!/^-?\d+$/.test(value)) throw errors.badRequest(`invalid value for ${name}: ${value}`);
  return Number(value);
}

function parseFieldValidation(value: string | null): FieldValidation | undefined {
  if (value === null || value === '') return undefined;
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw errors.badRequest(
    `fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${value}"`,
  );
}

function fieldManagerOf(q: URLSearchParams, req: IncomingMessage): { fieldManager?: string } {
  const explicit = q.get('fieldManager');
  if (explicit) {
    if (explicit.length > 128)
      throw errors.badRequest('fieldManager: Too long: may not be more than 128 bytes');
    return { fieldManager: explicit };
  }
  const ua = req.headers['user-agent'];
  if (!ua) return {};
  return { fieldManager: ua.split('/')[0].slice(0, 128) };
}

export function warningHeader(warnings: string[]): Record<string, string> {
  if (!warnings.length) return {};
  // Header values must be printable ASCII: escape the rest, and bound each warning's size.
  const encode = (w: string): string =>
    `299 - ${JSON.stringify(w.length > 1024 ? `${w.slice(0, 1024)}...` : w).replace(
      /[^\x20-\x7e]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    )}`;
  return { Warning: warnings.slice(0, 50).map(encode).join(', ') };
}

/** Accept header -> JSON, Table or PartialObjectMetadata(List). */
function negotiate(accept: string | undefined, q: URLSearchParams): Negotiated {
  if (!accept) return { kind: 'json' };
  let sawJson = false;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    const p = new Map(params.map((kv) => kv.split('=') as [string, string]));
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    const as = p.get('as');
    if (!as) {
      sawJson = true;
      return { kind: 'json' };
    }
    if (
      as === 'Table' &&
      p.get('g') === 'meta.k8s.io' &&
      (p.get('v') === 'v1' || p.get('v') === 'v1beta1')
    ) {
      const include = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
      return {
        kind: 'table',
        include: ['None', 'Metadata', 'Object'].includes(include) ? include : 'Metadata',
      };
    }
    if (
      (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') &&
      p.get('g') === 'meta.k8s.io'
    ) {
      return { kind: 'partial' };
    }
  }
  if (!sawJson && !/application\/json|\*\/\*/.test(accept)) {
    throw new StatusError(
      406,
      'NotAcceptable',
      `only the following media types are accepted: application/json, application/yaml`,
    );
  }
  return { kind: 'json' };
}

/** 403 worded like the real RBAC authorizer's. */
export function forbidden(attrs: RequestAttributes, reason: string): StatusError {
  const res = attrs.resource ?? '';
  const resourceText = attrs.subresource ? `${res}/${attrs.subresource}` : res;
  const scope = attrs.namespace
    ? ` in the namespace "${attrs.namespace}"`
    : attrs.resource === 'namespaces'
      ? ''
      : ' at the cluster scope';
  const what = attrs.name
    ? `${qualifiedResource(res, attrs.apiGroup ?? '')} "${attrs.name}"`
    : qualifiedResource(res, attrs.apiGroup ?? '');
  const message = `${what} is forbidden: User "${attrs.user.username}" cannot ${attrs.verb} resource "${resourceText}" in API group "${attrs.apiGroup ?? ''}"${scope}${reason ? `: ${reason}` : ''}`;
  return errors.forbidden(message, {
    ...(attrs.name ? { name: attrs.name } : {}),
    ...(attrs.apiGroup ? { group: attrs.apiGroup } : {}),
    kind: res,
  });
}
