// The EtcdCluster spec as decide() reads it: defaults applied, image resolved.
import { clusterImage, type EtcdClusterSpec } from '../api/types.ts';
import type { ClusterSpecView } from './decide.ts';
import { podSpecHash } from './pods.ts';

export const DEFAULT_REPLACE_UNHEALTHY_AFTER_S = 300;
export const DEFAULT_QUORUM_LOSS_AFTER_MS = 60_000;

export function specView(
  spec: EtcdClusterSpec,
  options: { quorumLossAfterMs?: number } = {},
): ClusterSpecView {
  return {
    size: spec.size,
    version: spec.version,
    image: clusterImage(spec),
    paused: Boolean(spec.paused),
    recoverFromBackup: Boolean(spec.recovery?.restoreFromBackup),
    storage: spec.storage?.type === 'EmptyDir' ? 'emptyDir' : 'pvc',
    pvcRetention: spec.storage?.retentionPolicy ?? 'Delete',
    replaceUnhealthyAfterMs:
      (spec.replaceUnhealthyAfterSeconds ?? DEFAULT_REPLACE_UNHEALTHY_AFTER_S) * 1000,
    quorumLossAfterMs: options.quorumLossAfterMs ?? DEFAULT_QUORUM_LOSS_AFTER_MS,
    podSpecHash: podSpecHash(spec),
  };
}

/** Even sizes tolerate no more failures than the odd size below: worth a warning condition. */
export function sizeWarning(size: number): string | undefined {
  if (size % 2 === 1) return undefined;
  return `size ${size} tolerates ${Math.floor((size - 1) / 2)} failed member(s), like size ${size - 1}, with more members to replicate to; prefer ${size - 1} or ${size + 1}`;
}
