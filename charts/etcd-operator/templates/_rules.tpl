{{/*
The operator's permissions in the namespaces it watches: exactly the resources and verbs
apps/etcd-operator/src uses (informers list+watch, reconcilers create/update/patch/delete).
e2e/test/etcd-operator-chart.test.ts proves that dropping one rule surfaces a Forbidden error.
*/}}
{{- define "etcd-operator.rules" -}}
# An EtcdRestore creates (and on failure deletes) the EtcdCluster it restores into.
- apiGroups: [etcd.opsmith.io]
  resources: [etcdclusters]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [etcd.opsmith.io]
  resources: [etcdbackups, etcdrestores]
  verbs: [get, list, watch, update, patch]
- apiGroups: [etcd.opsmith.io]
  resources: [etcdclusters/status, etcdbackups/status, etcdrestores/status]
  verbs: [get, update, patch]
- apiGroups: [etcd.opsmith.io]
  resources: [etcdclusters/finalizers, etcdbackups/finalizers, etcdrestores/finalizers]
  verbs: [update]
- apiGroups: ['']
  resources: [pods, persistentvolumeclaims, services]
  verbs: [get, list, watch, create, update, patch, delete]
# Read: backup credentials; written (server-side apply): operator-issued TLS material.
- apiGroups: ['']
  resources: [secrets]
  verbs: [get, create, update, patch]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [monitoring.coreos.com]
  resources: [servicemonitors]
  verbs: [get, create, update, patch, delete]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end -}}
