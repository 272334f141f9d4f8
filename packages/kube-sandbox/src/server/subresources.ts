// Subresources: status, scale, finalize (namespaces), pods log/eviction/binding and
// serviceaccounts token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, StatusError } from '../core/errors.ts';
import type { PatchType, PodLogProvider } from '../core/contracts.ts';
import type { KubeObject } from '../core/types.ts';
import { labelSelectorString } from './list-helpers.ts';
import type { ApiCore, RequestContext } from './api.ts';
import { mediaType } from './body.ts';
import type { HttpApi } from './http.ts';
import type { ResourceDef } from './registry.ts';
import { isTrue } from './request-info.ts';
import type { RequestInfo } from './request-info.ts';
import { matchLabels, parseLabelSelector } from '../store/selectors.ts';
import { isPlainObject, timestamp } from './util.ts';

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

const NOT_IMPLEMENTED = new Set([
  'exec',
  'attach',
  'portforward',
  'proxy',
  'ephemeralcontainers',
  'resize',
]);

export interface SubresourceArgs {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  info: RequestInfo;
  def: ResourceDef;
  core: ApiCore;
  ctx: RequestContext;
  logProvider: PodLogProvider | undefined;
  http: HttpApi;
}

export async function handleSubresource(a: SubresourceArgs): Promise<void> {
  const { info, def, core, ctx, res, http } = a;
  const sub = info.subresource!;
  const name = info.name!;
  const namespace = def.info.namespaced ? info.namespace : undefined;
  if (!def.info.subresources.includes(sub)) {
    if (NOT_IMPLEMENTED.has(sub)) {
      throw new StatusError(
        405,
        'MethodNotAllowed',
        sub === 'exec'
          ? 'pods/exec needs a WebSocket upgrade (v5.channel.k8s.io or v4.channel.k8s.io); SPDY is not implemented by kube-sandbox'
          : `${def.info.resource}/${sub} is not implemented by kube-sandbox (no attach, port-forward or proxy streams)`,
      );
    }
    throw errors.pageNotFound();
  }
  const verb = info.verb;
  const patchType = (): PatchType => {
    const t = PATCH_TYPES[mediaType(a.req.headers['content-type'])];
    if (!t) throw errors.unsupportedMediaType(mediaType(a.req.headers['content-type']));
    return t;
  };
  switch (sub) {
    case 'status':
    case 'finalize':
      if (verb === 'get' && sub === 'status')
        return http.respond(res, 200, core.get(def, namespace, name), ctx);
      if (verb === 'update') {
        const body = (await http.body(a.req, def, ctx)) as KubeObject;
        return http.respond(
          res,
          200,
          core.update(def, namespace, name, body, ctx, { subresource: sub }),
          ctx,
        );
      }
      if (verb === 'patch' && sub === 'status') {
        const type = patchType();
        const body = await http.body(a.req, def, ctx);
        const out = core.patch(def, namespace, name, type, body, ctx, {
          subresource: 'status',
          force: isTrue(a.url.searchParams.get('force')),
        });
        return http.respond(res, 200, out, ctx);
      }
      break;
    case 'scale':
      if (verb === 'get')
        return http.respond(res, 200, core.scaleOf(def, core.get(def, namespace, name)), ctx);
      if (verb === 'update') {
        const body = (await http.body(a.req, def, ctx)) as KubeObject;
        if (!isPlainObject(body)) throw errors.badRequest('Scale must be a JSON object');
        return http.respond(res, 200, core.updateScale(def, namespace, name, body, ctx), ctx);
      }
      if (verb === 'patch') {
        const type = patchType();
        const body = await http.body(a.req, def, ctx);
        const current = core.scaleOf(def, core.get(def, namespace, name));
        let patched: KubeObject;
        if (type === 'json') patched = core.patchEngine.jsonPatch(current, body);
        else if (type === 'merge' || type === 'strategic')
          patched = core.patchEngine.mergePatch(current, body);
        else patched = core.patchEngine.mergePatch(current, body);
        if (patched.metadata?.resourceVersion === current.metadata?.resourceVersion)
          delete patched.metadata!.resourceVersion;
        return http.respond(res, 200, core.updateScale(def, namespace, name, patched, ctx), ctx);
      }
      break;
    case 'log':
      if (verb === 'get') return podLog(a, namespace!, name);
      break;
    case 'eviction':
      if (verb === 'create') {
        const body = (await http.body(a.req, def, ctx)) as KubeObject;
        return http.respond(res, 201, evict(core, def, namespace!, name, body, ctx), ctx);
      }
      break;
    case 'binding':
      if (verb === 'create') {
        const body = (await http.body(a.req, def, ctx)) as KubeObject;
        bind(core, def, namespace!, name, body, ctx);
        return http.respond(
          res,
          201,
          { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
          ctx,
        );
      }
      break;
    case 'token':
      if (verb === 'create') {
        const body = (await http.body(a.req, def, ctx)) as KubeObject;
        return http.respond(res, 201, await tokenRequest(core, def, namespace!, name, body), ctx);
      }
      break;
  }
  throw errors.methodNotAllowed(verb, `${def.info.kind}/${sub}`);
}

async function podLog(a: SubresourceArgs, namespace: string, name: string): Promise<void> {
  const pod = a.core.get(a.def, namespace, name);
  const q = a.url.searchParams;
  const spec = (pod.spec ?? {}) as {
    containers?: Array<{ name: string }>;
    initContainers?: Array<{ name: string }>;
  };
  const names = (spec.containers ?? []).map((c) => c.name);
  const all = [...names, ...(spec.initContainers ?? []).map((c) => c.name)];
  let container = q.get('container') ?? '';
  if (!container) {
    if (names.length === 1) container = names[0]!;
    else
      throw errors.badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
      );
  }
  if (!all.includes(container))
    throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  if (!a.logProvider) {
    throw errors.badRequest(
      `container "${container}" in pod "${name}" is not available: this sandbox runs no node (started with --no-node), so pods have no logs`,
    );
  }
  const abort = new AbortController();
  a.req.on('close', () => abort.abort());
  const num = (k: string): number | undefined => {
    const v = q.get(k);
    if (v === null) return undefined;
    if (!/^\d+$/.test(v)) throw errors.badRequest(`invalid value for ${k}: ${v}`);
    return Number(v);
  };
  const tailLines = num('tailLines');
  const sinceSeconds = num('sinceSeconds');
  const limitBytes = num('limitBytes');
  const stream = await a.logProvider({
    namespace,
    pod,
    container,
    follow: isTrue(q.get('follow')),
    previous: isTrue(q.get('previous')),
    timestamps: isTrue(q.get('timestamps')),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    signal: abort.signal,
  });
  a.res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  try {
    for await (const chunk of stream) {
      if (abort.signal.aborted) break;
      a.res.write(chunk);
    }
  } finally {
    a.res.end();
  }
}

