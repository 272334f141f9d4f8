// The in-process SandboxClient: the same admission and storage path as HTTP, without the network,
// acting as a system:masters user. Results are clones, so callers may mutate them.
import { errors } from '../core/errors.ts';
import type { SandboxClient } from '../core/contracts.ts';
import type { GroupVersionResource, KubeObject, UserInfo } from '../core/types.ts';
import { SYSTEM_MASTERS } from '../core/types.ts';
import type { ApiCore, RequestContext } from './api.ts';
import type { ResourceDef } from './registry.ts';
import { bind, evict } from './subresources.ts';

export function createInProcessClient(core: ApiCore, fieldManager = 'kube-sandbox'): SandboxClient {
  const user: UserInfo = {
    username: 'system:kube-sandbox',
    groups: [SYSTEM_MASTERS, 'system:authenticated'],
  };
  const ctx = (manager = fieldManager): RequestContext => ({
    user,
    warnings: [],
    fieldManager: manager,
    fieldValidation: 'Ignore',
  });
  const def = (gvr: GroupVersionResource): ResourceDef => {
    const d = core.registry.get(gvr.group, gvr.version, gvr.resource);
    if (!d) throw errors.notFound(gvr.resource, gvr.group, '');
    return d;
  };
  const clone = <T>(v: T): T => structuredClone(v);
  const nsOf = (obj: KubeObject): string | undefined => obj.metadata?.namespace;
  return {
    async get(gvr, namespace, name) {
      const obj = core.tryGet(def(gvr), namespace, name);
      return obj && clone(obj);
    },
    async list(gvr, opts = {}) {
      const list = core.list(def(gvr), opts.namespace, {
        ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
        ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
      });
      return {
        items: clone(list.items as KubeObject[]),
        resourceVersion: String((list.metadata as { resourceVersion: string }).resourceVersion),
      };
    },
    watch(gvr, opts, onEvent, onClose) {
      return core.watch(
        def(gvr),
        opts.namespace,
        {
          ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
          ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
          ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}),
        },
        // Deliver asynchronously: a handler that writes must not re-enter the store mid-commit.
        (event) => {
          const copy = clone(event);
          queueMicrotask(() => onEvent(copy));
        },
        () => {
          if (onClose) queueMicrotask(onClose);
        },
      );
    },
    async create(gvr, obj, opts = {}) {
      const d = def(gvr);
      const body = clone(obj);
      if (opts.subresource) return clone(subresourceCreate(core, d, body, opts.subresource));
      return clone(core.create(d, nsOf(body), body, ctx()));
    },
    async update(gvr, obj, opts = {}) {
      const d = def(gvr);
      const body = clone(obj);
      const name = body.metadata?.name ?? '';
      if (opts.subresource === 'scale')
        return clone(core.updateScale(d, nsOf(body), name, body, ctx()));
      return clone(
        core.update(
          d,
          nsOf(body),
          name,
          body,
          ctx(),
          opts.subresource ? { subresource: opts.subresource } : {},
        ),
      );
    },
    async patch(gvr, namespace, name, type, patch, opts = {}) {
      const d = def(gvr);
      return clone(
        core.patch(d, namespace, name, type, clone(patch), ctx(opts.fieldManager), {
          ...(opts.subresource ? { subresource: opts.subresource } : {}),
          ...(opts.force ? { force: true } : {}),
        }),
      );
    },
    async delete(gvr, namespace, name, opts = {}) {
      const out = core.delete(def(gvr), namespace, name, opts, ctx());
      return out.kind === 'Status' ? undefined : clone(out);
    },
  };

  function subresourceCreate(
    c: ApiCore,
    d: ResourceDef,
    body: KubeObject,
    sub: string,
  ): KubeObject {
    const ns = body.metadata?.namespace ?? '';
    const name = body.metadata?.name ?? '';
    if (d.gr === '/pods' && sub === 'eviction') return evict(c, d, ns, name, body, ctx());
    if (d.gr === '/pods' && sub === 'binding') {
      bind(c, d, ns, name, body, ctx());
      return c.get(d, ns, name);
    }
    throw errors.methodNotAllowed('create', `${d.info.kind}/${sub}`);
  }
}
