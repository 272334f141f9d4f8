// kubectl's rollout and wait commands read the status these controllers write: proof that the
// fields and conditions are the ones real clients rely on.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GVR } from '../../src/controllers/gvr.ts';
import { markFinished, readyAll } from '../../src/controllers/testing/kubelet.ts';
import { startControllerSandbox, type ControllerSandbox } from './sandbox.ts';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const NS = 'kubectl';

let env: ControllerSandbox;
beforeAll(async () => {
  if (!existsSync(KUBECTL))
    throw new Error(`kubectl is required for this test and missing at ${KUBECTL}`);
  env = await startControllerSandbox();
  await env.sandbox.client.create(GVR.namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS },
  });
});
afterAll(async () => {
  await env?.stop();
});

/** Runs kubectl while the test plays the kubelet, until kubectl exits. */
async function kubectlWhile(args: string[], kubelet: () => Promise<void>): Promise<string> {
  let done = false;
  let stdout = '';
  let failure: unknown;
  const command = run(KUBECTL, ['--kubeconfig', env.sandbox.kubeconfigPath, '-n', NS, ...args], {
    timeout: 30000,
  })
    .then(
      (r) => {
        stdout = r.stdout;
      },
      (err: unknown) => {
        failure = err;
      },
    )
    .finally(() => {
      done = true;
    });
  while (!done) {
    await kubelet();
    await new Promise((r) => setTimeout(r, 50));
  }
  await command;
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  return stdout;
}

describe('kubectl against the controllers', () => {
  it('rollout status follows a Deployment and a StatefulSet to completion', async () => {
    const client = env.sandbox.client;
    const template = {
      metadata: { labels: { app: 'k' } },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    await client.create(GVR.deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: { replicas: 2, selector: { matchLabels: { app: 'k' } }, template },
    });
    const deploy = await kubectlWhile(
      ['rollout', 'status', 'deployment/web', '--timeout=25s'],
      () => readyAll(client, NS).then(() => undefined),
    );
    expect(deploy).toContain('deployment "web" successfully rolled out');

    // set image, then rollout undo: the old ReplicaSet comes back under the next revision.
    const kubelet = () => readyAll(client, NS).then(() => undefined);
    await kubectlWhile(['set', 'image', 'deployment/web', 'c=y'], kubelet);
    await kubectlWhile(['rollout', 'status', 'deployment/web', '--timeout=25s'], kubelet);
    await kubectlWhile(['rollout', 'undo', 'deployment/web'], kubelet);
    await kubectlWhile(['rollout', 'status', 'deployment/web', '--timeout=25s'], kubelet);
    const d = await client.get(GVR.deployments, NS, 'web');
    expect(d?.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(
      (d?.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
        .containers[0]?.image,
    ).toBe('x');
    const history = await kubectlWhile(['rollout', 'history', 'deployment/web'], kubelet);
    expect(
      history
        .split('\n')
        .filter((l) => /^\d+\s/.test(l))
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['2', '3']);

    await client.create(GVR.statefulSets, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: NS },
      spec: {
        replicas: 2,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { ...template, metadata: { labels: { app: 'db' } } },
      },
    });
    const sts = await kubectlWhile(['rollout', 'status', 'statefulset/db', '--timeout=25s'], () =>
      readyAll(client, NS).then(() => undefined),
    );
    expect(sts).toContain('partitioned roll out complete: 2 new pods have been updated');
  });

  it('wait --for=condition=complete sees a Job finish', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once', namespace: NS },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } },
      },
    });
    const out = await kubectlWhile(
      ['wait', '--for=condition=complete', 'job/once', '--timeout=25s'],
      async () => {
        const { items } = await client.list(GVR.pods, {
          namespace: NS,
          labelSelector: 'job-name=once',
        });
        for (const p of items)
          if ((p.status as { phase?: string } | undefined)?.phase !== 'Succeeded')
            await markFinished(client, p, 0);
      },
    );
    expect(out).toContain('job.batch/once condition met');
  });
});
