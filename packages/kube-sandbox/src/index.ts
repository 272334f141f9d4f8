export { validateDns1123Subdomain, validateDns1123Label } from './validation/names.ts';
export { startSandbox, kubeconfigYaml } from './sandbox.ts';
export type { Sandbox, SandboxOptions, SandboxFaults } from './sandbox.ts';
export type { FaultRule } from './server/faults.ts';
export { StatusError, errors, fieldErrors } from './core/errors.ts';
export type * from './core/types.ts';
export type * from './core/contracts.ts';
