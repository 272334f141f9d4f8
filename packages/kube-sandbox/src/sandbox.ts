// startSandbox: a Kubernetes-compatible API server over HTTPS with its data directory (CA, admin
// token, kubeconfig, persisted objects), in-process controllers (GC, namespaces, CRDs) and hooks
// for further components (workload controllers, the node).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type {
  AuthExtras,
  Authenticator,
  Authorizer,
  BuiltinKinds,
  ObjectLookup,
  PatchEngine,
  PodExecProvider,
  PodLogProvider,
  SandboxClient,
  SandboxComponent,
  SchemaEngine,
  ServedResource,
} from './core/contracts.ts';
import { StatusError } from './core/errors.ts';
import type { KubeObject, UserInfo } from './core/types.ts';
import { SYSTEM_MASTERS } from './core/types.ts';
import { installAdmission } from './server/admission.ts';
import { ApiCore } from './server/api.ts';
import type { RequestContext } from './server/api.ts';
import { createInProcessClient } from './server/client.ts';
import { CRD_GR, CrdCleanupController, installCrdSupport, serve } from './server/crds.ts';
import { eventsCodec } from './server/events.ts';
import { handleExecUpgrade } from './server/exec.ts';
import { FaultInjector } from './server/faults.ts';
import type { FaultRule } from './server/faults.ts';
import { GarbageCollector } from './server/gc.ts';
import { HttpApi } from './server/http.ts';
import { NamespaceController } from './server/namespaces.ts';
import { ResourceRegistry } from './server/registry.ts';
import { KUBERNETES_SERVICE_IP } from './server/services.ts';
import {
  createStandInAuth,
  createStandInBuiltinKinds,
  createStandInPatchEngine,
  createStandInSchemaEngine,
} from './server/standins.ts';
import { preparePki } from './server/tls.ts';
import { loadState, StorePersister } from './store/persistence.ts';
import { grKey, ObjectStore } from './store/store.ts';

export interface SandboxOptions {
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Listen address (default 127.0.0.1; the node passes 0.0.0.0 so pods reach the server). */
  host?: string;
  /** Where to write the kubeconfig (default <dataDir>/kubeconfig). */
  kubeconfigPath?: string;
  /** Watch event history kept for resumption (default 10000). */
  historySize?: number;
  /** Persist objects to the data directory (default true). */
  persist?: boolean;
  /** More SANs for the serving certificate (e.g. the node's bridge gateway IP). */
  extraSANs?: string[];
  /** Whether the node component should run (passed through to components; default true). */
  node?: boolean;
  /** Persisted changes after which the log is folded into a new snapshot (default 100000). */
  compactAfter?: number;
  /** Interval of BOOKMARK events on watches that allow them (default 5000 ms). */
  bookmarkIntervalMs?: number;
  /** In-process components started after the server serves (controllers, node agent). */
  components?: SandboxComponent[];
}

export interface SandboxFaults {
  add(rule: FaultRule): number;
  clear(): void;
  list(): FaultRule[];
  /** Ends every open watch (clients see the stream close and must re-watch). */
  closeWatches(): number;
  pause(): void;
  resume(): void;
}

