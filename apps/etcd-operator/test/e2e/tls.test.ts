// Acceptance (issue 7): a TLS cluster on the real node. Peer and client traffic is HTTPS with
// client-certificate authentication, certificates issued by the operator's per-cluster CA; the
// operator itself talks TLS. A client without a certificate (or with one from another CA, or in
// plain HTTP) is rejected; a client in a pod reaches the client Service by its DNS name with full
// host name verification. Rotation (requested with the etcd.opsmith.io/rotate-certificates
// annotation) replaces every member's certificate one member at a time while a writer keeps
// writing and reading over fresh TLS connections: no request fails, no pod restarts.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../../src/api/types.ts';
import { POD } from '../../src/cluster/act.ts';
import { memberTlsSecretName } from '../../src/cluster/pods.ts';
import { ETCD_CLUSTER } from '../../src/cluster/reconciler.ts';
import {
  ANNOTATION_ROTATE,
  caSecretName,
  operatorClientSecretName,
} from '../../src/cluster/tls-secrets.ts';
import { EtcdClient, type EtcdTlsOptions } from '../../src/etcd/client.ts';
import { createClusterCa, issueClientCertificate } from '../../src/tls/certs.ts';
import { inspectCertificate, type KeyPairPem } from '../../src/tls/pki.ts';
import { servingCertificateFingerprint } from '../../src/tls/probe.ts';
import {
  clusterEvents,
  hostEtcdctl,
  memberPods,
  sleep,
  type PodView,
} from '../support/e2e-tools.ts';
import { eventually } from '../support/local-etcd.ts';
import {
  etcdClusterManifest,
  InProcessOperator,
  startRealCluster,
  tlsServerName,
  waitClusterReady,
  type RealCluster,
} from '../support/real-cluster.ts';

const NS = 'tls';
const NAME = 'sec';
const SERVER_NAME = tlsServerName({ metadata: { name: NAME, namespace: NS } });
let real: RealCluster;
let op: InProcessOperator;
let ca: KeyPairPem;
let user: EtcdTlsOptions & { ca: string; cert: string; key: string };

beforeAll(async () => {
  real = await startRealCluster(NS);
  op = new InProcessOperator(real);
  await op.start();
  await real.kube.create(
    etcdClusterManifest(NAME, NS, { size: 3, tls: { peer: true, client: true } }),
  );
  await real.kube.create(etcdClusterManifest('peeronly', NS, { size: 1, tls: { peer: true } }));
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await real?.stop();
}, 60_000);

interface SecretObject extends KubeObject {
  data: Record<string, string>;
}
async function secretPair(name: string): Promise<KeyPairPem> {
  const s = await real.kube.get<SecretObject>({ apiVersion: 'v1', kind: 'Secret' }, name, NS);
  const d = (k: string) => Buffer.from(s.data[k] ?? '', 'base64').toString();
  return { certPem: d('tls.crt'), keyPem: d('tls.key') };
}

/** Member name -> pod IP. */
async function podIps(): Promise<Record<string, string>> {
  return Object.fromEntries(
    (await memberPods(real.kube, NS, NAME)).map((p) => [p.metadata.name, p.status?.podIP ?? '']),
  );
}

async function served(ip: string, port: number): Promise<string | undefined> {
  return await servingCertificateFingerprint(`https://${ip}:${port}`, {
    ca: ca.certPem,
    cert: user.cert,
    key: user.key,
    serverName: SERVER_NAME,
  });
}

function etcd3(ips: string[], tls: Partial<EtcdTlsOptions> | undefined, scheme = 'https') {
  return new Etcd3({
    hosts: ips.map((ip) => `${scheme}://${ip}:2379`),
    dialTimeout: 3000,
    ...(tls
      ? {
          credentials: {
            rootCertificate: Buffer.from(String(tls.ca)),
            ...(tls.cert ? { certChain: Buffer.from(String(tls.cert)) } : {}),
            ...(tls.key ? { privateKey: Buffer.from(String(tls.key)) } : {}),
          },
          grpcOptions: { 'grpc.ssl_target_name_override': SERVER_NAME },
        }
      : {}),
    faultHandling: {
      global: { execute: (fn: () => unknown) => Promise.resolve(fn()) },
      host: () => ({ execute: (fn: () => unknown) => Promise.resolve(fn()) }),
    } as never,
  });
}

