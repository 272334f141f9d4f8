// kube-sandbox CLI: `kube-sandbox up --data-dir DIR [--port N|0] [--kubeconfig FILE] [--no-node]`.
// Runs in the foreground, prints one ready line, exits cleanly on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import type { SandboxComponent } from './core/contracts.ts';
import { startSandbox } from './sandbox.ts';

const USAGE =
  'usage: kube-sandbox up --data-dir DIR [--port N|0] [--host ADDR] [--kubeconfig FILE] [--no-node]';

interface NodeSetup {
  components: SandboxComponent[];
  extraSANs: string[];
  release: () => Promise<void>;
}

async function importOptional(specifier: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/** Components other parts provide (workload controllers, the node), loaded when present. */
async function optionalComponents(dataDir: string, node: boolean): Promise<NodeSetup> {
  const setup: NodeSetup = { components: [], extraSANs: [], release: async () => undefined };
  const controllers = await importOptional('./controllers/index.ts');
  if (typeof controllers?.controllersComponent === 'function') {
    setup.components.push(controllers.controllersComponent as SandboxComponent);
  }
  if (!node) return setup;
  const nodeMod = await importOptional('./node/index.ts');
  const support =
    typeof nodeMod?.nodeSupport === 'function'
      ? (nodeMod.nodeSupport as () => { ok: boolean })()
      : undefined;
  if (support?.ok && typeof nodeMod?.prepareNode === 'function') {
    // The node reserves its network first, so its gateway IP is in the serving certificate.
    const prepared = await (
      nodeMod.prepareNode as (o: { dataDir: string }) => Promise<{
        extraSANs: string[];
        component: SandboxComponent;
        release: () => Promise<void>;
      }>
    )({ dataDir });
    setup.components.push(prepared.component);
    setup.extraSANs.push(...prepared.extraSANs);
    setup.release = prepared.release;
  } else if (typeof nodeMod?.nodeComponent === 'function') {
    setup.components.push(nodeMod.nodeComponent as SandboxComponent);
  }
  return setup;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'up') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      kubeconfig: { type: 'string' },
      'no-node': { type: 'boolean' },
    },
    strict: true,
  });
  const dataDir = values['data-dir'];
  if (!dataDir) {
    process.stderr.write(`--data-dir is required\n${USAGE}\n`);
    return 2;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be a port number or 0\n`);
    return 2;
  }
  const node = !values['no-node'];
  const setup = await optionalComponents(dataDir, node);
  let sandbox;
  try {
    sandbox = await startSandbox({
      dataDir,
      port,
      ...(values.host ? { host: values.host } : {}),
      ...(values.kubeconfig ? { kubeconfigPath: values.kubeconfig } : {}),
      node,
      extraSANs: setup.extraSANs,
      components: setup.components,
    });
  } catch (err) {
    await setup.release();
    throw err;
  }
  process.stdout.write(
    `kube-sandbox ready: kubeconfig=${sandbox.kubeconfigPath} server=${sandbox.server}\n`,
  );
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await sandbox.stop();
  await setup.release();
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`kube-sandbox: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
