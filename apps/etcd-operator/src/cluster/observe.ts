// Observation: what etcd says about its members (the truth) and what Kubernetes says about the
// pods and PVCs, turned into decide()'s input. The etcd part does I/O; the mapping is pure.
import type { EndpointHealth, EndpointStatus, EtcdClient, EtcdMember } from '../etcd/client.ts';
import { EtcdOperationError } from '../etcd/errors.ts';
import type { EtcdView, ObservedMember, ObservedPod, ObservedPvc } from './decide.ts';
import { ANNOTATION_INITIAL_STATE, ANNOTATION_SPEC_HASH } from './pods.ts';

export interface MemberProbe {
  member: EtcdMember;
  status?: EndpointStatus;
  health?: EndpointHealth;
  /**
   * The process at the member's endpoint serves another etcd cluster: its data was wiped and it
   * bootstrapped a new one-member cluster from its --initial-cluster-state=new flags.
   */
  foreign?: boolean;
}

/** Pure: etcd's member list plus per-member status/health -> decide()'s member view. */
export function toObservedMembers(probes: MemberProbe[]): ObservedMember[] {
  return probes.map(({ member, status, health, foreign }) => ({
    id: member.id,
    etcdName: member.name,
    peerURLs: member.peerURLs,
    isLearner: member.isLearner,
    isLeader: Boolean(status?.isLeader),
    healthy: Boolean(health?.healthy),
    ...(status?.version ? { version: status.version } : {}),
    ...(foreign ? { dataLost: true } : {}),
  }));
}

/** Where to probe a member; undefined = not reachable (yet). */
export type MemberEndpoint = (member: EtcdMember) => string | undefined;

/** The member's own advertised client URL (the production default: DNS names resolve in-cluster). */
export const advertisedEndpoint: MemberEndpoint = (m) => m.clientURLs[0];

export interface EtcdObservation {
  view: EtcdView;
  probes: MemberProbe[];
  /** Endpoints that answer for another cluster: never send membership changes there. */
  foreignEndpoints: string[];
}

/**
 * Reads the member list, then asks every started member for its status and health, concurrently.
 * No quorum (no voter answers a linearizable read) is reported as unreachable to decide().
 * `endpointOf` lets an operator outside the cluster network reach members another way.
 *
 * With `clusterId` (known once the cluster answered), only members of that cluster are believed:
 * a member whose data was wiped restarts with its original flags, and the seed's
 * `--initial-cluster-state=new` then bootstraps a brand-new one-member cluster at the same
 * address. Its member list (itself alone) would make every real member look like an orphan.
 */
export async function observeEtcd(
  client: EtcdClient,
  endpointOf: MemberEndpoint = advertisedEndpoint,
  clusterId?: string,
): Promise<EtcdObservation> {
  let foreignEndpoints: string[] = [];
  let listFrom: string | undefined;
  if (clusterId) {
    const answered = (await client.statusAll()).filter(
      (s): s is EndpointStatus => !(s instanceof EtcdOperationError),
    );
    foreignEndpoints = answered.filter((s) => s.clusterId !== clusterId).map((s) => s.endpoint);
    const ours = answered.filter((s) => s.clusterId === clusterId);
    listFrom = (ours.find((s) => s.isLeader) ?? ours[0])?.endpoint;
    if (!listFrom) {
      const error =
        foreignEndpoints.length > 0
          ? `no member of cluster ${clusterId} answers; ${foreignEndpoints.length} endpoint(s) serve another cluster (their data was lost)`
          : 'no member answers';
      return { view: { reachable: false, error }, probes: [], foreignEndpoints };
    }
  }
  let members: EtcdMember[];
  try {
    members = await client.listMembers(listFrom);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { view: { reachable: false, error: message }, probes: [], foreignEndpoints };
  }
  const probes = await Promise.all(
    members.map(async (member): Promise<MemberProbe> => {
      // A learner whose process never started advertises no client URL: nothing to probe.
      const endpoint = member.clientURLs.length > 0 ? endpointOf(member) : undefined;
      if (!endpoint) return { member };
      const [status, health] = await Promise.all([
        client
          .status(endpoint)
          .catch((e: unknown) => (e instanceof EtcdOperationError ? undefined : Promise.reject(e))),
        client.health(endpoint),
      ]);
      if (clusterId && status && status.clusterId !== clusterId) {
        if (!foreignEndpoints.includes(endpoint)) foreignEndpoints.push(endpoint);
        const error = new EtcdOperationError(
          'Unhealthy',
          'status',
          `serves cluster ${status.clusterId}, not ${clusterId}: its data was lost`,
          endpoint,
        );
        return { member, health: { endpoint, healthy: false, error }, foreign: true };
      }
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
      foreignEndpoints,
    };
  }
  return {
    view: { reachable: true, members: toObservedMembers(probes) },
    probes,
    foreignEndpoints,
  };
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
    ...(p.metadata.annotations?.[ANNOTATION_INITIAL_STATE] === 'new' ? { seedFlags: true } : {}),
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

/** The "unhealthy since" times a previous pass recorded in status.members (ms since epoch). */
export function recordedUnhealthySince(
  members: { name: string; unhealthySince?: string }[] | undefined,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of members ?? []) {
    const t = m.unhealthySince ? Date.parse(m.unhealthySince) : NaN;
    if (Number.isFinite(t)) out[m.name] = t;
  }
  return out;
}