describe('a TLS cluster', () => {
  it('comes up with HTTPS everywhere, the operator talking TLS to it', async () => {
    const c = await waitClusterReady(real.kube, NS, NAME, 3, 240_000);
    for (const m of c.status?.members ?? []) {
      expect(m.peerURL).toMatch(/^https:\/\//);
      expect(m.clientURL).toMatch(/^https:\/\//);
    }
    const caPair = await secretPair(caSecretName(NAME));
    ca = caPair;
    const u = await issueClientCertificate(caPair, 'e2e-user');
    user = { ca: caPair.certPem, cert: u.certPem, key: u.keyPem, serverName: SERVER_NAME };
    const client = new EtcdClient({
      endpoints: Object.values(await podIps()).map((ip) => `https://${ip}:2379`),
      tls: user,
    });
    try {
      await client.put('/tls/hello', 'world');
      expect(await client.get('/tls/hello')).toBe('world');
    } finally {
      client.close();
    }
    // The operator's own client certificate is what it uses; it exists and is from the same CA.
    const opCert = inspectCertificate((await secretPair(operatorClientSecretName(NAME))).certPem);
    expect(opCert.subject).toContain('CN=etcd-operator');
  }, 300_000);

  it('rejects clients without a certificate, with a foreign one, or in plain HTTP', async () => {
    const ips = Object.values(await podIps());
    const foreignCa = await createClusterCa({ name: 'other', namespace: NS });
    const foreign = await issueClientCertificate(foreignCa, 'intruder');
    const attempts: [string, Etcd3][] = [
      ['no certificate', etcd3(ips, { ca: ca.certPem })],
      [
        'foreign certificate',
        etcd3(ips, { ca: ca.certPem, cert: foreign.certPem, key: foreign.keyPem }),
      ],
      ['plain HTTP', etcd3(ips, undefined, 'http')],
    ];
    for (const [what, client] of attempts) {
      try {
        await expect(client.put('/tls/intruder').value(what), what).rejects.toThrow();
      } finally {
        client.close();
      }
    }
    // etcdctl agrees, on every member.
    for (const ip of ips) {
      const r = await hostEtcdctl([
        `--endpoints=https://${ip}:2379`,
        '--insecure-skip-tls-verify',
        '--dial-timeout=3s',
        '--command-timeout=5s',
        'get',
        '/tls/hello',
      ]);
      expect(r.code).not.toBe(0);
    }
    const check = etcd3(ips, user);
    try {
      expect(await check.get('/tls/intruder').string()).toBeNull();
    } finally {
      check.close();
    }
  }, 120_000);

  it('serves a client in a pod through the client Service with host name verification', async () => {
    await real.kube.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'tls-client', namespace: NS },
      spec: {
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'etcdctl',
            image: 'quay.io/coreos/etcd:v3.4.23',
            command: ['/bin/sh', '-c', 'exec sleep 100000'],
            volumeMounts: [{ name: 'tls', mountPath: '/tls', readOnly: true }],
          },
        ],
        volumes: [
          {
            name: 'tls',
            secret: { secretName: operatorClientSecretName(NAME), defaultMode: 0o444 },
          },
        ],
      },
    } as KubeObject);
    await eventually(
      'client pod running',
      async () =>
        (await real.kube.get<PodView>(POD, 'tls-client', NS)).status?.phase === 'Running' ||
        undefined,
      60_000,
      300,
    );
    const node = real.cluster.node;
    if (!node) throw new Error('the sandbox runs without a node');
    const etcdctl = (args: string[]) =>
      node.exec(NS, 'tls-client', ['/usr/local/bin/etcdctl', '--dial-timeout=3s', ...args], {
        timeoutMs: 20_000,
      });
    const url = `https://${SERVER_NAME}:2379`;
    const ok = await etcdctl([
      `--endpoints=${url}`,
      '--cacert=/tls/ca.crt',
      '--cert=/tls/tls.crt',
      '--key=/tls/tls.key',
      'get',
      '/tls/hello',
      '--print-value-only',
    ]);
    expect(ok.stdout.trim()).toBe('world');
    const noCert = await etcdctl([
      `--endpoints=${url}`,
      '--cacert=/tls/ca.crt',
      'get',
      '/tls/hello',
    ]);
    expect(noCert.code).not.toBe(0);
  }, 120_000);
});

