export { configMapReplication, replicatorCrds, type ConfigMapReplication } from './crd.ts';
export { desiredCopy, setupReplicator } from './replicator.ts';
