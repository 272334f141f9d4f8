// examples/etcd-cluster.yaml does what its comments promise on kube-sandbox with its node (pods
// are real etcd processes): applied with kubectl, it becomes a Ready 3-member cluster, and a client
// inside the cluster writes and reads through the example-client Service.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InProcessOperator,
  startRealCluster,
  waitClusterReady,
  type RealCluster,
} from './support/real-cluster.ts';
import { eventually } from './support/local-etcd.ts';

const KUBECTL = process.env.KUBECTL_BIN ?? '/usr/bin/kubectl';
const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');
const NS = 'examples-real';

let real: RealCluster;
let op: InProcessOperator;

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      ['-n', NS, ...args],
      {
        env: { ...process.env, KUBECONFIG: real.cluster.kubeconfigPath },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  if (!existsSync(KUBECTL)) throw new Error(`kubectl not found at ${KUBECTL}: these tests need it`);
  real = await startRealCluster(NS);
  op = new InProcessOperator(real);
  await op.start();
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await real?.stop();
}, 60_000);

describe('examples/etcd-cluster.yaml on the node', () => {
  it('becomes a Ready 3-member cluster that clients use through example-client', async () => {
    await ok(['apply', '-f', join(EXAMPLES, 'etcd-cluster.yaml')]);
    const c = await waitClusterReady(real.kube, NS, 'example', 3);
    expect(c.status?.members?.map((m) => m.name).sort()).toEqual([
      'example-0',
      'example-1',
      'example-2',
    ]);
    expect(c.status?.clientService).toBe('example-client');

    // The columns the comment shows.
    const row = (await ok(['get', 'etcd', 'example', '--no-headers'])).trim().split(/\s+/);
    const leader = c.status?.members?.find((m) => m.isLeader)?.name;
    expect(row.slice(0, 5)).toEqual(['example', '3', '3/3', '3.4.23', leader]);
    expect(row[5]).toBe('True');

    // The extra flags reached etcd.
    const pod = JSON.parse(await ok(['get', 'pod', 'example-0', '-o', 'json'])) as {
      spec: { containers: { name: string; args: string[] }[] };
    };
    const args = pod.spec.containers.find((x) => x.name === 'etcd')?.args ?? [];
    expect(args).toContain('--auto-compaction-retention=1h');
    expect(args).toContain('--quota-backend-bytes=2147483648');

    // From inside the cluster, through the client Service (cluster DNS + ClusterIP).
    const etcdctl = (member: string, ...cmd: string[]) =>
      ok([
        'exec',
        member,
        '-c',
        'etcd',
        '--',
        '/usr/local/bin/etcdctl',
        '--endpoints=http://example-client:2379',
        ...cmd,
      ]);
    expect(await etcdctl('example-0', 'put', 'greeting', 'hello')).toContain('OK');
    const value = await eventually('read back through another member', async () => {
      const out = await etcdctl('example-2', 'get', 'greeting', '--print-value-only');
      return out.trim() === 'hello' ? out.trim() : undefined;
    });
    expect(value).toBe('hello');

    // Each member has its own PVC, named after it.
    const pvcs = (await ok(['get', 'pvc', '-o', 'name'])).trim().split('\n').sort();
    expect(pvcs).toEqual([
      'persistentvolumeclaim/example-0-data',
      'persistentvolumeclaim/example-1-data',
      'persistentvolumeclaim/example-2-data',
    ]);
  }, 240_000);
});