/** Writes and reads continuously; every 5th read goes over a brand-new TLS connection. */
class TlsWriter {
  readonly acked: string[] = [];
  readonly errors: string[] = [];
  operations = 0;
  #stop = false;
  #loop: Promise<void> | undefined;
  readonly #ips: string[];

  constructor(ips: string[]) {
    this.#ips = ips;
  }

  start(): this {
    this.#loop = this.#run();
    return this;
  }

  async #run(): Promise<void> {
    const endpoints = this.#ips.map((ip) => `https://${ip}:2379`);
    const steady = new EtcdClient({ endpoints, tls: user, timeoutMs: 5000 });
    let n = 0;
    while (!this.#stop) {
      const key = `/tls/rotation/${String(n).padStart(6, '0')}`;
      try {
        await steady.put(key, `v${n}`);
        this.acked.push(key);
        if ((await steady.get(key)) !== `v${n}`) this.errors.push(`read of ${key} differs`);
        if (n % 5 === 0) {
          // A new handshake with each member in turn: the one being rotated included.
          const ep = endpoints[(n / 5) % endpoints.length];
          const fresh = new EtcdClient({ endpoints: [ep], tls: user, timeoutMs: 5000 });
          try {
            if ((await fresh.get(key, ep)) !== `v${n}`) this.errors.push(`fresh read of ${key}`);
          } finally {
            fresh.close();
          }
        }
      } catch (err) {
        this.errors.push(`${key}: ${String(err)}`);
      }
      this.operations++;
      n++;
      await sleep(20);
    }
    steady.close();
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#loop;
  }
}

