// @opsmith/kube-sandbox: a local Kubernetes for tests ("envtest for TypeScript") and the CLI behind
// `npm start`. See README.md.

// The API server alone, and the whole cluster (server + controllers + node).
export { startSandbox, kubeconfigYaml } from './sandbox.ts';
export type { Sandbox, SandboxOptions, SandboxFaults } from './sandbox.ts';
export { startCluster } from './cluster.ts';
export type { Cluster, ClusterOptions } from './cluster.ts';
export type { FaultRule } from './server/faults.ts';

// Errors shaped like the real server's Status bodies.
export { StatusError, errors, fieldErrors, qualifiedResource } from './core/errors.ts';
export type {
  StatusBody,
  StatusCause,
  StatusDetails,
  StatusReason,
  CauseType,
} from './core/errors.ts';
export type * from './core/types.ts';
export type * from './core/contracts.ts';

// The node: pods as real processes.
export {
  prepareNode,
  startNode,
  nodeSupport,
  cleanupLeftovers,
  runChaosAction,
  serverLogProvider,
  loadImageMap,
  resolveImage,
  DEFAULT_IMAGE_MAP,
  NODE_NAME,
  CHAOS_ACTIONS,
  parseChaosRequest,
} from './node/index.ts';
export type {
  NodeHandle,
  NodeOptions,
  NodeChaos,
  PreparedNode,
  NodeNetwork,
  ChaosAction,
  ChaosRequest,
} from './node/index.ts';

// The workload controllers, with a clock tests can move.
export {
  startControllers,
  controllersComponent,
  ALL_CONTROLLERS,
  FakeClock,
  realClock,
} from './controllers/index.ts';
export type {
  StartControllersOptions,
  RunningControllers,
  ControllerName,
  Clock,
  ControllerLogger,
} from './controllers/index.ts';

// The parts the server is built from, for tools that need one alone (e.g. validating manifests).
export { createAuth } from './auth/index.ts';
export type { AuthOptions, SandboxAuth } from './auth/index.ts';
export { createBuiltinKinds } from './builtin/index.ts';
export { createPatchEngine } from './patch/index.ts';
export { createSchemaEngine } from './schema/index.ts';
export { validateDns1123Subdomain, validateDns1123Label } from './validation/names.ts';
