// kubectl (v1.32 client) against the sandbox: apply (client-side and --server-side), get with
// columns and -o yaml, describe, patch of every type, label, annotate, scale, wait, explain,
// delete with --cascade, get -w, and the imperative create commands that send protobuf.
/* eslint-disable @typescript-eslint/no-explicit-any -- kubectl prints untyped JSON */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KUBECTL, eventually, kubectl, raw, startFixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f?.stop();
});

const deployment = (replicas: number, image = 'nginx:1.25'): string => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
        env: [{name: MODE, value: prod}]
`;

async function ok(args: string[], input?: string): Promise<string> {
  const res = await kubectl(f, args, input);
  if (res.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
  return res.stdout;
}

describe('kubectl', () => {
  it('applies client-side and re-applies as a patch', async () => {
    expect(await ok(['apply', '-f', '-'], deployment(2))).toContain('deployment.apps/web created');
    expect(await ok(['apply', '-f', '-'], deployment(3))).toContain(
      'deployment.apps/web configured',
    );
    expect(await ok(['apply', '-f', '-'], deployment(3))).toContain(
      'deployment.apps/web unchanged',
    );
    const live = parse(await ok(['get', 'deployment', 'web', '-o', 'yaml']));
    expect(live.spec.replicas).toBe(3);
    expect(live.metadata.generation).toBe(2);
    expect(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain(
      '"replicas":3',
    );
  });

  it('shows columns with get, and describes', async () => {
    const table = await ok(['get', 'deployments']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
    expect(table).toMatch(/^web\s+0\/3\s+0\s+0\s+\d+s$/m);
    const wide = await ok(['get', 'deployments', '-o', 'wide']);
    expect(wide).toContain('nginx:1.25');
    const all = await ok(['get', 'ns', '--show-labels']);
    expect(all).toMatch(/^default\s+Active\s+\S+\s+kubernetes.io\/metadata.name=default$/m);
    const described = await ok(['describe', 'deployment', 'web']);
    expect(described).toMatch(/Replicas:\s+3 desired/);
    expect(described).toMatch(/MODE:\s+prod/);
  });

  it('patches with strategic, merge and json patches', async () => {
    await ok([
      'patch',
      'deployment',
      'web',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.26"}]}}}}',
    ]);
    await ok([
      'patch',
      'deployment',
      'web',
      '--type=merge',
      '-p',
      '{"spec":{"minReadySeconds":5}}',
    ]);
    await ok([
      'patch',
      'deployment',
      'web',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":3},{"op":"replace","path":"/spec/replicas","value":4}]',
    ]);
    const failed = await kubectl(f, [
      'patch',
      'deployment',
      'web',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":99}]',
    ]);
    expect(failed.code).not.toBe(0);
    const live = parse(await ok(['get', 'deployment', 'web', '-o', 'yaml']));
    expect(live.spec.template.spec.containers[0]).toMatchObject({
      image: 'nginx:1.26',
      env: [{ name: 'MODE', value: 'prod' }],
    });
    expect(live.spec.minReadySeconds).toBe(5);
    expect(live.spec.replicas).toBe(4);
  });

  it('labels, annotates and scales', async () => {
    await ok(['label', 'deployment', 'web', 'tier=frontend']);
    await ok(['annotate', 'deployment', 'web', 'owner=team-a']);
    expect(await ok(['scale', 'deployment', 'web', '--replicas=1'])).toContain('scaled');
    const live = parse(await ok(['get', 'deployment', 'web', '-o', 'yaml']));
    expect(live.metadata.labels.tier).toBe('frontend');
    expect(live.metadata.annotations.owner).toBe('team-a');
    expect(live.spec.replicas).toBe(1);
    expect(await ok(['get', 'deploy', '-l', 'tier=frontend', '-o', 'name'])).toBe(
      'deployment.apps/web\n',
    );
    const stale = await kubectl(f, [
      'scale',
      'deployment',
      'web',
      '--replicas=2',
      '--resource-version=1',
    ]);
    expect(stale.code).not.toBe(0);
  });

  it('applies server-side with field ownership and conflicts', async () => {
    const ssa = `apiVersion: v1
