// Observation: what etcd says about its members (the truth) and what Kubernetes says about the
// pods and PVCs, turned into decide()'s input. The etcd part does I/O; the mapping is pure.
import type { EndpointHealth, EndpointStatus, EtcdClient, EtcdMember } from '../etcd/client.ts';
import { EtcdOperationError } from '../etcd/errors.ts';
import type { EtcdView, ObservedMember, ObservedPod, ObservedPvc } from './decide.ts';
import { ANNOTATION_SPEC_HASH } from './pods.ts';

export interface MemberProbe {
  member: EtcdMember;
  status?: EndpointStatus;
  health?: EndpointHealth;
}

/** Pure: etcd's member list plus per-member status/health -> decide()'s member view. */
export function toObservedMembers(probes: MemberProbe[]): ObservedMember[] {
  return probes.map(({ member, status, health }) => ({
    id: member.id,
    etcdName: member.name,
    peerURLs: member.peerURLs,
    isLearner: member.isLearner,
    isLeader: Boolean(status?.isLeader),
    healthy: Boolean(health?.healthy),
    ...(status?.version ? { version: status.version } : {}),
  }));
}

/**
 * Reads the member list, then asks every started member for its status and health, concurrently.
 * No quorum (no voter answers a linearizable read) is reported as unreachable to decide().
 */
export async function observeEtcd(
  client: EtcdClient,
): Promise<{ view: EtcdView; probes: MemberProbe[] }> {
  let members: EtcdMember[];
  try {
    members = await client.listMembers();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { view: { reachable: false, error: message }, probes: [] };
  }
  const probes = await Promise.all(
    members.map(async (member): Promise<MemberProbe> => {
      const endpoint = member.clientURLs[0];
      if (!endpoint) return { member };
      const [status, health] = await Promise.all([
        client
          .status(endpoint)
          .catch((e: unknown) => (e instanceof EtcdOperationError ? undefined : Promise.reject(e))),
        client.health(endpoint),
      ]);
      return { member, ...(status ? { status } : {}), health };
    }),
  );
  // etcd 3.4 serves the member list from the local member without quorum (the linearizable flag
  // arrived in 3.5), so quorum is judged by the health checks: a linearizable read must succeed
  // on at least one voting member.
  if (!probes.some((p) => p.health?.healthy && !p.member.isLearner)) {
    const errors = probes
      .map((p) => p.health?.error?.message)
      .filter((e): e is string => Boolean(e));
    return {
      view: {
        reachable: false,
        error: `no voting member serves linearizable reads (${errors[0] ?? 'no endpoints'})`,
        members: toObservedMembers(probes),
      },
      probes,
    };
  }
  return { view: { reachable: true, members: toObservedMembers(probes) }, probes };
}

interface PodLike {
  metadata: { name: string; deletionTimestamp?: string; annotations?: Record<string, string> };
  spec?: { containers?: { name: string; image?: string }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export function toObservedPod(p: PodLike): ObservedPod {
  const phase = p.status?.phase;
  const specHash = p.metadata.annotations?.[ANNOTATION_SPEC_HASH];
  return {
    name: p.metadata.name,
    phase:
      phase === 'Pending' || phase === 'Running' || phase === 'Succeeded' || phase === 'Failed'
        ? phase
        : phase === undefined
          ? 'Pending'
          : 'Unknown',
    ready: Boolean(p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
    terminating: Boolean(p.metadata.deletionTimestamp),
    image: p.spec?.containers?.find((c) => c.name === 'etcd')?.image ?? '',
    ...(specHash ? { specHash } : {}),
  };
}

export function toObservedPvc(p: {
  metadata: { name: string; deletionTimestamp?: string };
}): ObservedPvc {
  return { name: p.metadata.name, terminating: Boolean(p.metadata.deletionTimestamp) };
}

/**
 * Keeps "unhealthy since" timers: a member seen unhealthy keeps its first time, a healthy one
 * drops out. Persisted in status by the reconciler so a restarted operator keeps counting.
 */
export function updateUnhealthySince(
  previous: Record<string, number>,
  members: { name: string; healthy: boolean }[],
  now: number,
): Record<string, number> {
  const next: Record<string, number> = {};
  for (const m of members) if (!m.healthy) next[m.name] = previous[m.name] ?? now;
  return next;
}
