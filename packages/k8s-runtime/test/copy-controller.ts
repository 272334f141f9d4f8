import {
  applyChild,
  setControllerReference,
  type Manager,
  type UnknownObject,
} from '../src/index.ts';

export const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
export type ConfigMap = UnknownObject & { data?: Record<string, string> };

/**
 * A minimal controller for the tests: every ConfigMap labelled role=source gets a child
 * "<name>-copy" with the same data, owned by it; reconcile counts are recorded per key.
 */
export function setupCopyController(mgr: Manager, counts = new Map<string, number>()) {
  const sources = mgr.informers.informerFor<ConfigMap>(CM, { labelSelector: 'role=source' });
  const copies = mgr.informers.informerFor<ConfigMap>(CM, { labelSelector: 'role=copy' });
  mgr
    .controller('copy')
    .for(CM, { labelSelector: 'role=source' })
    .owns(CM, { labelSelector: 'role=copy' })
    .withOptions({ maxConcurrentReconciles: 2 })
    .complete(async (req) => {
      counts.set(req.key, (counts.get(req.key) ?? 0) + 1);
      const src = sources.getByName(req.name, req.namespace);
      if (!src) return;
      const copy: ConfigMap = {
        ...CM,
        metadata: { name: `${req.name}-copy`, namespace: req.namespace, labels: { role: 'copy' } },
        data: src.data ?? {},
      };
      setControllerReference(src, copy);
      await applyChild(mgr.client, copy, copies.getByName(`${req.name}-copy`, req.namespace));
    });
  return counts;
}
