// The pod network: pods reach each other by IP and by Service DNS name through the Service proxy,
// the host reaches pods, cluster DNS answers (and fails fast), and the service-account token mounted
// into a pod works against the API server.
import { createSocket } from 'node:dgram';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENDPOINTS,
  isReady,
  pod,
  podFinished,
  PODS,
  podStatus,
  readLogs,
  SERVICES,
  startNodeSandbox,
  waitFor,
  type NodeFixture,
} from './helpers.ts';

const run = promisify(execFile);
let fx: NodeFixture;
const ips: Record<string, string> = {};

beforeAll(async () => {
  fx = await startNodeSandbox();
  for (const [name, text] of [
    ['echo-1', 'one'],
    ['echo-2', 'two'],
  ] as const) {
    await fx.client.create(
      PODS,
      pod(
        name,
        {
          hostname: name,
          subdomain: 'echo-hl',
          containers: [
            {
              name: 'echo',
              image: 'sandbox/http-echo',
              args: [`-text=${text}`, '-listen=:8080'],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
            },
          ],
        },
        { app: 'echo' },
      ),
    );
  }
  for (const name of ['echo-1', 'echo-2']) {
    const s = await waitFor(`${name} ready`, async () => {
      const st = await podStatus(fx.client, 'default', name);
      return isReady(st) ? st : undefined;
    });
    ips[name] = s.podIP ?? '';
  }
  await fx.client.create(SERVICES, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo', namespace: 'default' },
    spec: { selector: { app: 'echo' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
  });
  await fx.client.create(SERVICES, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo-hl', namespace: 'default' },
    spec: { clusterIP: 'None', selector: { app: 'echo' }, ports: [{ name: 'web', port: 8080 }] },
  });
  // the endpoints controller is a separate component; these tests write Endpoints themselves
  for (const svc of ['echo', 'echo-hl']) {
    await fx.client.create(ENDPOINTS, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: svc, namespace: 'default' },
      subsets: [
        {
          addresses: Object.entries(ips).map(([n, ip]) => ({
            ip,
            hostname: n,
            targetRef: { kind: 'Pod', name: n, namespace: 'default' },
          })),
          ports: [{ name: 'web', port: 8080, protocol: 'TCP' }],
        },
      ],
    });
  }
}, 90_000);

afterAll(async () => {
  await fx?.stop();
});

async function clusterIP(name: string): Promise<string> {
  const svc = await fx.client.get(SERVICES, 'default', name);
  return String((svc?.spec as { clusterIP?: string }).clusterIP);
}

type DnsReply = { rcode?: string; answers: Array<{ data?: unknown }> };

