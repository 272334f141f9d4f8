// One EtcdCluster pass: observe (caches + etcd) -> decide (pure) -> act (one step) -> status.
// Never throws on bad input: problems only runtime can see (owned flags that slipped past
// admission, missing TLS Secrets) become conditions and events; etcd's "come back later" answers
// become requeues.
import {
  applyChild,
  isSubset,
  setCondition,
  type Condition,
  type KubeClient,
  type KubeObject,
  type Logger,
} from '@opsmith/k8s-runtime';
import { API_VERSION, type EtcdCluster, type MemberStatus } from '../api/types.ts';
import { EtcdClient, type EtcdTlsOptions } from '../etcd/client.ts';
import type { Failpoints } from '../failpoints.ts';
import { act, type ActEvents, type ActResult } from './act.ts';
import { clusterConditions } from './conditions.ts';
import { decide, dnsPeerNaming, type Observed, type PeerNaming } from './decide.ts';
import { clientServiceName, memberClientURL, memberOrdinal, type ClusterRef } from './names.ts';
import {
  advertisedEndpoint,
  observeEtcd,
  recordedUnhealthySince,
  toObservedPod,
  toObservedPvc,
  updateUnhealthySince,
  type MemberEndpoint,
} from './observe.ts';
import {
  buildClientService,
  buildPeerService,
  buildPodDisruptionBudget,
  clusterRef,
  LABEL_CLUSTER,
  validateExtraArgs,
} from './pods.ts';
import { recoveryBackupAvailable } from './recover.ts';
import { specView } from './spec.ts';
import {
  ensureTls,
  operatorIssued,
  rotateCertificates,
  servedFingerprintProbe,
} from './tls-secrets.ts';
import type { OperatorMetricsSink } from '../metrics.ts';
import {
  ensureServiceMonitor,
  monitoringCondition,
  monitoringEvent,
} from '../monitoring/service-monitor.ts';
import { lowestVersion } from './version.ts';

export const ETCD_CLUSTER = { apiVersion: API_VERSION, kind: 'EtcdCluster' };

/** Read access to a cache (k8s-runtime's SharedInformer fits). */
export interface Lister<T> {
  getByName(name: string, namespace?: string): T | undefined;
  list(filter?: { namespace?: string; labels?: Record<string, string> }): T[];
}

type PodObject = Parameters<typeof toObservedPod>[0] & KubeObject;
type PvcObject = Parameters<typeof toObservedPvc>[0] & KubeObject;

export interface ClusterReconcilerDeps {
  kube: KubeClient;
  clusters: Lister<EtcdCluster>;
  pods: Lister<PodObject>;
  pvcs: Lister<PvcObject>;
  events: ActEvents;
  failpoints: Failpoints;
  logger?: Logger;
  clusterDomain?: string;
  /** How member names map to peer URLs; default the DNS names of the headless Service. */
  naming?: (c: EtcdCluster) => PeerNaming;
  /** Client endpoints to reach etcd; default the members' DNS client URLs. */
  endpoints?: (c: EtcdCluster, members: string[]) => string[];
  now?: () => number;
  quorumLossAfterMs?: number;
  etcdTimeoutMs?: number;
  /**
   * Verify member certificates against this name instead of the dialled host (an operator that
   * reaches members at pod IPs, in tests). Production leaves it unset: the DNS names are checked.
   */
  tlsServerName?: (c: EtcdCluster) => string | undefined;
  metrics?: OperatorMetricsSink;
}

export interface PassResult {
  requeueAfterMs: number;
  action: string;
  outcome: string;
}

interface Timers {
  unhealthySince: Record<string, number>;
  unreachableSince?: number;
}

const RUNTIME_PROBLEM_REQUEUE_MS = 30_000;
const ROTATION_REQUEUE_MS = 2000;

export class ClusterReconciler {
  readonly #d: ClusterReconcilerDeps;
  // "Unhealthy since" is also written to status.members (recordedUnhealthySince reads it back);
  // the quorum-loss clock lives here only: a restart merely delays that verdict.
  readonly #timers = new Map<string, Timers>();

