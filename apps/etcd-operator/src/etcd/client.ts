// A small typed layer over etcd3 for what the operator needs: membership, status, health, hashKV,
// leader transfer and snapshots. Every call has a deadline, every failure becomes an
// EtcdOperationError with a kind, and member ids stay decimal strings (they are uint64: a JS number
// would silently round them).
import { Etcd3, type ICallable, type IHashKVResponse, type IOptions } from 'etcd3';
import { EtcdOperationError, toEtcdError, type EtcdErrorKind } from './errors.ts';

export interface EtcdTlsOptions {
  /** PEM of the CA that signed the members' serving certificates. */
  ca: string | Buffer;
  /** PEM client certificate and key, for clusters with --client-cert-auth. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /**
   * Name to verify the server certificate against instead of the endpoint's host (tests that
   * reach members at pod IPs verify against the client Service name every member certificate
   * carries). Verification itself is never turned off.
   */
  serverName?: string;
}

export interface EtcdClientOptions {
  /** Client URLs (http://host:port or https://host:port). */
  endpoints: string[];
  tls?: EtcdTlsOptions;
  /** Deadline for unary calls; default 5 s. */
  timeoutMs?: number;
}

export interface EtcdMember {
  /** uint64 member id as a decimal string. */
  id: string;
  /** Empty until the member has started and published its name. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface EndpointStatus {
  endpoint: string;
  memberId: string;
  /** Member id of the leader as this member sees it; "0" when it has none. */
  leaderId: string;
  isLeader: boolean;
  isLearner: boolean;
  version: string;
  dbSize: number;
  dbSizeInUse: number;
  raftIndex: string;
  raftAppliedIndex: string;
  raftTerm: string;
  revision: string;
  clusterId: string;
  /** Alarms and other errors the member reports (e.g. "NOSPACE"). */
  errors: string[];
}

export interface EndpointHealth {
  endpoint: string;
  healthy: boolean;
  /** Why it is unhealthy. */
  error?: EtcdOperationError;
  /** Set when the member is a learner: they only serve serializable reads. */
  learner?: boolean;
}

export interface HashKV {
  endpoint: string;
  memberId: string;
  hash: string;
  compactRevision: string;
  revision: string;
}

export type PromoteResult =
  | { promoted: true; members: EtcdMember[] }
  | { promoted: false; reason: 'LearnerNotReady'; message: string };

const DEFAULT_TIMEOUT_MS = 5000;

// Failures that say nothing about the cluster, only about the endpoint that was asked. A change
// (MemberAdd, Put, ...) that timed out may have been applied, so only reads move on after a timeout.
const READ_ELSEWHERE: ReadonlySet<EtcdErrorKind> = new Set([
  'Unavailable',
  'Timeout',
  'NotSupportedForLearner',
]);
const WRITE_ELSEWHERE: ReadonlySet<EtcdErrorKind> = new Set(['Unavailable']);

// A policy that runs the call once: the operator's work queue does the retrying, and etcd3's
// default retry + circuit breaker would hide which endpoint failed and stretch the deadlines.
type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;
const runOnce = {
  execute: (fn: (ctx: { signal: AbortSignal; attempt: number }) => unknown) =>
    Promise.resolve(fn({ signal: new AbortController().signal, attempt: 0 })),
} as unknown as Policy;

function toBuffer(v: string | Buffer): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v;
}

export function toMember(m: {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}): EtcdMember {
  return {
    id: String(m.ID),
    name: m.name,
    peerURLs: [...m.peerURLs],
    clientURLs: [...m.clientURLs],
    isLearner: Boolean(m.isLearner),
  };
}

/** Member ids are shown in hex by etcdctl and in etcd's logs. */
export function memberIdToHex(id: string): string {
  return BigInt(id).toString(16);
}

export function memberIdFromHex(hex: string): string {
  return BigInt(`0x${hex}`).toString(10);
}

export class EtcdClient {
  readonly endpoints: string[];
  readonly timeoutMs: number;
  readonly #tls: EtcdTlsOptions | undefined;
  readonly #perEndpoint = new Map<string, Etcd3>();
  #preferred: string | undefined;
  #closed = false;

  constructor(options: EtcdClientOptions) {
    if (options.endpoints.length === 0) throw new Error('EtcdClient needs at least one endpoint');
    this.endpoints = [...options.endpoints];
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#tls = options.tls;
  }

