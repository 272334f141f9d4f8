// apps/etcd-operator/Dockerfile cannot silently rot: its build steps are performed on this host
// (tools/dockerfile-run: the deps stage's real `npm ci --omit=dev`, the distroless runtime stage)
// and the result runs as the image would, chrooted into its root as its USER with the root
// read-only: `--help`, then a real run against kube-sandbox that leads, reconciles and stops
// cleanly on SIGTERM.
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDockerfile,
  removeImage,
  runImage,
  runImageToCompletion,
} from '@opsmith/dockerfile-run';
import type { BuildResult } from '@opsmith/dockerfile-run';
import { buildChartRenderer, renderChart } from '@opsmith/chart-render';
import type { KubeObject } from '@opsmith/k8s-runtime';
import { installRendered, startE2eSandbox, waitFor, type E2eSandbox } from '../src/index.ts';

const repo = join(import.meta.dirname, '..', '..');
let workDir: string;
let image: BuildResult;
let sandbox: E2eSandbox;

beforeAll(async () => {
  expect(
    process.getuid?.(),
    'the image runs chrooted as its USER, which needs root (CI is root)',
  ).toBe(0);
  workDir = mkdtempSync(join(tmpdir(), 'etcd-operator-image-'));
  buildChartRenderer();
  [image, sandbox] = await Promise.all([
    buildDockerfile({
      context: repo,
      dockerfile: join(repo, 'apps', 'etcd-operator', 'Dockerfile'),
      buildArgs: { VERSION: '0.1.0-test', REVISION: 'abc1234' },
      workDir,
    }),
    startE2eSandbox(),
  ]);
}, 240_000);

