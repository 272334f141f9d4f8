// Acceptance (issue 4): a StatefulSet of 3 real etcd members (the image map points at Debian's
// /usr/bin/etcd) with a headless Service and volumeClaimTemplates forms a cluster through DNS peer
// URLs; etcdctl from the host sees 3 healthy members; deleting pod 1 brings it back on the same
// data (a key written before is readable from its own store, its member ID is unchanged).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GVR,
  isPodReady,
  requireTool,
  sh,
  startFullSandbox,
  statusOf,
  waitFor,
  type CommandResult,
  type FullSandbox,
} from './helpers.ts';

const ETCDCTL = '/usr/bin/etcdctl';
const NS = 'default';
const MEMBERS = ['etcd-0', 'etcd-1', 'etcd-2'];
const dnsName = (pod: string): string => `${pod}.etcd.${NS}.svc.cluster.local`;

let sb: FullSandbox;

beforeAll(async () => {
  requireTool('/usr/bin/etcd');
  requireTool(ETCDCTL);
  // etcd exits when a peer name does not resolve yet: restart quickly instead of after 10 s
  sb = await startFullSandbox({ node: { backoffBaseMs: 1000, backoffMaxMs: 4000 } });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
}, 60_000);

function etcdctl(args: string[]): Promise<CommandResult> {
  return sh(ETCDCTL, ['--dial-timeout=2s', '--command-timeout=5s', ...args], 15_000);
}

async function podIp(name: string): Promise<string | undefined> {
  const p = await sb.client.get(GVR.pods, NS, name);
  return isPodReady(p) ? statusOf(p).podIP : undefined;
}

function memberId(statusJson: string): string {
  // member IDs are uint64: read them as text, JSON.parse would round them
  const id = /"member_id":(\d+)/.exec(statusJson)?.[1];
  if (!id) throw new Error(`no member_id in ${statusJson}`);
  return id;
}

describe('etcd StatefulSet', () => {
  it('forms a 3-member cluster over DNS peer URLs that etcdctl on the host sees healthy', async () => {
    await sb.client.create(GVR.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'etcd', namespace: NS },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: { app: 'etcd' },
        ports: [
          { name: 'client', port: 2379 },
          { name: 'peer', port: 2380 },
        ],
      },
    });
    const initialCluster = MEMBERS.map((m) => `${m}=http://${dnsName(m)}:2380`).join(',');
    await sb.client.create(GVR.statefulsets, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'etcd', namespace: NS },
      spec: {
        serviceName: 'etcd',
        replicas: 3,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: { app: 'etcd' } },
        template: {
          metadata: { labels: { app: 'etcd' } },
          spec: {
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: 'etcd',
                image: 'quay.io/coreos/etcd:v3.4.23',
                command: ['/usr/local/bin/etcd'],
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                ],
                args: [
                  '--name=$(POD_NAME)',
                  '--data-dir=/var/lib/etcd/data',
                  '--listen-peer-urls=http://0.0.0.0:2380',
                  '--listen-client-urls=http://0.0.0.0:2379',
                  `--advertise-client-urls=http://$(POD_NAME).etcd.${NS}.svc.cluster.local:2379`,
                  `--initial-advertise-peer-urls=http://$(POD_NAME).etcd.${NS}.svc.cluster.local:2380`,
                  `--initial-cluster=${initialCluster}`,
                  '--initial-cluster-state=new',
                  '--initial-cluster-token=acceptance',
                ],
                ports: [
                  { name: 'client', containerPort: 2379 },
                  { name: 'peer', containerPort: 2380 },
                ],
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }],
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } },
          },
        ],
      },
    });

    const ips = await waitFor(
      '3 running etcd pods',
      async () => {
        const all = await Promise.all(MEMBERS.map(podIp));
        return all.every(Boolean) ? (all as string[]) : undefined;
      },
      60_000,
    );
    for (const m of MEMBERS) {
      const pvc = await sb.client.get(GVR.pvcs, NS, `data-${m}`);
      expect((pvc?.status as { phase?: string } | undefined)?.phase).toBe('Bound');
    }
    const endpoints = ips.map((ip) => `http://${ip}:2379`).join(',');
    const health = await waitFor(
      '3 healthy members',
      async () => {
        const r = await etcdctl(['--endpoints', endpoints, 'endpoint', 'health']);
        return r.code === 0 ? r : undefined;
      },
      60_000,
      500,
    );
    expect((health.stdout + health.stderr).match(/is healthy/g)).toHaveLength(3);

    const list = await etcdctl(['--endpoints', endpoints, 'member', 'list']);
    expect(list.code).toBe(0);
    for (const m of MEMBERS) {
      // each member advertises its StatefulSet DNS name
      expect(list.stdout).toContain(`${m}, http://${dnsName(m)}:2380`);
    }
  }, 150_000);

  it('brings pod 1 back on the same data and member ID after it is deleted', async () => {
    const ip0 = String(await podIp('etcd-0'));
    const ip1 = String(await podIp('etcd-1'));
    const put = await etcdctl(['--endpoints', `http://${ip0}:2379`, 'put', 'acceptance', 'kept']);
    expect(put.stdout.trim()).toBe('OK');
    // wait until member 1 has applied it from its own store, then remember its ID
    await waitFor('key replicated to etcd-1', async () => {
      const r = await etcdctl([
        '--endpoints',
        `http://${ip1}:2379`,
        'get',
        'acceptance',
        '--consistency=s',
        '--print-value-only',
      ]);
      return r.stdout.trim() === 'kept';
    });
    const before = await etcdctl([
      '--endpoints',
      `http://${ip1}:2379`,
      'endpoint',
      'status',
      '-w',
      'json',
    ]);
    const idBefore = memberId(before.stdout);
    const oldUid = (await sb.client.get(GVR.pods, NS, 'etcd-1'))?.metadata?.uid;

    await sb.client.delete(GVR.pods, NS, 'etcd-1');
    const newIp = await waitFor(
      'etcd-1 recreated and running',
      async () => {
        const p = await sb.client.get(GVR.pods, NS, 'etcd-1');
        if (!p || p.metadata?.uid === oldUid || !isPodReady(p)) return undefined;
        return statusOf(p).podIP;
      },
      60_000,
    );
    // a serializable read is answered from the member's local store: the data survived
    const value = await waitFor(
      'etcd-1 serving the key written before',
      async () => {
        const r = await etcdctl([
          '--endpoints',
          `http://${newIp}:2379`,
          'get',
          'acceptance',
          '--consistency=s',
          '--print-value-only',
        ]);
        return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
      },
      60_000,
      500,
    );
    expect(value).toBe('kept');
    const after = await etcdctl([
      '--endpoints',
      `http://${newIp}:2379`,
      'endpoint',
      'status',
      '-w',
      'json',
    ]);
    expect(memberId(after.stdout)).toBe(idBefore);

    const ips = await Promise.all(MEMBERS.map(podIp));
    const health = await waitFor(
      '3 healthy members after the restart',
      async () => {
        const r = await etcdctl([
          '--endpoints',
          ips.map((ip) => `http://${String(ip)}:2379`).join(','),
          'endpoint',
          'health',
        ]);
        return r.code === 0 ? r : undefined;
      },
      30_000,
      500,
    );
    expect((health.stdout + health.stderr).match(/is healthy/g)).toHaveLength(3);
  }, 150_000);
});