export interface Sandbox {
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  port: number;
  /** Admin bearer token (system:masters). */
  token: string;
  caPem: string;
  dataDir: string;
  /** In-process client (system:masters) with the same semantics as HTTP. */
  client: SandboxClient;
  /** The API core and store, for tests that inspect state directly. */
  core: ApiCore;
  faults: SandboxFaults;
  /** Resolves once the in-process garbage collector and namespace controller are idle. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

async function loadOptional<T>(specifier: string, exportName: string): Promise<T | undefined> {
  try {
    const mod = (await import(specifier)) as Record<string, unknown>;
    const fn = mod[exportName];
    return typeof fn === 'function' ? (fn as T) : undefined;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED')
      return undefined;
    throw err;
  }
}

interface Parts {
  patch: PatchEngine;
  schema: SchemaEngine;
  builtin: BuiltinKinds;
  auth: (
    lookup: ObjectLookup,
  ) => Promise<{ authenticator: Authenticator; authorizer: Authorizer } & AuthExtras>;
}

async function loadParts(dataDir: string, adminToken: string): Promise<Parts> {
  const createPatchEngine = await loadOptional<() => PatchEngine>(
    './patch/index.ts',
    'createPatchEngine',
  );
  const createSchemaEngine = await loadOptional<() => SchemaEngine>(
    './schema/index.ts',
    'createSchemaEngine',
  );
  const createBuiltinKinds = await loadOptional<() => BuiltinKinds>(
    './builtin/index.ts',
    'createBuiltinKinds',
  );
  const createAuth = await loadOptional<
    (args: {
      dataDir: string;
      adminToken: string;
      lookup: ObjectLookup;
      issuer: string;
    }) =>
      | ({ authenticator: Authenticator; authorizer: Authorizer } & AuthExtras)
      | Promise<{ authenticator: Authenticator; authorizer: Authorizer } & AuthExtras>
  >('./auth/index.ts', 'createAuth');
  return {
    patch: createPatchEngine ? createPatchEngine() : createStandInPatchEngine(),
    schema: createSchemaEngine ? createSchemaEngine() : createStandInSchemaEngine(),
    builtin: createBuiltinKinds ? createBuiltinKinds() : createStandInBuiltinKinds(),
    auth: async (lookup) =>
      createAuth
        ? await createAuth({
            dataDir,
            adminToken,
            lookup,
            issuer: 'https://kubernetes.default.svc.cluster.local',
          })
        : createStandInAuth(adminToken),
  };
}

function loadOrCreateToken(dataDir: string): string {
  const path = join(dataDir, 'admin-token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const token = randomBytes(24).toString('base64url');
  writeFileSync(path, token + '\n', { mode: 0o600 });
  return token;
}

export function kubeconfigYaml(server: string, caPem: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'kube-sandbox',
        cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: 'admin', user: { token } }],
    contexts: [
      {
        name: 'kube-sandbox',
        context: { cluster: 'kube-sandbox', user: 'admin', namespace: 'default' },
      },
    ],
    'current-context': 'kube-sandbox',
    preferences: {},
  });
}

const BOOT_USER: UserInfo = { username: 'system:apiserver', groups: [SYSTEM_MASTERS] };

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const token = loadOrCreateToken(dataDir);
  const host = options.host ?? '127.0.0.1';
  const pki = await preparePki(dataDir, options.extraSANs ?? []);
  const parts = await loadParts(dataDir, token);

  // Store (+ persistence) and registry.
  const persist = options.persist ?? true;
  const persister = persist ? new StorePersister(dataDir) : undefined;
  const loaded = persist ? loadState(dataDir) : { rv: 1, objects: [] };
  const store = new ObjectStore({
    historySize: options.historySize ?? 10000,
    initialRv: loaded.rv,
    ...(persister ? { onCommit: (ev) => persister.record(ev) } : {}),
  });
  for (const { gr, obj } of loaded.objects) store.load(gr, obj);
  store.resumeAt(loaded.rv);
  persister?.writeSnapshot(store.currentRv(), store.entries());
  persister?.enableCompaction(
    () => ({ rv: store.currentRv(), entries: store.entries() }),
    options.compactAfter ?? 100_000,
  );

  const registry = new ResourceRegistry();
  for (const info of parts.builtin.resources()) registry.add(info);
  registry.storeAs('events.k8s.io', 'v1', 'events', '/events', eventsCodec);
  const lookup: ObjectLookup = {
    get: (gvr, namespace, name) => store.get(grKey(gvr.group, gvr.resource), namespace, name),
    list: (gvr, namespace) => store.list(grKey(gvr.group, gvr.resource), namespace),
  };
  const auth = await parts.auth(lookup);
  const { authenticator, authorizer } = auth;
  const authExtras: AuthExtras = {
    ...(auth.reviewToken ? { reviewToken: (b) => auth.reviewToken!(b) } : {}),
    ...(auth.subjectAccessReview
      ? { subjectAccessReview: (a) => auth.subjectAccessReview!(a) }
      : {}),
    ...(auth.forbidden ? { forbidden: (a, r) => auth.forbidden!(a, r) } : {}),
    ...(auth.selfSubjectRulesReview
      ? { selfSubjectRulesReview: (u, ns) => auth.selfSubjectRulesReview!(u, ns) }
      : {}),
  };
  const core = new ApiCore({
    store,
    registry,
    patch: parts.patch,
    schema: parts.schema,
    builtin: parts.builtin,
    authenticator,
    authorizer,
    authExtras,
    ...(options.bookmarkIntervalMs ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
  });
  installCrdSupport(core);
  installAdmission(core);
  for (const crd of store.list(CRD_GR)) serve(core, crd);
  for (const svc of store.list('/services')) core.clusterIps.observe(svc);

  // HTTPS.
  const faults = new FaultInjector();
  let logProvider: PodLogProvider | undefined;
  let execProvider: PodExecProvider | undefined;
  let serverAddress = '';
  const served = (): ServedResource[] =>
    registry
      .all()
      .map((def) => ({ info: def.info, ...(def.schema ? { schema: def.schema } : {}) }));
  const http = new HttpApi({
    core,
    faults,
    served,
    logProvider: () => logProvider,
    serverAddress: () => serverAddress,
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer(
    { key: pki.keyPem, cert: pki.certPem, keepAliveTimeout: 60_000 },
    http.handle,
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => undefined);
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => undefined);
    void handleExecUpgrade(
      { core, authenticate: (t) => authenticator.authenticate(t), provider: () => execProvider },
      req,
      socket,
    );
  });
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `https://${urlHost}:${port}`;
  serverAddress = `${urlHost}:${port}`;

  const gc = new GarbageCollector(core);
  gc.start();
  const namespaces = new NamespaceController(core, pki.caPem);
  namespaces.start();
  const crdCleanup = new CrdCleanupController(core);
  crdCleanup.start();
  // Bootstrap objects every cluster has.
  const endpointIp =
    (options.extraSANs ?? []).find((s) => /^\d+\.\d+\.\d+\.\d+$/.test(s)) ?? urlHost;
  bootstrap(core, endpointIp, port, auth.bootstrapRbacObjects?.() ?? []);

  const kubeconfigPath = resolve(options.kubeconfigPath ?? join(dataDir, 'kubeconfig'));
  mkdirSync(dirname(kubeconfigPath), { recursive: true });
  writeFileSync(kubeconfigPath, kubeconfigYaml(url, pki.caPem, token), { mode: 0o600 });

  const client = createInProcessClient(core);
  const started: Array<{ stop(): Promise<void> }> = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const c of started.reverse()) {
      try {
        await c.stop();
      } catch {
        // a component failing to stop must not keep the server up
      }
    }
    faults.resume();
    http.closeStreams();
    core.closeAllWatches();
    gc.stop();
    namespaces.stop();
    crdCleanup.stop();
    await new Promise<void>((done) => {
      server.close(() => done());
      for (const s of sockets) s.destroy();
    });
    await persister?.close();
  };
  try {
    for (const component of options.components ?? []) {
      started.push(
        await component({
          client,
          server: url,
          dataDir,
          caPem: pki.caPem,
          caKeyPem: pki.caKeyPem,
          adminToken: token,
          registerPodLogProvider: (p) => {
            logProvider = p;
          },
          registerPodExecProvider: (p) => {
            execProvider = p;
          },
          enableGracefulPodDeletion: () => {
            core.gracefulPodDeletion = true;
          },
          issueServiceAccountToken: (args) => authenticator.issueServiceAccountToken(args),
          registerAdminRoute: (method, path, handler) =>
            http.registerAdminRoute(method, path, handler),
        }),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    kubeconfigPath,
    server: url,
    port,
    token,
    caPem: pki.caPem,
    dataDir,
    client,
    core,
    faults: {
      add: (rule) => faults.add(rule),
      clear: () => faults.clear(),
      list: () => faults.list(),
      closeWatches: () => core.closeAllWatches(),
      pause: () => faults.pause(),
      resume: () => faults.resume(),
    },
    settle: async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setImmediate(r));
        await gc.idle();
        await namespaces.idle();
        await crdCleanup.idle();
      }
    },
    stop,
  };
}

function bootstrap(core: ApiCore, endpointIp: string, port: number, rbac: KubeObject[]): void {
  const ctx: RequestContext = {
    user: BOOT_USER,
    warnings: [],
    fieldManager: 'kube-apiserver',
    fieldValidation: 'Ignore',
  };
  const ensure = (
    group: string,
    version: string,
    resource: string,
    obj: KubeObject,
    replace = false,
  ): void => {
    const def = core.registry.get(group, version, resource);
    if (!def) return;
    const existing = core.store.get(def.gr, obj.metadata?.namespace, obj.metadata!.name!);
    try {
      if (!existing) core.create(def, obj.metadata?.namespace, obj, ctx);
      else if (replace)
        core.update(
          def,
          obj.metadata?.namespace,
          obj.metadata!.name!,
          {
            ...obj,
            metadata: { ...existing.metadata, ...obj.metadata, resourceVersion: undefined },
          },
          ctx,
        );
    } catch (err) {
      if (!(err instanceof StatusError)) throw err;
    }
  };
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    ensure('', 'v1', 'namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    });
  }
  for (const obj of rbac) {
    const [group, version] = String(obj.apiVersion).split('/') as [string, string];
    const resource =
      obj.kind === 'ClusterRole'
        ? 'clusterroles'
        : obj.kind === 'ClusterRoleBinding'
          ? 'clusterrolebindings'
          : obj.kind === 'Role'
            ? 'roles'
            : 'rolebindings';
    ensure(group, version, resource, structuredClone(obj), true);
  }
  ensure('', 'v1', 'services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: KUBERNETES_SERVICE_IP,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
      sessionAffinity: 'None',
    },
  });
  const svcDef = core.registry.get('', 'v1', 'services');
  const svc = svcDef && core.store.get(svcDef.gr, 'default', 'kubernetes');
  if (svc && svcDef) {
    const ports = (svc.spec as { ports?: Array<{ targetPort?: number }> }).ports;
    if (ports?.[0]?.targetPort !== port) {
      const next = structuredClone(svc);
      (next.spec as { ports: Array<{ targetPort?: number }> }).ports[0].targetPort = port;
      try {
        core.update(svcDef, 'default', 'kubernetes', next, ctx);
      } catch (err) {
        if (!(err instanceof StatusError)) throw err;
      }
    }
  }
  ensure(
    '',
    'v1',
    'endpoints',
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
      },
      subsets: [
        { addresses: [{ ip: endpointIp }], ports: [{ name: 'https', port, protocol: 'TCP' }] },
      ],
    },
    true,
  );
  ensure(
    'discovery.k8s.io',
    'v1',
    'endpointslices',
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: {
          'kubernetes.io/service-name': 'kubernetes',
          'endpointslice.kubernetes.io/managed-by': 'kube-apiserver',
        },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [endpointIp], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    },
    true,
  );
}
