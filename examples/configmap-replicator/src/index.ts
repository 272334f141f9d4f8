export { configMapReplication, replicatorCrds, type ConfigMapReplication } from './crd.ts';
export { desiredCopy, isForeignConfigMap, setupReplicator } from './replicator.ts';
