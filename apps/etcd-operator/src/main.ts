// The etcd operator's entry point: flags and environment -> a k8s-runtime Manager running the
// EtcdCluster controller. SIGTERM/SIGINT drain the running reconciles and release the lease.
import { createServer, type Server } from 'node:http';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createLogger,
  Manager,
  type ManagerOptions,
  type NamespaceScope,
} from '@opsmith/k8s-runtime';
import { addEtcdClusterController } from './cluster/controller.ts';
import { Failpoints, parseFailpoints } from './failpoints.ts';
import { addEtcdBackupController, backupNotifier } from './backup/controller.ts';
import { BackupRuntime } from './backup/runtime.ts';
import { runBackupAgentCommand } from './restore/agent.ts';
import { addEtcdRestoreController } from './restore/controller.ts';
import { agentImage } from './restore/seed.ts';

export interface OperatorOptions {
  namespaces: NamespaceScope;
  leaderElection: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  metricsPort: number;
  healthPort: number;
  logLevel: string;
  redisUrl?: string;
  clusterDomain: string;
  maxConcurrentReconciles: number;
  failpoints: string;
}

export const HELP = `etcd-operator: creates, scales, heals, upgrades and secures etcd clusters (EtcdCluster).

Usage: etcd-operator [flags]
       etcd-operator backup-agent [--unless-exists PATH] fetch|verify|list ...   (restore init containers)

Flags (each also read from the environment variable shown; a flag wins):
  --namespaces LIST            comma-separated namespaces to watch; empty = all   (WATCH_NAMESPACES)
  --leader-elect BOOL          run leader election (true/false, default true)      (LEADER_ELECT)
  --leader-election-namespace  namespace of the Lease (default: the pod's)          (POD_NAMESPACE)
  --leader-election-id NAME    Lease name (default etcd-operator)                  (LEADER_ELECTION_ID)
  --metrics-port N             port of /metrics, /healthz, /readyz (default 8080; 0 = any)  (METRICS_PORT)
  --health-port N              extra port for /healthz and /readyz (default: the metrics port) (HEALTH_PORT)
  --log-level LEVEL            trace|debug|info|warn|error (default info)         (LOG_LEVEL)
  --redis-url URL              Redis for the backup queue (BullMQ)                 (REDIS_URL)
  --cluster-domain DOMAIN      Kubernetes DNS domain for certificates (default cluster.local) (CLUSTER_DOMAIN)
  --max-concurrent-reconciles N  clusters reconciled in parallel (default 2)      (MAX_CONCURRENT_RECONCILES)
  --failpoints LIST            test-only: kill the process at step boundaries     (OPSMITH_FAILPOINTS)
  -h, --help                   this text

Environment only:
  OPERATOR_IMAGE               this operator's image, run as the backup agent by restore init containers
                               (default ghcr.io/opsmith/etcd-operator:latest)

HTTP endpoints (metrics port; /healthz and /readyz also on the health port):
  /metrics   Prometheus text: controller_runtime_*, workqueue_*, leader_election_master_status,
             process metrics, and per cluster (labels namespace, cluster):
               etcd_operator_cluster_members, etcd_operator_cluster_desired_members,
               etcd_operator_cluster_ready_members, etcd_operator_cluster_available,
               etcd_operator_leader_changes_total, etcd_operator_reconciles_total{action},
               etcd_operator_certificate_rotations_total, etcd_operator_backups_total{result},
               etcd_operator_last_backup_size_bytes, etcd_operator_last_backup_timestamp_seconds
  /healthz   200 while the process runs
  /readyz    200 once caches are synced and leadership is known

EtcdCluster annotations:
  etcd.opsmith.io/rotate-certificates: <any new value>   renew every operator-issued member
             certificate now, one member at a time (expiring ones are renewed without it)
`;

function bool(v: string | undefined, fallback: boolean, name: string): boolean {
  if (v === undefined || v === '') return fallback;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new Error(`${name}: expected true or false, got ${JSON.stringify(v)}`);
}

