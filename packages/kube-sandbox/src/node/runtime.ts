// What a pod runner needs from the node agent: the API client, the network, caches and settings.
import type { Authenticator, SandboxClient } from '../core/contracts.ts';
import type { KubeObject } from '../core/types.ts';
import type { ImageMap } from './images.ts';
import type { IpPool, NodeNetwork } from './network.ts';

export const GVR = {
  pods: { group: '', version: 'v1', resource: 'pods' },
  services: { group: '', version: 'v1', resource: 'services' },
  endpoints: { group: '', version: 'v1', resource: 'endpoints' },
  configmaps: { group: '', version: 'v1', resource: 'configmaps' },
  secrets: { group: '', version: 'v1', resource: 'secrets' },
  serviceaccounts: { group: '', version: 'v1', resource: 'serviceaccounts' },
  pvcs: { group: '', version: 'v1', resource: 'persistentvolumeclaims' },
  pvs: { group: '', version: 'v1', resource: 'persistentvolumes' },
  nodes: { group: '', version: 'v1', resource: 'nodes' },
  events: { group: '', version: 'v1', resource: 'events' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' },
};

export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export interface RuntimeContext {
  client: SandboxClient;
  net: NodeNetwork;
  nodeName: string;
  images: ImageMap;
  podsDir: string;
  shmDir: string;
  /** Memory cgroup directory for this sandbox, when cgroups are usable. */
  cgroupDir: string | undefined;
  caPem: string;
  ipPool: IpPool;
  backoff: BackoffSettings;
  allocatable: { cpu: number; memory: number };
  configMap(namespace: string, name: string): KubeObject | undefined;
  secret(namespace: string, name: string): KubeObject | undefined;
  serviceAccount(namespace: string, name: string): KubeObject | undefined;
  /** Services for env links: the namespace's plus default/kubernetes. */
  servicesFor(namespace: string): KubeObject[];
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Called when runtime state (pids, netns) changes, to persist it for crash cleanup. */
  persist(): void;
  /** Issues bound service-account tokens (the sandbox's authenticator); TokenRequest through the client when absent. */
  issueToken: Authenticator['issueServiceAccountToken'] | undefined;
  log(message: string): void;
}