/** policy/v1 Eviction: honours PodDisruptionBudgets like the real eviction REST handler. */
export function evict(
  core: ApiCore,
  podDef: ResourceDef,
  namespace: string,
  name: string,
  body: KubeObject,
  ctx: RequestContext,
): KubeObject {
  if (!isPlainObject(body)) throw errors.badRequest('Eviction must be a JSON object');
  if (body.metadata?.name && body.metadata.name !== name) {
    throw errors.badRequest(`name in URL does not match name in Eviction object`);
  }
  const pod = core.get(podDef, namespace, name);
  const deleteOptions = isPlainObject(body.deleteOptions) ? body.deleteOptions : {};
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  if (!terminal && !pod.metadata?.deletionTimestamp) {
    const pdbDef = core.registry.get('policy', 'v1', 'poddisruptionbudgets');
    const pdbs = pdbDef
      ? core.store.list(pdbDef.gr, namespace).filter((pdb) => {
          const sel = (pdb.spec as { selector?: Record<string, unknown> } | undefined)?.selector;
          if (!sel) return false;
          const str = labelSelectorString(sel);
          if (!str) return false; // an empty selector matches nothing for PDBs
          return matchLabels(parseLabelSelector(str), pod.metadata?.labels);
        })
      : [];
    if (pdbs.length > 1) {
      throw errors.internal(
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      );
    }
    if (pdbs.length === 1 && pdbDef) {
      const pdb = pdbs[0];
      const status = (pdb.status ?? {}) as {
        disruptionsAllowed?: number;
        currentHealthy?: number;
        desiredHealthy?: number;
        observedGeneration?: number;
      };
      const pdbName = pdb.metadata?.name ?? '';
      if ((status.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) {
        throw errors.tooManyRequests(
          "Cannot evict pod as it would violate the pod's disruption budget.",
          10,
        );
      }
      if ((status.disruptionsAllowed ?? 0) <= 0) {
        const err = new StatusError(
          429,
          'TooManyRequests',
          "Cannot evict pod as it would violate the pod's disruption budget.",
          {
            causes: [
              {
                reason: 'DisruptionBudget',
                message: `The disruption budget ${pdbName} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`,
              },
            ],
          },
        );
        throw err;
      }
      if (!ctx.dryRun) {
        const next = structuredClone(pdb);
        const ns = next.status as Record<string, unknown>;
        ns.disruptionsAllowed = (status.disruptionsAllowed ?? 0) - 1;
        ns.disruptedPods = {
          ...(ns.disruptedPods ?? {}),
          [name]: timestamp(),
        };
        core.store.put(pdbDef.gr, next);
      }
    }
  }
  core.delete(podDef, namespace, name, deleteOptions, ctx);
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}

export function bind(
  core: ApiCore,
  podDef: ResourceDef,
  namespace: string,
  name: string,
  body: KubeObject,
  ctx: RequestContext,
): void {
  const target = (body as { target?: { name?: string; kind?: string } }).target;
  if (!target?.name) {
    throw errors.invalid('Binding', '', name, [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' },
    ]);
  }
  const pod = core.get(podDef, namespace, name);
  const spec = (pod.spec ?? {}) as { nodeName?: string };
  if (pod.metadata?.deletionTimestamp) {
    throw errors.conflict(
      'pods',
      '',
      name,
      `pod ${name} is being deleted, cannot be assigned to a host`,
    );
  }
  if (spec.nodeName) {
    throw errors.conflict(
      'pods',
      '',
      name,
      `pod ${name} is already assigned to node "${spec.nodeName}"`,
    );
  }
  const next = structuredClone(pod);
  (next.spec as Record<string, unknown>).nodeName = target.name;
  const status = (next.status ??= {}) as { conditions?: Array<Record<string, unknown>> };
  const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  conditions.push({
    type: 'PodScheduled',
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: timestamp(),
  });
  status.conditions = conditions;
  if (ctx.dryRun) return;
  core.store.put(podDef.gr, next);
}

async function tokenRequest(
  core: ApiCore,
  saDef: ResourceDef,
  namespace: string,
  name: string,
  body: KubeObject,
): Promise<KubeObject> {
  const sa = core.get(saDef, namespace, name);
  const spec = (isPlainObject(body?.spec) ? body.spec : {}) as {
    audiences?: string[];
    expirationSeconds?: number;
    boundObjectRef?: { kind?: string; name?: string; uid?: string };
  };
  if (
    spec.expirationSeconds !== undefined &&
    (typeof spec.expirationSeconds !== 'number' || spec.expirationSeconds < 600)
  ) {
    throw errors.invalid('TokenRequest', 'authentication.k8s.io', name, [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: may not specify a duration less than 10 minutes',
        field: 'spec.expirationSeconds',
      },
    ]);
  }
  const bound = spec.boundObjectRef;
  const issued = await core.authenticator.issueServiceAccountToken({
    namespace,
    serviceAccountName: name,
    serviceAccountUid: sa.metadata?.uid ?? '',
    ...(spec.audiences ? { audiences: spec.audiences } : {}),
    expirationSeconds: spec.expirationSeconds ?? 3600,
    ...(bound?.name && (bound.kind === 'Pod' || bound.kind === 'Secret')
      ? { boundObject: { kind: bound.kind, name: bound.name, uid: bound.uid ?? '' } }
      : {}),
  });
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: {
      audiences: spec.audiences ?? ['https://kubernetes.default.svc.cluster.local'],
      expirationSeconds: spec.expirationSeconds ?? 3600,
      boundObjectRef: spec.boundObjectRef ?? null,
    },
    status: { token: issued.token, expirationTimestamp: issued.expirationTimestamp },
  } as unknown as KubeObject;
}
