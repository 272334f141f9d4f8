// Admission the real API server applies through its default plugins, where clients can see it:
// ServiceAccount (a pod's service account must exist) and DefaultStorageClass (claims without a
// class get the default StorageClass).
import { errors } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';
import type { ApiCore } from './api.ts';
import { isPlainObject } from './util.ts';

const DEFAULT_CLASS_ANNOTATIONS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

/** Objects the sandbox stores but does not act on: writes carry a Warning saying so. */
const INERT: Record<string, string> = {
  'admissionregistration.k8s.io/mutatingwebhookconfigurations':
    'kube-sandbox stores admission webhook configurations but never calls the webhooks',
  'admissionregistration.k8s.io/validatingwebhookconfigurations':
    'kube-sandbox stores admission webhook configurations but never calls the webhooks',
  '/resourcequotas': 'kube-sandbox stores ResourceQuotas but does not enforce them',
  '/limitranges': 'kube-sandbox stores LimitRanges but does not apply or enforce them',
  'networking.k8s.io/networkpolicies':
    'kube-sandbox stores NetworkPolicies but does not enforce them',
};

export function installAdmission(core: ApiCore): void {
  core.hooks.prepare.push((def, obj, old, ctx) => {
    const inert = INERT[def.gr];
    if (inert) ctx.warnings.push(inert);
    if (def.gr === 'apiextensions.k8s.io/customresourcedefinitions') {
      const strategy = (obj.spec as { conversion?: { strategy?: string } } | undefined)?.conversion
        ?.strategy;
      if (strategy === 'Webhook') {
        ctx.warnings.push(
          `kube-sandbox does not call conversion webhooks: the versions of ${obj.metadata?.name ?? ''} are converted with strategy None (apiVersion rewrite only)`,
        );
      }
    }
    if (old) return;
    if (def.gr === '/pods') admitPodServiceAccount(core, obj);
    else if (def.gr === '/persistentvolumeclaims') defaultStorageClass(core, obj);
  });
}

function admitPodServiceAccount(core: ApiCore, pod: KubeObject): void {
  const spec = isPlainObject(pod.spec) ? pod.spec : undefined;
  if (!spec) return;
  // Mirror pods (static pods from a kubelet) are exempt, as in the real plugin.
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror']) return;
  const namespace = pod.metadata?.namespace ?? '';
  const name =
    typeof spec.serviceAccountName === 'string' && spec.serviceAccountName
      ? spec.serviceAccountName
      : 'default';
  if (core.store.get('/serviceaccounts', namespace, name)) return;
  throw errors.forbidden(
    `pods "${pod.metadata?.name ?? ''}" is forbidden: error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`,
    { name: pod.metadata?.name ?? '', kind: 'pods' },
  );
}

function defaultStorageClass(core: ApiCore, pvc: KubeObject): void {
  if (!isPlainObject(pvc.spec)) return;
  const spec = pvc.spec;
  if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
  const defaults = core.store
    .list('storage.k8s.io/storageclasses')
    .filter((sc) => DEFAULT_CLASS_ANNOTATIONS.some((a) => sc.metadata?.annotations?.[a] === 'true'))
    // The newest default wins when several are marked (Kubernetes >= 1.26).
    .sort(
      (a, b) =>
        String(b.metadata?.creationTimestamp).localeCompare(
          String(a.metadata?.creationTimestamp),
        ) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
    );
  if (defaults[0]) spec.storageClassName = defaults[0].metadata?.name;
}
