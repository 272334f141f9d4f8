// Endpoints and EndpointSlice controller: one Endpoints object and one slice per port set for every
// Service with a selector (the `kubernetes` service belongs to the API server).
import type { KubeObject } from '../../core/types.ts';
import { GVR } from '../gvr.ts';
import {
  deleteIfExists,
  isStatusCode,
  newQueue,
  type Controller,
  type ControllerContext,
} from '../runtime/context.ts';
import { objectKey, splitKey } from '../runtime/informer.ts';
import {
  deepEqual,
  mapSelectorMatches,
  name,
  namespace,
  ownerReference,
  rec,
  spec,
  type Obj,
} from '../util/objects.ts';
import {
  desiredEndpoints,
  desiredPortsKey,
  desiredSlices,
  managesEndpoints,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
  sliceLabels,
  slicePortsKey,
} from './compute.ts';

export function endpointsController(ctx: ControllerContext): Controller {
  const services = ctx.informers.for(GVR.services);
  const pods = ctx.informers.for(GVR.pods);
  const endpoints = ctx.informers.for(GVR.endpoints);
  const slices = ctx.informers.for(GVR.endpointSlices);
  const queue = newQueue(ctx, 'endpoints', reconcile);

  services.onEvent((_t, svc) => queue.add(objectKey(svc)));
  pods.onEvent((_t, pod, old) => {
    for (const svc of services.list(namespace(pod))) {
      const selector = rec(spec(svc).selector) as Record<string, string>;
      if (
        mapSelectorMatches(selector, pod.metadata?.labels) ||
        (old && mapSelectorMatches(selector, old.metadata?.labels))
      ) {
        queue.add(objectKey(svc));
      }
    }
  });
  endpoints.onEvent((_t, ep) => queue.add(objectKey(ep)));
  slices.onEvent((_t, slice) => {
    const svcName = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (svcName) queue.add(`${namespace(slice)}/${svcName}`);
  });

  const ownedSlices = (ns: string | undefined, svcName: string) =>
    slices
      .list(ns)
      .filter(
        (s) =>
          s.metadata?.labels?.[SERVICE_NAME_LABEL] === svcName &&
          s.metadata.labels[MANAGED_BY_LABEL] === MANAGED_BY,
      );

  async function reconcile(key: string) {
    const { namespace: ns, name: svcName } = splitKey(key);
    if (ns === 'default' && svcName === 'kubernetes') return;
    const svc = services.get(ns, svcName);
    const existing = endpoints.get(ns, svcName);
    if (!svc || !managesEndpoints(svc)) {
      // Endpoints of services without a selector belong to their users; only a deleted service's go.
      if (!svc && existing) await deleteIfExists(ctx.client, GVR.endpoints, existing);
      for (const s of ownedSlices(ns, svcName))
        await deleteIfExists(ctx.client, GVR.endpointSlices, s);
      return;
    }
    const all = pods.list(ns);
    await syncEndpoints(existing, desiredEndpoints(svc, all));
    await syncSlices(svc, all);
  }

  async function syncEndpoints(existing: KubeObject | undefined, desired: Obj) {
    if (!existing) {
      try {
        await endpoints.waitForWrite(await ctx.client.create(GVR.endpoints, desired));
      } catch (err) {
        if (!isStatusCode(err, 409)) throw err;
      }
      return;
    }
    const same =
      deepEqual(existing.subsets ?? [], desired.subsets ?? []) &&
      deepEqual(existing.metadata?.labels ?? {}, desired.metadata?.labels ?? {});
    if (same) return;
    const next: KubeObject = {
      ...existing,
      metadata: { ...existing.metadata, labels: desired.metadata?.labels },
    };
    if (desired.subsets) next.subsets = desired.subsets;
    else delete next.subsets;
    await endpoints.waitForWrite(await ctx.client.update(GVR.endpoints, next));
  }

  async function syncSlices(svc: Obj, all: Obj[]) {
    const desired = desiredSlices(svc, all);
    const current = ownedSlices(namespace(svc), name(svc));
    const unmatched = [...current];
    const labels = sliceLabels(svc);
    for (const want of desired) {
      const i = unmatched.findIndex((s) => slicePortsKey(s) === desiredPortsKey(want));
      const slice = i >= 0 ? unmatched.splice(i, 1)[0] : unmatched.shift();
      if (!slice) {
        const created = await ctx.client.create(GVR.endpointSlices, {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            generateName: `${name(svc)}-`,
            namespace: namespace(svc),
            labels,
            ownerReferences: [ownerReference(svc, 'v1', 'Service')],
          },
          addressType: 'IPv4',
          endpoints: want.endpoints,
          ports: want.ports,
        });
        await slices.waitForWrite(created);
        continue;
      }
      const same =
        deepEqual(slice.endpoints ?? [], want.endpoints) &&
        deepEqual(slice.ports ?? [], want.ports) &&
        deepEqual(slice.metadata?.labels ?? {}, labels);
      if (same) continue;
      const updated = await ctx.client.update(GVR.endpointSlices, {
        ...slice,
        metadata: { ...slice.metadata, labels },
        endpoints: want.endpoints,
        ports: want.ports,
      });
      await slices.waitForWrite(updated);
    }
    for (const extra of unmatched) await deleteIfExists(ctx.client, GVR.endpointSlices, extra);
  }

  return {
    name: 'endpoints',
    queue,
    start: () => {
      for (const svc of services.list()) queue.add(objectKey(svc));
      for (const ep of endpoints.list())
        if (!services.get(namespace(ep), name(ep))) queue.add(objectKey(ep));
    },
  };
}
