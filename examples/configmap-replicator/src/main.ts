// Entry point: node --conditions=@opsmith/source examples/configmap-replicator/src/main.ts
import { Manager } from '@opsmith/k8s-runtime';
import { setupReplicator } from './replicator.ts';

const mgr = new Manager({
  fieldManager: 'configmap-replicator',
  httpPort: Number(process.env.HTTP_PORT ?? 8080),
  leaderElection: process.env.POD_NAMESPACE
    ? { namespace: process.env.POD_NAMESPACE, name: 'configmap-replicator' }
    : undefined,
});
setupReplicator(mgr);
mgr.handleSignals();
await mgr.start();
