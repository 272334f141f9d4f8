// Regression: pods started one after another (each deleted before the next) must reach the
// `kubernetes` Service and a normal ClusterIP Service on their first connection. The bridge used to
// take the lowest MAC of its ports, so it changed as pod veths came and went, and the service
// namespace (which forwards the `kubernetes` Service to the gateway) kept the gateway's old MAC:
// the proxy's upstream SYNs went nowhere and pods timed out.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { macForIp } from '../../src/node/network.ts';
import {
  ENDPOINTS,
  pod,
  podFinished,
  podReady,
  PODS,
  readLogs,
  SERVICES,
  startNodeSandbox,
  waitFor,
  type NodeFixture,
} from './helpers.ts';

const run = promisify(execFile);
let fx: NodeFixture;
let echoClusterIp = '';

// One attempt per target (no retries): an HTTP(S) answer of any status counts, an error or no
// answer within the bound is a failure. The bound only keeps a broken run from hanging.
const PROBE = `const http = require('node:http'), https = require('node:https');
const probe = (name, mod, opts) => new Promise((res) => {
  const req = mod.get({ ...opts, agent: false, rejectUnauthorized: false }, (r) => {
    let body = ''; r.on('data', (d) => (body += d));
    r.on('end', () => res(name + '=' + r.statusCode + ':' + body.trim().slice(0, 20)));
  });
  req.on('error', (e) => res(name + '=error:' + e.message));
  req.setTimeout(15000, () => { req.destroy(); res(name + '=timeout'); });
});
Promise.all([
  probe('api', https, { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path: '/version' }),
  probe('echo', http, { host: process.env.ECHO_IP, port: 80, path: '/' }),
]).then((r) => console.log(r.join(' ')));`;

beforeAll(async () => {
  fx = await startNodeSandbox();
  await fx.client.create(
    PODS,
    pod(
      'backend',
      {
        containers: [
          {
            name: 'echo',
            image: 'sandbox/http-echo',
            args: ['-text=backend', '-listen=:8080'],
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
          },
        ],
      },
      { app: 'backend' },
    ),
  );
  const st = await podReady(fx, 'backend');
  const svc = await fx.client.create(SERVICES, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'backend', namespace: 'default' },
    spec: { selector: { app: 'backend' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
  });
  echoClusterIp = (svc.spec as { clusterIP: string }).clusterIP;
  // the endpoints controller is a separate component; this test writes Endpoints itself
  await fx.client.create(ENDPOINTS, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'backend', namespace: 'default' },
    subsets: [
      {
        addresses: [{ ip: st.podIP ?? '' }],
        ports: [{ name: 'web', port: 8080, protocol: 'TCP' }],
      },
    ],
  });
}, 60_000);

afterAll(async () => {
  await fx.stop();
});

async function bridgeMac(): Promise<string> {
  const bridge = `ksbx${fx.node.gatewayIp.split('.')[2] ?? ''}`;
  const { stdout } = await run('cat', [`/sys/class/net/${bridge}/address`]);
  return stdout.trim();
}

describe('Service reachability across pod churn', () => {
  it('every new pod reaches the kubernetes Service and a ClusterIP Service at first try', async () => {
    const results: string[] = [];
    for (let i = 0; i < 6; i++) {
      const name = `churn-${String(i)}`;
      await fx.client.create(
        PODS,
        pod(name, {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'c',
              image: 'node:24',
              command: ['node', '-e', PROBE],
              env: [{ name: 'ECHO_IP', value: echoClusterIp }],
            },
          ],
        }),
      );
      const s = await podFinished(fx, name);
      const out = (await readLogs(fx.node, 'default', name)).trim();
      expect(s.phase, out).toBe('Succeeded');
      results.push(`${name} ${s.podIP ?? ''}: ${out}`);
      await fx.client.delete(PODS, 'default', name);
      await waitFor(`${name} deleted`, async () =>
        (await fx.client.get(PODS, 'default', name)) ? undefined : true,
      );
    }
    for (const r of results) {
      expect(r).toMatch(/ api=\d{3}:/);
      expect(r).toContain('echo=200:backend');
    }
    // the gateway keeps one MAC whatever ports come and go
    expect(await bridgeMac()).toBe(macForIp(fx.node.gatewayIp));
  }, 240_000);
});
