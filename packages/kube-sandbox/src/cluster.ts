// A whole local cluster in one call: the API server plus the workload controllers and, when the
// machine allows it, the node that runs pods as processes. What the CLI and `npm start` run, and
// what test suites use when pods must really run.
import type { SandboxComponent } from './core/contracts.ts';
import { controllersComponent } from './controllers/index.ts';
import { nodeSupport, prepareNode, type NodeHandle, type NodeOptions } from './node/index.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from './sandbox.ts';

export interface ClusterOptions extends Omit<SandboxOptions, 'node'> {
  /**
   * Run the node: 'if-supported' (default) runs it when nodeSupport() is ok and otherwise starts
   * API-only (see `noNodeReason`); true fails when the node cannot run; false never runs it.
   */
  node?: boolean | 'if-supported';
  /** Run the workload controllers (default true). */
  controllers?: boolean;
  /** Node tuning (image maps, backoff, heartbeat, log). */
  nodeOptions?: Partial<
    Omit<NodeOptions, 'client' | 'apiServerUrl' | 'caPem' | 'network' | 'dataDir'>
  >;
}

export interface Cluster extends Sandbox {
  /** The running node (undefined when API-only). */
  node: NodeHandle | undefined;
  /** Why there is no node, when `node` is undefined although it was wanted. */
  noNodeReason?: string;
}

/** Starts startSandbox with the controllers and the node wired in (the node's gateway IP in the cert). */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { node: nodeWanted = 'if-supported', controllers = true, nodeOptions, ...rest } = options;
  const components: SandboxComponent[] = [...(rest.components ?? [])];
  if (controllers) components.push(controllersComponent);
  const support = nodeWanted === false ? undefined : nodeSupport();
  if (nodeWanted === true && support && !support.ok) throw new Error(support.why);
  let node: NodeHandle | undefined;
  let release: () => void = () => undefined;
  const extraSANs = [...(rest.extraSANs ?? [])];
  if (support?.ok) {
    const prepared = await prepareNode({ ...nodeOptions, dataDir: rest.dataDir }, (n) => {
      node = n;
    });
    components.push(prepared.component);
    extraSANs.push(...prepared.extraSANs);
    release = () => prepared.release();
  }
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({ ...rest, node: support?.ok === true, extraSANs, components });
  } catch (err) {
    release();
    throw err;
  }
  return {
    ...sandbox,
    node,
    ...(support && !support.ok && support.why ? { noNodeReason: support.why } : {}),
    stop: async () => {
      await sandbox.stop();
      // a started node released its network claim itself (and the index may be reused by now)
      if (!node) release();
    },
  };
}