  constructor(deps: ClusterReconcilerDeps) {
    this.#d = deps;
  }

  /** Reconciles namespace/name; undefined when the cluster is gone. */
  async reconcile(namespace: string, name: string): Promise<PassResult | undefined> {
    const c = this.#d.clusters.getByName(name, namespace);
    if (!c) {
      this.#timers.delete(`${namespace}/${name}`);
      this.#d.metrics?.forgetCluster(namespace, name);
      return undefined;
    }
    if ((c.metadata as { deletionTimestamp?: string }).deletionTimestamp) return undefined; // owner references clean up
    const invalid = validateExtraArgs(c.spec.extraArgs);
    if (invalid.length > 0) {
      return await this.#runtimeProblem(c, 'InvalidSpec', invalid.join('; '));
    }
    const ref = clusterRef(c, this.#d.clusterDomain);
    await this.#ensureServices(c);
    const pods = this.#d.pods
      .list({ namespace, labels: { [LABEL_CLUSTER]: name } })
      .filter((p) => memberOrdinal(name, p.metadata.name) !== undefined);
    const pvcs = this.#d.pvcs.list({ namespace, labels: { [LABEL_CLUSTER]: name } });
    const knownNames = [
      ...new Set([
        ...pods.map((p) => p.metadata.name),
        ...(c.status?.members ?? []).map((m) => m.name),
      ]),
    ];
    const tlsState = await ensureTls(this.#d.kube, c, ref, knownNames);
    if (!tlsState.ok) {
      return await this.#runtimeProblem(c, tlsState.problem.reason, tlsState.problem.message);
    }
    for (const m of tlsState.issued) {
      await this.#d.events.normal(
        c as unknown as KubeObject,
        'CertificateIssued',
        'issueCertificate',
        `issued the certificate of ${m}`,
      );
    }
    const serverName = this.#d.tlsServerName?.(c);
    const tls =
      tlsState.client && serverName ? { ...tlsState.client, serverName } : tlsState.client;
    const etcd = this.#etcdClient(c, ref, knownNames, tls);
    try {
      return await this.#pass(c, ref, pods, pvcs, etcd, tls);
    } finally {
      etcd?.close();
    }
  }

  #etcdClient(
    c: EtcdCluster,
    ref: ClusterRef,
    names: string[],
    tls: EtcdTlsOptions | undefined,
  ): EtcdClient | undefined {
    const clientTls = Boolean(c.spec.tls?.client);
    const endpoints = this.#d.endpoints
      ? this.#d.endpoints(c, names)
      : names.map((n) => memberClientURL(ref, n, clientTls));
    if (endpoints.length === 0) return undefined;
    return new EtcdClient({
      endpoints,
      ...(tls && clientTls ? { tls } : {}),
      timeoutMs: this.#d.etcdTimeoutMs ?? 3000,
    });
  }

  async #ensureServices(c: EtcdCluster): Promise<void> {
    for (const obj of [buildPeerService(c), buildClientService(c), buildPodDisruptionBudget(c)]) {
      await applyChild(this.#d.kube, obj as KubeObject);
    }
  }

