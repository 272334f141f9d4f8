// kube-sandbox CLI: `kube-sandbox up --data-dir DIR [--port N|0] [--kubeconfig FILE] [--no-node]`.
// Runs in the foreground, prints one ready line, exits cleanly on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.ts';

const USAGE =
  'usage: kube-sandbox up --data-dir DIR [--port N|0] [--host ADDR] [--kubeconfig FILE] [--no-node]';

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
  const sandbox = await startCluster({
    dataDir,
    port,
    ...(values.host ? { host: values.host } : {}),
    ...(values.kubeconfig ? { kubeconfigPath: values.kubeconfig } : {}),
    node: values['no-node'] ? false : 'if-supported',
    ...(process.env.KUBE_SANDBOX_DEBUG
      ? { nodeOptions: { log: (m: string) => process.stderr.write(`${m}\n`) } }
      : {}),
  });
  if (sandbox.noNodeReason)
    process.stderr.write(`kube-sandbox: no node: ${sandbox.noNodeReason}\n`);
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