function port(v: string | undefined, fallback: number, name: string): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}: not a port: ${v}`);
  return n;
}

/** Pure: argv + env -> options, or 'help'. Throws with a message naming the bad flag. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): OperatorOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      namespaces: { type: 'string' },
      'leader-elect': { type: 'string' },
      'leader-election-namespace': { type: 'string' },
      'leader-election-id': { type: 'string' },
      'metrics-port': { type: 'string' },
      'health-port': { type: 'string' },
      'log-level': { type: 'string' },
      'redis-url': { type: 'string' },
      'cluster-domain': { type: 'string' },
      'max-concurrent-reconciles': { type: 'string' },
      failpoints: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const nsList = (values.namespaces ?? env.WATCH_NAMESPACES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const metricsPort = port(values['metrics-port'] ?? env.METRICS_PORT, 8080, '--metrics-port');
  const logLevel = values['log-level'] ?? env.LOG_LEVEL ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new Error(`--log-level: unknown level ${logLevel}`);
  }
  const concurrency = Number(
    values['max-concurrent-reconciles'] ?? env.MAX_CONCURRENT_RECONCILES ?? '2',
  );
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error('--max-concurrent-reconciles: expected an integer >= 1');
  }
  const failpoints = values.failpoints ?? env.OPSMITH_FAILPOINTS ?? '';
  parseFailpoints(failpoints); // validate early
  const redisUrl = values['redis-url'] ?? env.REDIS_URL;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    throw new Error(`--redis-url: expected redis://... or rediss://..., got ${redisUrl}`);
  }
  return {
    namespaces: nsList.length ? { kind: 'list', namespaces: nsList } : { kind: 'all' },
    leaderElection: bool(values['leader-elect'] ?? env.LEADER_ELECT, true, '--leader-elect'),
    leaderElectionNamespace:
      values['leader-election-namespace'] ?? env.POD_NAMESPACE ?? 'etcd-operator-system',
    leaderElectionId: values['leader-election-id'] ?? env.LEADER_ELECTION_ID ?? 'etcd-operator',
    metricsPort,
    healthPort: port(values['health-port'] ?? env.HEALTH_PORT, metricsPort, '--health-port'),
    logLevel,
    ...(redisUrl ? { redisUrl } : {}),
    clusterDomain: values['cluster-domain'] ?? env.CLUSTER_DOMAIN ?? 'cluster.local',
    maxConcurrentReconciles: concurrency,
    failpoints,
  };
}

export interface RunningOperator {
  manager: Manager;
  healthServer?: Server;
  stop(): Promise<void>;
}

/** Builds and starts the operator (the caller decides about signals). */
export async function startOperator(
  o: OperatorOptions,
  /** Manager options for tests (a kubeConfig, another logger). */
  extra: Partial<ManagerOptions> = {},
): Promise<RunningOperator> {
  const logger = createLogger({ name: 'etcd-operator', level: o.logLevel });
  const manager = new Manager({
    fieldManager: 'etcd-operator',
    namespaces: o.namespaces,
    httpPort: o.metricsPort,
    logger,
    ...(o.leaderElection
      ? { leaderElection: { namespace: o.leaderElectionNamespace, name: o.leaderElectionId } }
      : {}),
    ...extra,
  });
  addEtcdClusterController(manager, {
    failpoints: new Failpoints(parseFailpoints(o.failpoints)),
    maxConcurrentReconciles: o.maxConcurrentReconciles,
    clusterDomain: o.clusterDomain,
  });
  // Backups run through the BullMQ queue with the worker embedded here; without --redis-url the
  // EtcdBackup controller reports QueueUnavailable and everything else works as usual.
  const backups: { controller?: ReturnType<typeof addEtcdBackupController>['controller'] } = {};
  const backupRuntime = o.redisUrl
    ? new BackupRuntime({
        kube: manager.client,
        redisUrl: o.redisUrl,
        ...(o.clusterDomain ? { clusterDomain: o.clusterDomain } : {}),
        onJobFinished: backupNotifier(() => backups.controller),
      })
    : undefined;
  backups.controller = addEtcdBackupController(manager, { runtime: backupRuntime }).controller;
  addEtcdRestoreController(manager, { agentImage: agentImage() });
  if (o.redisUrl) logger.info({ redis: new URL(o.redisUrl).host }, 'backup queue configured');
  await manager.start();
  let healthServer: Server | undefined;
  if (o.healthPort !== o.metricsPort) {
    const server = createServer((req, res) => {
      const ok =
        req.url === '/healthz' ? true : req.url === '/readyz' ? manager.isReady() : undefined;
      res.statusCode = ok === undefined ? 404 : ok ? 200 : 503;
      res.end(ok === undefined ? 'not found' : ok ? 'ok' : 'not ready');
    });
    await new Promise<void>((resolve) => server.listen(o.healthPort, resolve));
    healthServer = server;
  }
  logger.info({ namespaces: o.namespaces, port: manager.port }, 'etcd-operator started');
  return {
    manager,
    ...(healthServer ? { healthServer } : {}),
    stop: async () => {
      await new Promise<void>((resolve) =>
        healthServer ? healthServer.close(() => resolve()) : resolve(),
      );
      await manager.stop();
      await backupRuntime?.close();
    },
  };
}

export async function main(argv = process.argv.slice(2), env = process.env): Promise<number> {
  if (argv[0] === 'backup-agent') {
    // Restore init containers run the operator image as the backup agent (src/restore/seed.ts).
    return await runBackupAgentCommand(argv.slice(1), {
      env,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  }
  let options: OperatorOptions | 'help';
  try {
    options = parseOptions(argv, env);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const op = await startOperator(options);
  op.manager.handleSignals();
  return 0;
}

function isEntryPoint(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().then(
    (code) => {
      if (code !== 0) process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(`etcd-operator: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
