// examples/etcd-*.yaml are valid as written: kubectl applies each one to a kube-sandbox API server
// carrying the generated etcd CRDs (server-side dry run with strict field validation, then for
// real), and what the comments promise about them holds (names, printer columns, defaults).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@opsmith/kube-sandbox';
import { etcdResources } from '@opsmith/crd-schemas';
import { KubeClient, loadKubeConfig } from '@opsmith/k8s-runtime';
import { eventually } from './support/local-etcd.ts';

const KUBECTL = process.env.KUBECTL_BIN ?? '/usr/bin/kubectl';
export const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');
const NS = 'examples';
const API = 'etcd.opsmith.io/v1alpha1';

let sandbox: Sandbox;
let dir: string;
let kube: KubeClient;

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      ['-n', NS, ...args],
      { env: { ...process.env, KUBECONFIG: sandbox.kubeconfigPath, HOME: dir }, timeout: 60_000 },
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
  dir = mkdtempSync(join(tmpdir(), 'etcd-examples-'));
  sandbox = await startSandbox({ dataDir: dir, port: 0, node: false });
  kube = new KubeClient({ kubeConfig: loadKubeConfig(sandbox.kubeconfigPath), timeoutMs: 10_000 });
  for (const r of etcdResources) await kube.create(r.crd());
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await eventually(
    'etcd APIs served',
    async () => {
      for (const r of etcdResources) await kube.list({ apiVersion: API, kind: r.kind });
      return true;
    },
    15_000,
  );
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Applies a file: a server-side dry run first (strict field validation), then for real. */
async function apply(file: string): Promise<string> {
  const path = join(EXAMPLES, file);
  await ok(['apply', '--server-side', '--dry-run=server', '--validate=strict', '-f', path]);
  return await ok(['apply', '--server-side', '--validate=strict', '-f', path]);
}

async function getJson(kind: string, name: string): Promise<{ spec: Record<string, unknown> }> {
  return JSON.parse(await ok(['get', kind, name, '-o', 'json'])) as {
    spec: Record<string, unknown>;
  };
}

describe('examples/etcd-*.yaml', () => {
  it('etcd-cluster.yaml: a 3-member EtcdCluster named example, with defaults filled in', async () => {
    expect(await apply('etcd-cluster.yaml')).toContain('etcdcluster.etcd.opsmith.io/example');
    const c = await getJson('etcdcluster', 'example');
    expect(c.spec).toMatchObject({
      size: 3,
      version: '3.4.23',
      repository: 'quay.io/coreos/etcd',
      paused: false,
      storage: { type: 'PersistentVolumeClaim', size: '1Gi', retentionPolicy: 'Delete' },
    });
    const table = await ok(['get', 'etcd', 'example']);
    expect(table.split('\n')[0]).toMatch(
      /NAME\s+SIZE\s+READY\s+VERSION\s+LEADER\s+AVAILABLE\s+AGE/,
    );
    // `kubectl scale` works through the scale subresource (the guide says so).
    await ok(['scale', 'etcd', 'example', '--replicas=5']);
    expect((await getJson('etcdcluster', 'example')).spec.size).toBe(5);
    await ok(['scale', 'etcd', 'example', '--replicas=3']);
  });

  it('etcd-cluster-tls.yaml: peer and client TLS with operator-issued certificates', async () => {
    await apply('etcd-cluster-tls.yaml');
    const c = await getJson('etcdcluster', 'secure');
    expect(c.spec.tls).toEqual({
      peer: true,
      client: true,
      provider: 'Operator',
      certificateValidityDays: 90,
    });
    // The commented provider-Secrets variant is valid too.
    const text = readFileSync(join(EXAMPLES, 'etcd-cluster-tls.yaml'), 'utf8');
    const secrets = Object.fromEntries(
      [...text.matchAll(/^#\s+(peerSecret|serverSecret|clientSecret): (\S+)$/gm)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    expect(Object.keys(secrets)).toHaveLength(3);
    await kube.create(
      {
        apiVersion: API,
        kind: 'EtcdCluster',
        metadata: { name: 'secure-own', namespace: NS },
        spec: { tls: { peer: true, client: true, provider: 'Secrets', ...secrets } },
      },
      { dryRun: true },
    );
  });

  it('etcd-backup-s3.yaml: a credentials Secret and a scheduled EtcdBackup with retention', async () => {
    const out = await apply('etcd-backup-s3.yaml');
    expect(out).toContain('secret/etcd-backup-s3');
    expect(out).toContain('etcdbackup.etcd.opsmith.io/example-every-6h');
    const b = await getJson('etcdbackup', 'example-every-6h');
    expect(b.spec).toMatchObject({
      clusterName: 'example',
      schedule: '0 */6 * * *',
      retention: { maxBackups: 7 },
      destination: { credentialsSecret: 'etcd-backup-s3' },
    });
    const table = await ok(['get', 'etcdbk', 'example-every-6h']);
    expect(table).toContain('0 */6 * * *');
  });

  it('etcd-restore.yaml: a restore into a new cluster, not replacing an existing one', async () => {
    expect(await apply('etcd-restore.yaml')).toContain(
      'etcdrestore.etcd.opsmith.io/example-restore',
    );
    const r = await getJson('etcdrestore', 'example-restore');
    expect(r.spec).toMatchObject({ clusterName: 'example-restored', replaceExisting: false });
    expect((r.spec.clusterSpec as { size: number }).size).toBe(3);
  });

  it("the guide's short names and categories: etcd is the clusters, etcd-operator all kinds", async () => {
    const clusters = (await ok(['get', 'etcd', '-o', 'name'])).trim().split('\n').sort();
    expect(clusters).toEqual([
      'etcdcluster.etcd.opsmith.io/example',
      'etcdcluster.etcd.opsmith.io/secure',
    ]);
    const all = await ok(['get', 'etcd-operator', '-o', 'name']);
    expect(all).toContain('etcdcluster.etcd.opsmith.io/example');
    expect(all).toContain('etcdbackup.etcd.opsmith.io/example-every-6h');
    expect(all).toContain('etcdrestore.etcd.opsmith.io/example-restore');
    expect(await ok(['get', 'opsmith', '-o', 'name'])).toContain('etcdbackup.etcd.opsmith.io/');
  });
});
