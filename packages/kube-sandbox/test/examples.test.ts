// The manifests in examples/sandbox/ work as their comments say: applied with kubectl to a whole
// sandbox (API server, controllers, node), each becomes ready. Needs root for the node.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/cluster.ts';

const KUBECTL = '/usr/bin/kubectl';
const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples', 'sandbox');

let cluster: Cluster;
let dir: string;

beforeAll(async () => {
  if (!existsSync(KUBECTL)) throw new Error(`kubectl not found at ${KUBECTL}: these tests need it`);
  dir = mkdtempSync(join(tmpdir(), 'ksbx-examples-'));
  // node: true fails with the reason when this machine cannot run pods (no root)
  cluster = await startCluster({ dataDir: dir, port: 0, persist: false, node: true });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      args,
      { env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath, HOME: dir }, timeout: 150_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.code !== 0) {
    const pods = await kubectl(['get', 'pods', '-o', 'wide']);
    const events = await kubectl(['get', 'events']);
    throw new Error(
      `kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}\n${pods.stdout}\n${events.stdout}`,
    );
  }
  return r.stdout;
}

describe('examples/sandbox', () => {
  it('http-echo.yaml: the Deployment rolls out and its Service gets both pods as endpoints', async () => {
    await ok(['apply', '-f', join(EXAMPLES, 'http-echo.yaml')]);
    await ok(['rollout', 'status', 'deployment/http-echo', '--timeout=120s']);
    const ips = (
      await ok(['get', 'endpoints', 'http-echo', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'])
    )
      .split(' ')
      .filter(Boolean);
    expect(ips).toHaveLength(2);
    const res = await fetch(`http://${ips[0]}:5678/`);
    expect(await res.text()).toBe('hello from kube-sandbox\n');
    // and by Service name from inside a pod (DNS, ClusterIP proxy, kubectl exec)
    expect(
      await ok(['exec', 'deploy/http-echo', '--', 'wget', '-qO-', 'http://http-echo:5678']),
    ).toBe('hello from kube-sandbox\n');
  }, 150_000);

  it('hello-job.yaml: the Job completes and its log is readable', async () => {
    await ok(['apply', '-f', join(EXAMPLES, 'hello-job.yaml')]);
    await ok(['wait', '--for=condition=Complete', 'job/hello', '--timeout=120s']);
    expect(await ok(['logs', 'job/hello'])).toMatch(
      /^hello from hello-\S+ in namespace default\n$/,
    );
  }, 150_000);

  it('etcd-statefulset.yaml: 3 members become ready and agree on the member list', async () => {
    if (!existsSync('/usr/bin/etcd'))
      throw new Error('/usr/bin/etcd is missing (apt-get install etcd-server)');
    await ok(['apply', '-f', join(EXAMPLES, 'etcd-statefulset.yaml')]);
    await ok(['rollout', 'status', 'statefulset/etcd', '--timeout=140s']);
    const members = await ok(['exec', 'etcd-0', '--', 'etcdctl', 'member', 'list']);
    expect(members.trim().split('\n')).toHaveLength(3);
    expect(await ok(['get', 'pvc', '-o', 'name'])).toContain('data-etcd-2');
  }, 180_000);
});