kind: ConfigMap
metadata: {name: owned, namespace: default}
data: {key: one}
`;
    expect(await ok(['apply', '--server-side', '-f', '-'], ssa)).toContain('serverside-applied');
    const conflict = await kubectl(
      f,
      ['apply', '--server-side', '--field-manager=other', '-f', '-'],
      ssa.replace('one', 'two'),
    );
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('conflict');
    await ok(
      ['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'],
      ssa.replace('one', 'two'),
    );
    const live = parse(await ok(['get', 'cm', 'owned', '-o', 'yaml', '--show-managed-fields']));
    expect(live.data.key).toBe('two');
    expect(live.metadata.managedFields.map((m: { manager: string }) => m.manager)).toContain(
      'other',
    );
  });

  it('waits for a CRD condition, explains its fields and prints its columns', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: shelves.example.io}
spec:
  group: example.io
  scope: Namespaced
  names: {plural: shelves, singular: shelf, kind: Shelf}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Books, type: integer, jsonPath: .spec.books}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: What the shelf holds.
            properties:
              books: {type: integer, description: How many books.}
`;
    await ok(['apply', '-f', '-'], crd);
    await ok(['wait', '--for=condition=Established', 'crd/shelves.example.io', '--timeout=10s']);
    await ok(
      ['apply', '-f', '-'],
      'apiVersion: example.io/v1\nkind: Shelf\nmetadata: {name: s1, namespace: default}\nspec: {books: 7}\n',
    );
    expect(await ok(['get', 'shelves'])).toMatch(/^s1\s+7$/m);
    const explain = await ok(['explain', 'shelf.spec.books']);
    expect(explain).toContain('How many books.');
    const unknown = await kubectl(
      f,
      ['apply', '-f', '-'],
      'apiVersion: example.io/v1\nkind: Shelf\nmetadata: {name: s2, namespace: default}\nspec: {books: 1, pages: 2}\n',
    );
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown field "spec.pages"');
  });

  it('streams changes with get -w', async () => {
    const child = spawn(KUBECTL, ['get', 'configmaps', '-w', '--output-watch-events'], {
      env: { ...process.env, KUBECONFIG: f.sandbox.kubeconfigPath, HOME: f.dir },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await eventually(() => out.includes('owned'));
      await ok(['create', 'configmap', 'watched', '--from-literal=a=b']);
      await ok(['delete', 'configmap', 'watched']);
      await eventually(() => /ADDED\s+watched/.test(out) && /DELETED\s+watched/.test(out), 10_000);
    } finally {
      child.kill();
    }
  });

  it('deletes with --cascade=orphan, background and foreground', async () => {
    const owner = parse(await ok(['get', 'deployment', 'web', '-o', 'yaml']));
    const dependent = (name: string, uid: string): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: default
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: ${uid}, blockOwnerDeletion: true}]
`;
    await ok(['apply', '-f', '-'], dependent('dep-orphan', owner.metadata.uid));
    await ok(['delete', 'deployment', 'web', '--cascade=orphan']);
    const orphan = parse(await ok(['get', 'cm', 'dep-orphan', '-o', 'yaml']));
    expect(orphan.metadata.ownerReferences).toBeUndefined();

    for (const cascade of ['background', 'foreground']) {
      await ok(['apply', '-f', '-'], deployment(1));
      const uid = (await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.uid}'])).trim();
      await ok(['apply', '-f', '-'], dependent(`dep-${cascade}`, uid));
      await ok(['delete', 'deployment', 'web', `--cascade=${cascade}`, '--wait=true']);
      await eventually(
        async () =>
          (await raw(f, 'GET', `/api/v1/namespaces/default/configmaps/dep-${cascade}`)).status ===
          404,
      );
    }
  });

  it('runs imperative create commands (protobuf bodies) and explains the ones it cannot decode', async () => {
    await ok(['create', 'namespace', 'imperative']);
    await ok(['create', 'configmap', 'c', '-n', 'imperative', '--from-literal=k=v']);
    await ok(['create', 'secret', 'generic', 's', '-n', 'imperative', '--from-literal=p=q']);
    await ok(['create', 'serviceaccount', 'bot', '-n', 'imperative']);
    const token = await ok(['create', 'token', 'bot', '-n', 'imperative']);
    expect(token.trim().split('.')).toHaveLength(3);
    expect(parse(await ok(['get', 'secret', 's', '-n', 'imperative', '-o', 'yaml'])).data.p).toBe(
      Buffer.from('q').toString('base64'),
    );
    // What the server stores equals what kubectl renders client-side for the same command.
    const commands = [
      [
        'run',
        'runner',
        '--image=busybox',
        '--restart=Never',
        '--env=A=1',
        '--port=80',
        '--labels=x=y',
        '--command',
        '--',
        'sleep',
        '10',
      ],
      ['create', 'deployment', 'made', '--image=nginx', '--replicas=0', '--port=8080'],
      ['create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi'],
      ['create', 'cronjob', 'often', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date'],
    ];
    for (const command of commands) {
      const dash = command.indexOf('--');
      const withFlags = (flags: string[]): string[] =>
        dash < 0
          ? [...command, ...flags]
          : [...command.slice(0, dash), ...flags, ...command.slice(dash)];
      const rendered = JSON.parse(
        await ok(withFlags(['-n', 'imperative', '--dry-run=client', '-o', 'json'])),
      );
      const stored = JSON.parse(await ok(withFlags(['-n', 'imperative', '-o', 'json'])));
      const strip = (o: any): any => ({
        ...o,
        metadata: { ...o.metadata, creationTimestamp: undefined },
        status: undefined,
      });
      expect(stored).toMatchObject(JSON.parse(JSON.stringify(strip(rendered))));
    }
    const unsupported = await kubectl(f, [
      'create',
      'role',
      'r',
      '--verb=get',
      '--resource=pods',
      '-n',
      'imperative',
    ]);
    expect(unsupported.code).not.toBe(0);
    expect(unsupported.stderr).toContain('kube-sandbox decodes protobuf bodies only for');
  });
});
