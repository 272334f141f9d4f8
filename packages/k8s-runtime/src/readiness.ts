import type { KubeObject } from './types.ts';

interface Cond {
  type: string;
  status: string;
}
type Obj = KubeObject & {
  spec?: { replicas?: number };
  status?: {
    phase?: string;
    conditions?: Cond[];
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
};

export function isPodReady(pod: Obj): boolean {
  return (
    pod.status?.phase === 'Running' &&
    !!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** The Deployment controller has seen the latest spec and every replica is updated and available. */
export function isDeploymentReady(d: Obj): boolean {
  const s = d.status ?? {};
  const replicas = d.spec?.replicas ?? 1;
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === replicas &&
    (s.availableReplicas ?? 0) === replicas &&
    (s.replicas ?? 0) === replicas
  );
}

/** Rolled out: latest generation observed, all replicas ready and on the update revision. */
export function isStatefulSetReady(sts: Obj): boolean {
  const s = sts.status ?? {};
  const replicas = sts.spec?.replicas ?? 1;
  return (
    (s.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0) &&
    (s.readyReplicas ?? 0) === replicas &&
    (s.updatedReplicas ?? replicas) === replicas &&
    (!s.updateRevision || s.currentRevision === s.updateRevision)
  );
}

export function isJobComplete(job: Obj): boolean {
  return !!job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
}