function dnsQuery(name: string, type: 'A' | 'SRV' = 'A'): Promise<DnsReply> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no DNS answer for ${name}`));
    }, 5000);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(dnsPacket.decode(msg) as unknown as DnsReply);
    });
    sock.send(
      dnsPacket.encode({
        type: 'query',
        id: 7,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type, name }],
      }),
      53,
      fx.node.gatewayIp,
    );
  });
}

describe('node: network, services and DNS', () => {
  it('lets the host reach pods by IP', async () => {
    const res = await fetch(`http://${ips['echo-1'] ?? ''}:8080/`);
    expect(await res.text()).toBe('one\n');
  }, 60_000);

  it('lets pods reach each other by IP and by Service DNS name', async () => {
    const script = [
      `echo "BYIP=$(wget -qO- -T 5 http://${ips['echo-2'] ?? ''}:8080/)"`,
      'for i in 1 2 3 4; do echo "FQDN=$(wget -qO- -T 5 http://echo.default.svc.cluster.local/)"; done',
      'echo "SHORT=$(wget -qO- -T 5 http://echo/)"',
      'echo "HEADLESS=$(wget -qO- -T 5 http://echo-1.echo-hl:8080/)"',
      'echo "API=$(wget -qO- -T 5 --no-check-certificate https://kubernetes.default.svc/healthz 2>&1 | head -c 200)"',
    ].join('; ');
    await fx.client.create(
      PODS,
      pod('client', {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', script] }],
      }),
    );
    const s = await podFinished(fx, 'client');
    const out = await readLogs(fx.node, 'default', 'client');
    expect(s.phase, out).toBe('Succeeded');
    expect(out).toContain('BYIP=two');
    const fqdn = out.split('\n').filter((l) => l.startsWith('FQDN='));
    expect(fqdn).toHaveLength(4);
    // round-robin over both ready endpoints
    expect(new Set(fqdn)).toEqual(new Set(['FQDN=one', 'FQDN=two']));
    expect(out).toMatch(/SHORT=(one|two)/);
    expect(out).toContain('HEADLESS=one');
  }, 60_000);

  it('answers cluster DNS and fails fast for unknown names', async () => {
    const a = await dnsQuery('echo.default.svc.cluster.local');
    expect(a.answers.map((x) => x.data)).toEqual([await clusterIP('echo')]);
    const headless = await dnsQuery('echo-hl.default.svc.cluster.local');
    expect(headless.answers.map((x) => x.data).sort()).toEqual(Object.values(ips).sort());
    const host = await dnsQuery('echo-2.echo-hl.default.svc.cluster.local');
    expect(host.answers.map((x) => x.data)).toEqual([ips['echo-2']]);
    const srv = await dnsQuery('_web._tcp.echo.default.svc.cluster.local', 'SRV');
    expect(srv.answers[0]?.data).toMatchObject({
      port: 80,
      target: 'echo.default.svc.cluster.local',
    });
    const unknown = await dnsQuery('nope.default.svc.cluster.local');
    expect(unknown.rcode).toBe('NXDOMAIN');
    const outside = await dnsQuery('example.com');
    expect(outside.rcode).toBe('NXDOMAIN');
  }, 60_000);

  it('lets the host reach a Service through the service namespace', async () => {
    const ip = await clusterIP('echo');
    const { stdout } = await run('ip', [
      'netns',
      'exec',
      fx.node.svcNetns,
      'wget',
      '-qO-',
      '-T',
      '5',
      `http://${ip}/`,
    ]);
    expect(['one\n', 'two\n']).toContain(stdout);
  }, 60_000);

  it('serves NodePorts on the node IP and runs commands in containers (exec)', async () => {
    await fx.client.create(SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo-np', namespace: 'default' },
      spec: {
        type: 'NodePort',
        selector: { app: 'echo' },
        ports: [{ name: 'web', port: 80, targetPort: 'http', nodePort: 30080 }],
      },
    });
    await fx.client.create(ENDPOINTS, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'echo-np', namespace: 'default' },
      subsets: [
        {
          addresses: [{ ip: ips['echo-1'] ?? '' }],
          ports: [{ name: 'web', port: 8080, protocol: 'TCP' }],
        },
      ],
    });
    const res = await waitFor('node port', () =>
      fetch(`http://${fx.node.gatewayIp}:30080/`, { signal: AbortSignal.timeout(2000) }),
    );
    expect(await res.text()).toBe('one\n');
    const r = await fx.node.exec('default', 'echo-2', [
      'sh',
      '-c',
      'cat /etc/hostname; id -u; pwd; echo $HOSTNAME',
    ]);
    expect(r).toMatchObject({ code: 0, stdout: 'echo-2\n0\n/\necho-2\n' });
    const failed = await fx.node.exec('default', 'echo-2', ['sh', '-c', 'exit 7']);
    expect(failed.code).toBe(7);
  }, 60_000);

  it('proxies UDP Service ports', async () => {
    const server =
      "const s = require('node:dgram').createSocket('udp4'); s.on('message', (m, r) => s.send('echo:' + m, r.port, r.address)); s.bind(5353);";
    await fx.client.create(
      PODS,
      pod('udp-echo', {
        containers: [{ name: 'c', image: 'node:24', command: ['node', '-e', server] }],
      }),
    );
    const s = await waitFor('udp-echo running', async () => {
      const st = await podStatus(fx.client, 'default', 'udp-echo');
      return st.containerStatuses?.[0]?.state.running ? st : undefined;
    });
    await fx.client.create(SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'udp', namespace: 'default' },
      spec: { ports: [{ name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }] },
    });
    await fx.client.create(ENDPOINTS, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'udp', namespace: 'default' },
      subsets: [
        {
          addresses: [{ ip: s.podIP ?? '' }],
          ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }],
        },
      ],
    });
    const ip = await clusterIP('udp');
    const client = `const c = require('node:dgram').createSocket('udp4'); c.on('message', (m) => { console.log(String(m)); process.exit(0); }); setInterval(() => c.send('ping', 53, '${ip}'), 200); setTimeout(() => process.exit(1), 5000);`;
    const out = await waitFor(
      'udp answer',
      async () =>
        (await run('ip', ['netns', 'exec', fx.node.svcNetns, process.execPath, '-e', client]))
          .stdout,
    );
    expect(out).toBe('echo:ping\n');
  }, 60_000);

  it('runs hostNetwork pods in the node network and maps hostPorts', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    await fx.client.create(
      PODS,
      pod('hostnet', {
        hostNetwork: true,
        containers: [
          {
            name: 'echo',
            image: 'sandbox/http-echo',
            args: ['-text=host', `-listen=${fx.node.gatewayIp}:${String(port)}`],
            readinessProbe: { tcpSocket: { port }, periodSeconds: 1 },
          },
        ],
      }),
    );
    const s = await waitFor('hostnet ready', async () => {
      const st = await podStatus(fx.client, 'default', 'hostnet');
      return isReady(st) ? st : undefined;
    });
    expect(s.podIP).toBe(fx.node.gatewayIp);
    const res = await fetch(`http://${fx.node.gatewayIp}:${String(port)}/`);
    expect(await res.text()).toBe('host\n');

    // hostPort: the node IP's port reaches a pod in its own namespace
    await fx.client.create(
      PODS,
      pod('hostport', {
        containers: [
          {
            name: 'echo',
            image: 'sandbox/http-echo',
            args: ['-text=via-hostport', '-listen=:8080'],
            ports: [{ containerPort: 8080, hostPort: port + 1 }],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      }),
    );
    await waitFor('hostport ready', async () =>
      isReady(await podStatus(fx.client, 'default', 'hostport')),
    );
    const viaHostPort = await fetch(`http://${fx.node.gatewayIp}:${String(port + 1)}/`);
    expect(await viaHostPort.text()).toBe('via-hostport\n');
  }, 60_000);

  it('mounts a service-account token that works against the API server', async () => {
    const RBAC = (resource: string) => ({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      resource,
    });
    await fx.client.create(RBAC('roles'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pod-reader', namespace: 'default' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
    });
    await fx.client.create(RBAC('rolebindings'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'pod-reader', namespace: 'default' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'default' }],
    });
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const script = [
      `echo "NS=$(cat ${sa}/namespace)"`,
      `curl -sS --cacert ${sa}/ca.crt -H "Authorization: Bearer $(cat ${sa}/token)" "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/default/pods/echo-1" -o /tmp/pod.json -w "CODE=%{http_code}\\n"`,
      'grep -o \'"name":"echo-1"\' /tmp/pod.json | head -1',
      `curl -sS --cacert ${sa}/ca.crt -H "Authorization: Bearer $(cat ${sa}/token)" "https://kubernetes.default.svc/api/v1/namespaces/default/secrets" -o /dev/null -w "SECRETS=%{http_code}\\n"`,
    ].join('; ');
    await fx.client.create(
      PODS,
      pod('in-cluster', {
        automountServiceAccountToken: true,
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', script] }],
      }),
    );
    const s = await podFinished(fx, 'in-cluster');
    const out = await readLogs(fx.node, 'default', 'in-cluster');
    expect(s.phase, out).toBe('Succeeded');
    expect(out).toContain('NS=default');
    expect(out).toContain('CODE=200');
    expect(out).toContain('"name":"echo-1"');
    expect(out).toContain('SECRETS=403');
  }, 60_000);
});
