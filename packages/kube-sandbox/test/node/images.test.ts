// The default image map runs real servers the way their official images would: etcd, Prometheus,
// Redis (options as arguments, protected mode off) and MariaDB (data directory initialised from
// MARIADB_* variables, listening on the pod IP).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isReady,
  pod,
  PODS,
  podStatus,
  readLogs,
  startNodeSandbox,
  waitFor,
  type NodeFixture,
  type Status,
} from './helpers.ts';

const run = promisify(execFile);
let fx: NodeFixture;

beforeAll(async () => {
  fx = await startNodeSandbox();
  const data = [{ name: 'data', emptyDir: {} }];
  await fx.client.create(
    PODS,
    pod('etcd', {
      containers: [
        {
          name: 'etcd',
          image: 'quay.io/coreos/etcd:v3.5.17',
          command: ['/usr/local/bin/etcd'],
          args: [
            '--name=$(POD_NAME)',
            '--data-dir=/var/lib/etcd',
            '--listen-client-urls=http://0.0.0.0:2379',
            '--advertise-client-urls=http://$(POD_IP):2379',
            '--listen-peer-urls=http://0.0.0.0:2380',
            '--initial-advertise-peer-urls=http://$(POD_IP):2380',
            '--initial-cluster=$(POD_NAME)=http://$(POD_IP):2380',
          ],
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          readinessProbe: {
            httpGet: { path: '/health', port: 2379 },
            periodSeconds: 1,
            timeoutSeconds: 5,
          },
          volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }],
        },
      ],
      volumes: data,
    }),
  );
  await fx.client.create(
    PODS,
    pod('prometheus', {
      containers: [
        {
          name: 'prometheus',
          image: 'prom/prometheus:v2.42.0',
          readinessProbe: {
            httpGet: { path: '/-/ready', port: 9090 },
            periodSeconds: 1,
            timeoutSeconds: 5,
          },
          volumeMounts: [{ name: 'data', mountPath: '/prometheus' }],
        },
      ],
      volumes: data,
    }),
  );
  await fx.client.create(
    PODS,
    pod('redis', {
      containers: [
        {
          name: 'redis',
          image: 'redis:7.0',
          args: ['--appendonly', 'yes'],
          readinessProbe: {
            exec: { command: ['redis-cli', 'ping'] },
            periodSeconds: 1,
            timeoutSeconds: 5,
          },
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: data,
    }),
  );
  await fx.client.create(
    PODS,
    pod('mariadb', {
      containers: [
        {
          name: 'mariadb',
          image: 'mariadb:10.11',
          env: [
            { name: 'MARIADB_ROOT_PASSWORD', value: 'root-secret' },
            { name: 'MARIADB_DATABASE', value: 'app' },
            { name: 'MARIADB_USER', value: 'app' },
            { name: 'MARIADB_PASSWORD', value: 'app-secret' },
          ],
          readinessProbe: { tcpSocket: { port: 3306 }, periodSeconds: 1 },
          volumeMounts: [{ name: 'data', mountPath: '/var/lib/mysql' }],
        },
      ],
      volumes: data,
    }),
  );
}, 60_000);

afterAll(async () => {
  await fx?.stop();
});

async function ready(name: string): Promise<Status> {
  try {
    return await waitFor(
      `${name} ready`,
      async () => {
        const s = await podStatus(fx.client, 'default', name);
        return isReady(s) ? s : undefined;
      },
      90_000,
    );
  } catch (err) {
    const logs = await readLogs(fx.node, 'default', name).catch((e: unknown) => String(e));
    throw new Error(
      `${(err as Error).message}\nstatus: ${JSON.stringify(await podStatus(fx.client, 'default', name))}\nlogs: ${logs}`,
    );
  }
}

describe('node: default image map', () => {
  it('runs etcd (etcdctl from the host sees the member)', async () => {
    const s = await ready('etcd');
    const { stdout } = await run('etcdctl', [
      '--endpoints',
      `http://${s.podIP ?? ''}:2379`,
      'member',
      'list',
    ]);
    expect(stdout).toContain(`etcd, http://${s.podIP ?? ''}:2380, http://${s.podIP ?? ''}:2379`);
  }, 100_000);

  it('runs Prometheus with the image defaults', async () => {
    const s = await ready('prometheus');
    const res = await fetch(`http://${s.podIP ?? ''}:9090/api/v1/status/flags`);
    const flags = ((await res.json()) as { data: Record<string, string> }).data;
    expect(flags['config.file']).toBe('/etc/prometheus/prometheus.yml');
    expect(flags['storage.tsdb.path']).toBe('/prometheus');
  }, 100_000);

  it('runs Redis with options as arguments, reachable from the host', async () => {
    const s = await ready('redis');
    const { stdout } = await run('redis-cli', ['-h', s.podIP ?? '', 'config', 'get', 'appendonly']);
    expect(stdout).toBe('appendonly\nyes\n');
  }, 100_000);

  it('initialises MariaDB from MARIADB_* variables', async () => {
    const s = await ready('mariadb');
    const { stdout } = await run('mariadb', [
      '-h',
      s.podIP ?? '',
      '-uapp',
      '-papp-secret',
      'app',
      '-N',
      '-e',
      'SELECT DATABASE(), CURRENT_USER()',
    ]);
    expect(stdout).toBe('app\tapp@%\n');
  }, 100_000);
});