afterAll(async () => {
  if (image) removeImage(image);
  await sandbox?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('etcd-operator image', () => {
  it('is a non-root distroless image with OCI labels and production dependencies only', () => {
    expect(image.config).toMatchObject({
      user: '65532:65532',
      workdir: '/opsmith',
      entrypoint: [
        '/nodejs/bin/node',
        '--conditions=@opsmith/source',
        '/opsmith/apps/etcd-operator/src/main.ts',
      ],
      stopSignal: 'SIGTERM',
      exposedPorts: ['8080/tcp'],
    });
    expect(image.config.env).toMatchObject({ NODE_ENV: 'production' });
    expect(image.config.labels).toMatchObject({
      'org.opencontainers.image.title': 'etcd-operator',
      'org.opencontainers.image.version': '0.1.0-test',
      'org.opencontainers.image.revision': 'abc1234',
      'org.opencontainers.image.licenses': 'Apache-2.0',
    });
    const root = image.root;
    const modules = join(root, 'opsmith', 'node_modules');
    for (const dep of ['@kubernetes/client-node', 'etcd3', '@peculiar/x509']) {
      expect(existsSync(join(modules, dep, 'package.json')), `${dep} is installed`).toBe(true);
    }
    // Dev dependencies are not: the workspace's (test runner, compiler, the pinned Node package)
    // nor the workspace members' (test servers, kube-sandbox), nor workspaces outside the closure.
    for (const dev of [
      'vitest',
      'typescript',
      'nx',
      'node',
      'eslint',
      's3rver',
      '@opsmith/kube-sandbox',
    ]) {
      expect(existsSync(join(modules, dev)), `${dev} is a dev dependency`).toBe(false);
    }
    expect(readdirSync(join(root, 'opsmith', 'packages')).sort()).toEqual([
      'backup-storage',
      'crd-schemas',
      'k8s-runtime',
    ]);
    expect(readdirSync(join(root, 'opsmith', 'apps'))).toEqual(['etcd-operator']);
    for (const gone of ['tools', 'examples', 'e2e', 'bench']) {
      const dir = join(root, 'opsmith', gone);
      expect(existsSync(dir) ? readdirSync(dir) : [], `${gone}/ is not in the image`).toEqual([]);
    }
    const src = join(root, 'opsmith', 'apps', 'etcd-operator', 'src');
    const files = readdirSync(src, { recursive: true }).map(String);
    expect(files).toContain('main.ts');
    expect(files.filter((f) => f.endsWith('.test.ts'))).toEqual([]);
    expect(existsSync(join(root, 'opsmith', 'apps', 'etcd-operator', 'test'))).toBe(false);
  });

  it('prints its usage from a read-only root', async () => {
    const r = await runImageToCompletion(image, ['--help'], { readOnlyRoot: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^etcd-operator: creates, scales, heals/);
    const bad = await runImageToCompletion(image, ['--log-level=loud'], { readOnlyRoot: true });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--log-level: unknown level loud/);
  });

  it('is also the backup agent: `backup-agent` lists a file backup location', async () => {
    const usage = await runImageToCompletion(image, ['backup-agent', '--help'], {
      readOnlyRoot: true,
    });
    expect(usage.code).toBe(0);
    expect(usage.stdout).toMatch(/^usage: backup-agent <fetch\|verify\|list>/);
    const backups = mkdtempSync(join(workDir, 'backups-'));
    chmodSync(backups, 0o755); // readable by the image's USER 65532
    const list = await runImageToCompletion(
      image,
      ['backup-agent', 'list', '--location', 'file:///backups'],
      { readOnlyRoot: true, tmpfs: ['/tmp'], binds: { '/backups': backups } },
    );
    expect(list, 'an empty location lists nothing').toMatchObject({ code: 0, stdout: '' });
  });

  it('as PID 1, a process without signal handlers ignores SIGTERM (why the operator installs its own)', async () => {
    const idle = runImage(image, [], {
      entrypoint: [
        '/nodejs/bin/node',
        '-e',
        "process.on('SIGUSR1', () => console.log('alive after SIGTERM')); console.log('up'); setInterval(() => {}, 1000)",
      ],
      readOnlyRoot: true,
      pidNamespace: true,
    });
    try {
      await waitFor('the idle process to start', () => idle.output().stdout.includes('up'));
      // Its host PID: the child of `unshare --fork`, which is PID 1 inside the namespace.
      const outer = String(idle.child.pid);
      const [pid1] = readFileSync(`/proc/${outer}/task/${outer}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .map(Number);
      // The kernel drops SIGTERM at once (PID 1, no handler); SIGUSR1 has one and still answers,
      // twice: a pending SIGTERM would have been delivered before the first answer ran.
      const answers = () => idle.output().stdout.split('alive after SIGTERM').length - 1;
      process.kill(pid1, 'SIGTERM');
      process.kill(pid1, 'SIGUSR1');
      await waitFor('a first answer after SIGTERM', () => answers() === 1);
      process.kill(pid1, 'SIGUSR1');
      await waitFor('a second answer', () => answers() === 2);
    } finally {
      await idle.stop('SIGKILL');
    }
  });

  it('runs as PID 1 against kube-sandbox from a read-only root, reconciles, and exits 0 on SIGTERM', async () => {
    const client = sandbox.client;
    const namespace = 'image-test';
    const { objects } = await renderChart(join(repo, 'charts', 'etcd-operator'));
    await installRendered(
      client,
      objects.filter((o) => o.kind === 'CustomResourceDefinition'),
    );
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    // The image's /opsmith is read-only: the kubeconfig comes in as a bind mount, as a Secret would.
    const kubeconfig = join(workDir, 'kubeconfig');
    writeFileSync(kubeconfig, client.kubeConfig.exportConfig());
    const running = runImage(
      image,
      [`--namespaces=${namespace}`, '--metrics-port=0', '--leader-election-id=image-test'],
      {
        readOnlyRoot: true,
        tmpfs: ['/tmp'],
        pidNamespace: true, // Node is PID 1, as in a container
        binds: { '/var/run/kubeconfig': kubeconfig },
        env: { KUBECONFIG: '/var/run/kubeconfig', POD_NAMESPACE: namespace },
      },
    );
    try {
      const port = await waitFor('the operator to log its port', () => {
        const m = /"port":(\d+),"msg":"etcd-operator started"/.exec(running.output().stdout);
        return m ? Number(m[1]) : undefined;
      });
      await waitFor('/readyz to answer 200', async () => {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        return r.status === 200;
      });
      const lease = await client.get<KubeObject & { spec?: { holderIdentity?: string } }>(
        { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
        'image-test',
        namespace,
      );
      expect(lease.spec?.holderIdentity).toBeTruthy();
      // Real work: an EtcdCluster gets its member Pod (this host cannot resolve cluster DNS
      // names, so Ready is the chart e2e's job, where the operator runs as a pod).
      await client.create({
        apiVersion: 'etcd.opsmith.io/v1alpha1',
        kind: 'EtcdCluster',
        metadata: { name: 'one', namespace },
        spec: { size: 1, version: '3.4.23' },
      } as KubeObject);
      await waitFor('the operator to create member one-0', () =>
        client.get({ apiVersion: 'v1', kind: 'Pod' }, 'one-0', namespace).catch(() => undefined),
      );
    } finally {
      const exit = await running.stop('SIGTERM', 30_000);
      const { stdout, stderr } = running.output();
      expect(exit, `operator output:\n${stdout.slice(-3000)}\n${stderr}`).toEqual({
        code: 0,
        signal: null,
      });
    }
    expect(running.output().stdout).toMatch(/"msg":"shutting down"/);
    const released = await client.get<KubeObject & { spec?: { holderIdentity?: string } }>(
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
      'image-test',
      namespace,
    );
    expect(released.spec?.holderIdentity).toBe('');
  });
});