  async #pass(
    c: EtcdCluster,
    ref: ClusterRef,
    pods: PodObject[],
    pvcs: PvcObject[],
    etcd: EtcdClient | undefined,
    tls: EtcdTlsOptions | undefined,
  ): Promise<PassResult> {
    const key = `${ref.namespace}/${ref.name}`;
    const now = this.#d.now?.() ?? Date.now();
    const timers = this.#timers.get(key) ?? { unhealthySince: {} };
    const naming = this.#d.naming?.(c) ?? dnsPeerNaming(Boolean(c.spec.tls?.peer));
    const status = c.status ?? {};
    const baseObserved = { cluster: ref.name, namespace: ref.namespace } as Observed;
    const nameOf = (peerURLs: string[], etcdName: string) =>
      peerURLs.map((u) => naming.memberName(baseObserved, u)).find(Boolean) ??
      (memberOrdinal(ref.name, etcdName) !== undefined ? etcdName : undefined);
    // With an endpoints override (an operator outside the cluster network), members are probed
    // where that override says, not at their advertised DNS names.
    const override = this.#d.endpoints;
    const endpointOf: MemberEndpoint = override
      ? (m) => {
          const name = nameOf(m.peerURLs, m.name);
          return name ? override(c, [name])[0] : undefined;
        }
      : advertisedEndpoint;
    const { view, probes, foreignEndpoints } = etcd
      ? await observeEtcd(etcd, endpointOf, status.clusterID || undefined)
      : {
          view: { reachable: false as const, error: 'no member pods' },
          probes: [],
          foreignEndpoints: [],
        };
    const memberStatuses: MemberStatus[] = probes
      .map((p): MemberStatus | undefined => {
        const name = nameOf(p.member.peerURLs, p.member.name);
        if (!name) return undefined;
        return {
          name,
          id: p.member.id,
          peerURL: p.member.peerURLs[0] ?? '',
          clientURL: p.member.clientURLs[0] ?? '',
          isLeader: Boolean(p.status?.isLeader),
          isLearner: p.member.isLearner,
          healthy: Boolean(p.health?.healthy),
          ...(p.status?.version ? { version: p.status.version } : {}),
        };
      })
      .filter((m): m is MemberStatus => m !== undefined)
      .sort(
        (a, b) => (memberOrdinal(ref.name, a.name) ?? 0) - (memberOrdinal(ref.name, b.name) ?? 0),
      );
    // A restarted operator keeps counting from what the previous one recorded in status.
    timers.unhealthySince = updateUnhealthySince(
      { ...recordedUnhealthySince(status.members), ...timers.unhealthySince },
      memberStatuses,
      now,
    );
    for (const m of memberStatuses) {
      const since = timers.unhealthySince[m.name];
      if (since !== undefined) m.unhealthySince = new Date(since).toISOString();
    }
    timers.unreachableSince = view.reachable ? undefined : (timers.unreachableSince ?? now);
    this.#timers.set(key, timers);
    // Recorded once: later answers from another cluster ID are impostors (see observeEtcd).
    const clusterId =
      status.clusterID ||
      (view.reachable ? probes.find((p) => p.status?.clusterId)?.status?.clusterId : undefined);
    const observed: Observed = {
      cluster: ref.name,
      namespace: ref.namespace,
      spec: specView(c.spec, {
        ...(this.#d.quorumLossAfterMs !== undefined
          ? { quorumLossAfterMs: this.#d.quorumLossAfterMs }
          : {}),
      }),
      status: {
        ...(clusterId ? { clusterId } : {}),
        ...(status.nextOrdinal !== undefined ? { nextOrdinal: status.nextOrdinal } : {}),
        ...(status.currentVersion ? { currentVersion: status.currentVersion } : {}),
        lastMembers: (status.members ?? []).map((m) => m.name),
      },
      etcd: view,
      pods: pods.map(toObservedPod),
      pvcs: pvcs.map(toObservedPvc),
      now,
      unhealthySince: timers.unhealthySince,
      ...(timers.unreachableSince !== undefined
        ? { unreachableSince: timers.unreachableSince }
        : {}),
      // Storage is only listed when it matters: no quorum and recovery enabled (src/cluster/recover.ts).
      backupAvailable:
        !view.reachable && Boolean(c.spec.recovery?.restoreFromBackup)
          ? await recoveryBackupAvailable(this.#d.kube, c).catch(() => false)
          : false,
    };
    const decision = decide(observed, { tls: Boolean(c.spec.tls?.peer), naming });

    // Every member as name=peerURL: etcd's list when it answers, else what status recorded.
    const initialCluster = new Map<string, string>();
    for (const m of view.members ?? []) {
      const name = nameOf(m.peerURLs, m.etcdName);
      if (name && m.peerURLs[0]) initialCluster.set(name, m.peerURLs[0]);
    }
    if (initialCluster.size === 0) {
      for (const m of status.members ?? []) if (m.peerURL) initialCluster.set(m.name, m.peerURL);
    }
    const a = decision.action;
    const target = a.type === 'seed' || a.type === 'createPod' ? a.member.name : undefined;
    if (target && !initialCluster.has(target)) {
      initialCluster.set(target, naming.peerURL(observed, target));
    }
    if (target && c.spec.tls && (c.spec.tls.peer || c.spec.tls.client)) {
      // A new member's certificate must exist before its pod.
      await ensureTls(this.#d.kube, c, ref, [target]);
    }

    const pending: { members?: MemberStatus[]; nextOrdinal?: number } = {};
    const baseMembers = memberStatuses.length > 0 ? memberStatuses : (status.members ?? []);
    // Membership changes go to members of this cluster only, never to an impostor.
    const trusted = etcd?.endpoints.filter((e) => !foreignEndpoints.includes(e)) ?? [];
    const actEtcd =
      etcd && foreignEndpoints.length > 0
        ? trusted.length > 0
          ? new EtcdClient({
              endpoints: trusted,
              ...(tls && c.spec.tls?.client ? { tls } : {}),
              timeoutMs: this.#d.etcdTimeoutMs ?? 3000,
            })
          : undefined
        : etcd;
    let result: ActResult;
    try {
      result = await act(
        {
          kube: this.#d.kube,
          etcd: actEtcd,
          events: this.#d.events,
          failpoints: this.#d.failpoints,
          recordStatus: async (patch) => {
            Object.assign(pending, patch);
            await this.#patchStatus(c, patch);
          },
        },
        {
          cluster: c,
          decision,
          initialCluster: [...initialCluster].map(([name, peerURL]) => ({ name, peerURL })),
          members: baseMembers,
          ...(this.#d.clusterDomain ? { clusterDomain: this.#d.clusterDomain } : {}),
        },
      );
    } catch (err) {
      this.#d.logger?.error({ cluster: key, action: a.type, err: String(err) }, 'action failed');
      await this.#d.events.warning(
        c as unknown as KubeObject,
        'ActionFailed',
        a.type,
        `${a.type} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      throw err;
    } finally {
      if (actEtcd !== etcd) actEtcd?.close();
    }

    // Certificates are renewed only while the cluster is otherwise steady, one member at a time.
    let requeueAfterMs = result.requeueAfterMs;
    if (a.type === 'none' && a.reason === 'Ready' && operatorIssued(c) && tls) {
      requeueAfterMs = Math.min(
        requeueAfterMs,
        await this.#rotateCertificates(c, ref, memberStatuses, tls),
      );
    }
    const sm = await ensureServiceMonitor(this.#d.kube, c).catch((err: unknown) => err);
    const smEvent = monitoringEvent(sm);
    if (smEvent) {
      const record = smEvent.type === 'Normal' ? this.#d.events.normal : this.#d.events.warning;
      await record.call(
        this.#d.events,
        c as unknown as KubeObject,
        smEvent.reason,
        'serviceMonitor',
        smEvent.note,
      );
    }
    const monitoring = monitoringCondition(sm, c.metadata.generation);

    // Status from this observation, with what act recorded on top.
    const members = pending.members ?? baseMembers;
    const voters = memberStatuses.filter((m) => !m.isLearner);
    const healthyVoters = voters.filter((m) => m.healthy).length;
    const leader = memberStatuses.find((m) => m.isLeader);
    const maxOrdinal = Math.max(
      -1,
      ...members.map((m) => memberOrdinal(ref.name, m.name) ?? -1),
      ...pods.map((p) => memberOrdinal(ref.name, p.metadata.name) ?? -1),
    );
    const nextOrdinal = Math.max(status.nextOrdinal ?? 0, pending.nextOrdinal ?? 0, maxOrdinal + 1);
    let conditions: Condition[] = c.status?.conditions ?? [];
    for (const cond of clusterConditions({
      decision,
      size: c.spec.size,
      voters: voters.length,
      healthyVoters,
      quorum: view.reachable,
      ...(c.metadata.generation !== undefined ? { generation: c.metadata.generation } : {}),
    })) {
      conditions = setCondition(conditions, cond);
    }
    if (monitoring) conditions = setCondition(conditions, monitoring);
    const currentVersion =
      lowestVersion(memberStatuses.map((m) => m.version ?? '').filter(Boolean)) ??
      status.currentVersion;
    await this.#patchStatus(c, {
      observedGeneration: c.metadata.generation,
      conditions,
      members,
      leaderID: leader?.id ?? '',
      leader: leader?.name ?? '',
      readyMembers: healthyVoters,
      ready: `${healthyVoters}/${c.spec.size}`,
      available: view.reachable ? 'True' : 'False',
      ...(currentVersion ? { currentVersion } : {}),
      targetVersion: c.spec.version,
      clientService: clientServiceName(ref.name),
      // A recovery seeds a new cluster (new ID): forget the old one so its answers are believed.
      ...(a.type === 'recoverFromBackup'
        ? { clusterID: '' }
        : clusterId
          ? { clusterID: clusterId }
          : {}),
      nextOrdinal,
    });
    this.#d.metrics?.observeCluster({
      namespace: ref.namespace,
      cluster: ref.name,
      desired: c.spec.size,
      members: memberStatuses.length,
      readyMembers: healthyVoters,
      leaderId: leader?.id ?? '',
      available: view.reachable,
    });
    this.#d.metrics?.reconciled(ref.namespace, ref.name, a.type);
    return { requeueAfterMs, action: a.type, outcome: result.outcome };
  }

  /** One rotation step; returns when to look again. */
  async #rotateCertificates(
    c: EtcdCluster,
    ref: ClusterRef,
    members: MemberStatus[],
    tls: EtcdTlsOptions,
  ): Promise<number> {
    const endpointOf = (m: string) =>
      this.#d.endpoints
        ? this.#d.endpoints(c, [m])[0]
        : memberClientURL(ref, m, Boolean(c.spec.tls?.client));
    const outcome = await rotateCertificates(
      {
        kube: this.#d.kube,
        servedFingerprint: servedFingerprintProbe(endpointOf, Boolean(c.spec.tls?.client), tls),
      },
      c,
      ref,
      members,
    );
    if (outcome.type === 'rotated') {
      this.#d.metrics?.certificateRotated(ref.namespace, ref.name);
      await this.#d.events.normal(
        c as unknown as KubeObject,
        'CertificateRotated',
        'rotateCertificate',
        `renewed the certificate of ${outcome.member} (${outcome.reason}); the next member follows once it serves the new one`,
      );
    }
    // A renewed member serves its new certificate once the kubelet refreshed the Secret volume.
    return outcome.type === 'none' ? Number.POSITIVE_INFINITY : ROTATION_REQUEUE_MS;
  }

  async #runtimeProblem(c: EtcdCluster, reason: string, message: string): Promise<PassResult> {
    let conditions: Condition[] = c.status?.conditions ?? [];
    const g =
      c.metadata.generation !== undefined ? { observedGeneration: c.metadata.generation } : {};
    conditions = setCondition(conditions, {
      type: 'Degraded',
      status: 'True',
      reason,
      message,
      ...g,
    });
    conditions = setCondition(conditions, {
      type: 'Ready',
      status: 'False',
      reason,
      message,
      ...g,
    });
    conditions = setCondition(conditions, {
      type: 'Progressing',
      status: 'False',
      reason,
      message,
      ...g,
    });
    await this.#patchStatus(c, { observedGeneration: c.metadata.generation, conditions });
    await this.#d.events.warning(c as unknown as KubeObject, reason, 'validate', message);
    return { requeueAfterMs: RUNTIME_PROBLEM_REQUEUE_MS, action: 'blocked', outcome: reason };
  }

  /** Merge patch on the status subresource (arrays replace wholly, other fields stay). */
  async #patchStatus(c: EtcdCluster, status: Record<string, unknown>): Promise<void> {
    const clean = Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined));
    // No write (and no new resourceVersion, no watch event) when nothing changed.
    if (isSubset(clean, c.status ?? {})) return;
    await this.#d.kube.patch(
      ETCD_CLUSTER,
      c.metadata.name,
      c.metadata.namespace,
      'merge',
      { status: clean },
      { subresource: 'status' },
    );
  }
}
