export {
  installRendered,
  uninstallRendered,
  remainingObjects,
  installPlan,
  type ClusterTarget,
  type InstallOptions,
  type InstallResult,
  type ObjectRef,
  type RenderedObject,
  type UninstallOptions,
} from './install.ts';
export {
  waitFor,
  waitForCondition,
  waitForDeploymentAvailable,
  waitForPodReady,
  waitForPodCompleted,
  waitForDeletion,
  podLogs,
  findCondition,
  type WaitOptions,
} from './wait.ts';
export { startE2eSandbox, type E2eSandbox, type E2eSandboxOptions } from './sandbox.ts';