describe('certificate rotation', () => {
  it('replaces every member certificate one at a time, with no failed request and no restart', async () => {
    await waitClusterReady(real.kube, NS, NAME, 3);
    const ips = await podIps();
    const names = Object.keys(ips).sort();
    const podsBefore = await memberPods(real.kube, NS, NAME);
    const original: Record<string, string | undefined> = {};
    for (const n of names) {
      original[n] = await served(ips[n], 2379);
      expect(original[n]).toBe(
        inspectCertificate((await secretPair(memberTlsSecretName(n))).certPem).fingerprint256,
      );
      expect(await served(ips[n], 2380)).toBe(original[n]); // peer port: the same certificate
    }

    const leaderBefore = (await real.kube.get(ETCD_CLUSTER, NAME, NS)) as unknown as EtcdCluster;
    const writer = new TlsWriter(Object.values(ips)).start();
    // Meanwhile: how many members hold a renewed certificate they do not serve yet (at most one).
    let sampling = true;
    let maxInFlight = 0;
    const sampler = (async () => {
      while (sampling) {
        let inFlight = 0;
        for (const n of names) {
          const secret = inspectCertificate(
            (await secretPair(memberTlsSecretName(n))).certPem,
          ).fingerprint256;
          if (secret !== (await served(ips[n], 2379))) inFlight++;
        }
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(100);
      }
    })();
    await eventually(
      'the writer writes',
      async () => writer.acked.length > 20 || undefined,
      30_000,
    );
    await real.kube.patch(ETCD_CLUSTER, NAME, NS, 'merge', {
      metadata: { annotations: { [ANNOTATION_ROTATE]: 'e2e-1' } },
    });
    await eventually(
      'every member serving a new certificate from its Secret, on both ports',
      async () => {
        for (const n of names) {
          const want = inspectCertificate(
            (await secretPair(memberTlsSecretName(n))).certPem,
          ).fingerprint256;
          if (want === original[n]) return undefined;
          if ((await served(ips[n], 2379)) !== want) return undefined;
          if ((await served(ips[n], 2380)) !== want) return undefined;
        }
        return true;
      },
      180_000,
      500,
    );
    const rotatedEvents = await eventually(
      'three CertificateRotated events',
      async () => {
        const e = (await clusterEvents(real.kube, NS, NAME)).filter(
          (x) => x.reason === 'CertificateRotated',
        );
        return e.length >= 3 ? e : undefined;
      },
      30_000,
    );
    await sleep(1000);
    sampling = false;
    await sampler;
    await writer.stop();
    expect(maxInFlight).toBeLessThanOrEqual(1);

    expect(writer.errors).toEqual([]);
    expect(writer.acked.length).toBeGreaterThan(20);
    const rotated = rotatedEvents.map((e) => /certificate of (\S+)/.exec(e.note)?.[1]);
    expect(new Set(rotated)).toEqual(new Set(names));
    expect(rotated).toHaveLength(3);
    // The leader's certificate came last (when no election moved leadership meanwhile: no
    // member restarts, but a loaded machine can still trigger one).
    const leaderAfter = (await real.kube.get(ETCD_CLUSTER, NAME, NS)) as unknown as EtcdCluster;
    const leaderOf = (c: EtcdCluster) => c.status?.members?.find((m) => m.isLeader)?.name;
    if (leaderOf(leaderAfter) === leaderOf(leaderBefore)) {
      expect(rotated[2]).toBe(leaderOf(leaderBefore));
    }

    // Every acknowledged write is there, and no member was restarted for the new certificate.
    const check = etcd3(Object.values(ips), user);
    try {
      const keys = new Set(await check.getAll().prefix('/tls/rotation/').keys());
      expect(writer.acked.filter((k) => !keys.has(k))).toEqual([]);
    } finally {
      check.close();
    }
    const podsAfter = await memberPods(real.kube, NS, NAME);
    expect(podsAfter.map((p) => p.metadata.uid)).toEqual(podsBefore.map((p) => p.metadata.uid));
    for (const p of podsAfter) {
      expect(p.status?.containerStatuses?.[0]?.restartCount ?? 0).toBe(0);
    }
    const c = (await real.kube.get(ETCD_CLUSTER, NAME, NS)) as unknown as EtcdCluster;
    expect(c.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
  }, 300_000);
});

describe('peer-only TLS', () => {
  it('rotates too, checking the certificate served on the peer port', async () => {
    const c = await waitClusterReady(real.kube, NS, 'peeronly', 1, 180_000);
    expect(c.status?.members?.[0]?.peerURL).toMatch(/^https:/);
    expect(c.status?.members?.[0]?.clientURL).toMatch(/^http:/);
    const ip = (await memberPods(real.kube, NS, 'peeronly'))[0]?.status?.podIP ?? '';
    const caPem = (await secretPair(caSecretName('peeronly'))).certPem;
    const op = await secretPair(operatorClientSecretName('peeronly'));
    const probe = () =>
      servingCertificateFingerprint(`https://${ip}:2380`, {
        ca: caPem,
        cert: op.certPem,
        key: op.keyPem,
        serverName: tlsServerName({ metadata: { name: 'peeronly', namespace: NS } }),
      });
    const before = await probe();
    expect(before).toBe(
      inspectCertificate((await secretPair(memberTlsSecretName('peeronly-0'))).certPem)
        .fingerprint256,
    );
    await real.kube.patch(ETCD_CLUSTER, 'peeronly', NS, 'merge', {
      metadata: { annotations: { [ANNOTATION_ROTATE]: 'e2e-peer' } },
    });
    const after = await eventually(
      'a new certificate on the peer port',
      async () => {
        const now = await probe();
        return now !== undefined && now !== before ? now : undefined;
      },
      90_000,
      500,
    );
    expect(after).toBe(
      inspectCertificate((await secretPair(memberTlsSecretName('peeronly-0'))).certPem)
        .fingerprint256,
    );
  }, 240_000);
});
