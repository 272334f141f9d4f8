// `install-chart`: the `helm upgrade --install` path as a command (used by `npm start`): renders a
// chart with the Helm-compatible renderer, applies it to the cluster of a kubeconfig (CRDs first,
// server-side apply, so running it again upgrades in place) and waits for its Deployments.
//   node --conditions=@opsmith/source e2e/src/install-cli.ts CHART --kubeconfig FILE \
//     [--release NAME] [--namespace NS] [--set K=V]... [--no-wait]
import { parseArgs } from 'node:util';
import { buildChartRenderer, renderChart } from '@opsmith/chart-render';
import { KubeClient, loadKubeConfig } from '@opsmith/k8s-runtime';
import { installRendered } from './install.ts';
import { waitForDeploymentAvailable } from './wait.ts';

const USAGE =
  'usage: install-cli.ts CHART --kubeconfig FILE [--release NAME] [--namespace NS] [--set K=V]... [--no-wait]';

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kubeconfig: { type: 'string' },
        release: { type: 'string', default: 'opsmith' },
        namespace: { type: 'string', default: 'opsmith-system' },
        set: { type: 'string', multiple: true },
        'no-wait': { type: 'boolean' },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const chart = positionals[0];
  if (!chart || !values.kubeconfig) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  buildChartRenderer();
  const { objects } = await renderChart(chart, {
    releaseName: values.release,
    namespace: values.namespace,
    set: values.set ?? [],
  });
  const result = await installRendered(values.kubeconfig, objects, {
    namespace: values.namespace,
    fieldManager: 'opsmith-install',
  });
  process.stdout.write(
    `installed ${chart} as release ${values.release} in ${values.namespace}: ${result.applied.length} objects\n`,
  );
  if (values['no-wait']) return 0;
  const client = new KubeClient({ kubeConfig: loadKubeConfig(values.kubeconfig) });
  for (const ref of result.applied.filter((r) => r.kind === 'Deployment')) {
    await waitForDeploymentAvailable(client, ref.namespace ?? values.namespace, ref.name, {
      timeoutMs: 180_000,
    });
    process.stdout.write(`deployment ${ref.namespace ?? ''}/${ref.name} is available\n`);
  }
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`install-chart: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