  #options(hosts: string[]): IOptions {
    const tls = this.#tls;
    return {
      hosts,
      dialTimeout: this.timeoutMs,
      faultHandling: { global: runOnce, host: () => runOnce },
      grpcOptions: {
        // Reconnect quickly after a member restarts; the default backoff grows to 2 minutes.
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 2000,
        ...(tls?.serverName ? { 'grpc.ssl_target_name_override': tls.serverName } : {}),
      },
      ...(tls
        ? {
            credentials: {
              rootCertificate: toBuffer(tls.ca),
              ...(tls.key ? { privateKey: toBuffer(tls.key) } : {}),
              ...(tls.cert ? { certChain: toBuffer(tls.cert) } : {}),
            },
          }
        : {}),
    };
  }

  #client(endpoint: string): Etcd3 {
    if (this.#closed) throw new EtcdOperationError('Unavailable', 'client', 'client is closed');
    let c = this.#perEndpoint.get(endpoint);
    if (!c) {
      c = new Etcd3(this.#options([endpoint]));
      this.#perEndpoint.set(endpoint, c);
    }
    return c;
  }

  #call(timeoutMs = this.timeoutMs): { deadline: Date } {
    return { deadline: new Date(Date.now() + timeoutMs) };
  }

  async #run<T>(operation: string, endpoint: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toEtcdError(err, operation, endpoint);
    }
  }

  /**
   * Runs a cluster-wide call on the first endpoint that answers, starting with the one that
   * answered last. Only unreachable endpoints are skipped: any answer from etcd is final.
   */
  async #any<T>(
    operation: string,
    fn: (etcd: Etcd3) => Promise<T>,
    elsewhere: ReadonlySet<EtcdErrorKind> = WRITE_ELSEWHERE,
  ): Promise<T> {
    const start = this.endpoints.indexOf(this.#preferred ?? '');
    const order = this.endpoints.map(
      (_, i) => this.endpoints[(Math.max(start, 0) + i) % this.endpoints.length],
    );
    let last: EtcdOperationError | undefined;
    for (const endpoint of order) {
      try {
        const result = await this.#run(operation, endpoint, () => fn(this.#client(endpoint)));
        this.#preferred = endpoint;
        return result;
      } catch (err) {
        if (!(err instanceof EtcdOperationError) || !elsewhere.has(err.kind)) throw err;
        last = err;
      }
    }
    throw last ?? new EtcdOperationError('Unavailable', operation, 'no endpoint answered');
  }

  /**
   * The member list from any reachable endpoint. Linearizable on etcd >= 3.5; 3.4 ignores the
   * flag and answers from the member's local view, even without quorum.
   */
  async listMembers(endpoint?: string): Promise<EtcdMember[]> {
    const list = async (etcd: Etcd3) =>
      (await etcd.cluster.memberList({ linearizable: true }, this.#call())).members.map(toMember);
    if (endpoint !== undefined) {
      return await this.#run('memberList', endpoint, () => list(this.#client(endpoint)));
    }
    return await this.#any('memberList', list, READ_ELSEWHERE);
  }

  /**
   * MemberAdd as a learner: the member exists in etcd before its process (pod) is created.
   * etcd 3.4 (strict reconfig check) answers Unhealthy until the leader has been connected to
   * every voter for 5 s, e.g. right after a start or a member restart: retry later.
   */
  async addLearner(peerURLs: string[]): Promise<{ member: EtcdMember; members: EtcdMember[] }> {
    return await this.#any('memberAdd', async (etcd) => {
      const res = await etcd.cluster.memberAdd({ peerURLs, isLearner: true }, this.#call());
      return { member: toMember(res.member), members: res.members.map(toMember) };
    });
  }

  /** MemberPromote; etcd refuses until the learner caught up, which is a result, not an error. */
  async promote(id: string): Promise<PromoteResult> {
    try {
      return await this.#any('memberPromote', async (etcd) => {
        const res = await etcd.cluster.memberPromote({ ID: id }, this.#call());
        return { promoted: true as const, members: res.members.map(toMember) };
      });
    } catch (err) {
      if (err instanceof EtcdOperationError && err.kind === 'LearnerNotReady') {
        return { promoted: false, reason: 'LearnerNotReady', message: err.message };
      }
      // Until the leader's raft progress tracks the new learner, 3.4 answers "member not found"
      // for a member that the member list does show as a learner: that is "not ready" too.
      if (err instanceof EtcdOperationError && err.kind === 'MemberNotFound') {
        const member = (await this.listMembers()).find((m) => m.id === id);
        if (member?.isLearner) {
          return { promoted: false, reason: 'LearnerNotReady', message: err.message };
        }
      }
      throw err;
    }
  }

  async removeMember(id: string): Promise<EtcdMember[]> {
    return await this.#any('memberRemove', async (etcd) => {
      const res = await etcd.cluster.memberRemove({ ID: id }, this.#call());
      return res.members.map(toMember);
    });
  }

  /** Maintenance.Status of one endpoint. */
  async status(endpoint: string): Promise<EndpointStatus> {
    return await this.#run('status', endpoint, async () => {
      const s = await this.#client(endpoint).maintenance.status(this.#call());
      return {
        endpoint,
        memberId: String(s.header.member_id),
        leaderId: String(s.leader),
        isLeader: s.leader !== '0' && String(s.leader) === String(s.header.member_id),
        isLearner: Boolean(s.isLearner),
        version: s.version,
        dbSize: Number(s.dbSize),
        dbSizeInUse: Number(s.dbSizeInUse),
        raftIndex: String(s.raftIndex),
        raftAppliedIndex: String(s.raftAppliedIndex),
        raftTerm: String(s.raftTerm),
        revision: String(s.header.revision),
        clusterId: String(s.header.cluster_id),
        errors: [...s.errors],
      };
    });
  }

  /** Status of every endpoint, failures included, in endpoint order. */
  async statusAll(): Promise<(EndpointStatus | EtcdOperationError)[]> {
    return await Promise.all(
      this.endpoints.map((e) =>
        this.status(e).catch((err: unknown) => toEtcdError(err, 'status', e)),
      ),
    );
  }

  /**
   * Health as etcdctl defines it: a linearizable read answered within the timeout (it needs a
   * leader and quorum) and no alarm raised. Learners only serve serializable reads, so for them a
   * serializable read stands in.
   */
  async health(endpoint: string, timeoutMs = this.timeoutMs): Promise<EndpointHealth> {
    const read = async (serializable: boolean) =>
      await this.#run('health', endpoint, async () => {
        await this.#client(endpoint).kv.range(
          { key: Buffer.from('health'), serializable },
          this.#call(timeoutMs),
        );
      });
    let learner = false;
    try {
      try {
        await read(false);
      } catch (err) {
        if (!(err instanceof EtcdOperationError && err.kind === 'NotSupportedForLearner'))
          throw err;
        learner = true;
        await read(true);
      }
      const status = await this.status(endpoint);
      const alarms = status.errors.filter((e) => e.length > 0);
      if (alarms.length > 0) {
        return {
          endpoint,
          healthy: false,
          learner,
          error: new EtcdOperationError('Unhealthy', 'health', alarms.join('; '), endpoint),
        };
      }
      if (status.leaderId === '0') {
        return {
          endpoint,
          healthy: false,
          learner,
          error: new EtcdOperationError('NoLeader', 'health', 'member has no leader', endpoint),
        };
      }
      return { endpoint, healthy: true, ...(learner ? { learner } : {}) };
    } catch (err) {
      return { endpoint, healthy: false, error: toEtcdError(err, 'health', endpoint) };
    }
  }

  /** HashKV of one member at a revision (0 = its latest). */
  async hashKV(endpoint: string, revision = '0'): Promise<HashKV> {
    return await this.#run('hashKV', endpoint, async () => {
      // etcd3 1.1.2's maintenance.hashKV() asks grpc-js for a method named "hashKV", which the
      // generated client spells "HashKV"/"hashKv": call the RPC by its proto name instead.
      const callable = (
        this.#client(endpoint).maintenance as unknown as { client: ICallable<unknown> }
      ).client;
      const res = await callable.exec<IHashKVResponse>(
        'Maintenance',
        'HashKV',
        { revision },
        this.#call(),
      );
      return {
        endpoint,
        memberId: String(res.header.member_id),
        hash: String(res.hash),
        compactRevision: String(res.compact_revision),
        revision: String(res.header.revision),
      };
    });
  }

  /** The endpoint whose member is the leader (asking each in turn), or undefined. */
  async findLeader(): Promise<EndpointStatus | undefined> {
    const all = await this.statusAll();
    return all.find((s): s is EndpointStatus => !(s instanceof EtcdOperationError) && s.isLeader);
  }

  /**
   * MoveLeader to the member `toId`. Only the leader accepts it, so the call goes to the endpoint
   * that reports itself leader; `leaderEndpoint` skips that lookup.
   */
  async moveLeader(toId: string, leaderEndpoint?: string): Promise<void> {
    const endpoint = leaderEndpoint ?? (await this.findLeader())?.endpoint;
    if (!endpoint) {
      throw new EtcdOperationError('NoLeader', 'moveLeader', 'no endpoint reports itself leader');
    }
    await this.#run('moveLeader', endpoint, async () => {
      // A transfer waits for the transferee to catch up and win an election: allow more time.
      await this.#client(endpoint).maintenance.moveLeader(
        { targetID: toId },
        this.#call(this.timeoutMs * 2),
      );
    });
  }

  /** Put and get, for health probes in tests and for the operator's own smoke checks. */
  async put(key: string, value: string): Promise<void> {
    await this.#any('put', async (etcd) => {
      await etcd.kv.put({ key: Buffer.from(key), value: Buffer.from(value) }, this.#call());
    });
  }

  async get(key: string, endpoint?: string): Promise<string | undefined> {
    const get = async (etcd: Etcd3) => {
      const res = await etcd.kv.range({ key: Buffer.from(key) }, this.#call());
      const kv = res.kvs[0];
      return kv ? kv.value.toString() : undefined;
    };
    if (endpoint !== undefined)
      return await this.#run('get', endpoint, () => get(this.#client(endpoint)));
    return await this.#any('get', get, READ_ELSEWHERE);
  }

  /** The underlying etcd3 client of one endpoint (snapshot streaming). */
  clientFor(endpoint: string): Etcd3 {
    return this.#client(endpoint);
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#perEndpoint.values()) c.close();
    this.#perEndpoint.clear();
  }
}
