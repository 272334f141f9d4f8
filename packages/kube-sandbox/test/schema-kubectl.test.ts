// kubectl against the sandbox for what the schema engine provides: client-side apply of a CRD and
// of custom and built-in objects (server-side field validation detected through OpenAPI v3),
// schema errors surfaced by kubectl, pruning warnings and `kubectl explain` on CRD fields.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../src/sandbox.ts';
import type { Sandbox } from '../src/sandbox.ts';

const KUBECTL = '/usr/bin/kubectl';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let sandbox: Sandbox;
let dir: string;

function kubectl(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      ['--kubeconfig', sandbox.kubeconfigPath, ...args],
      { timeout: 60_000, env: { ...process.env, HOME: dir } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

function manifest(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.schema.opsmith.io
spec:
  group: schema.opsmith.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema:
        openAPIV3Schema:
          type: object
          description: A Widget is a thing made for tests.
          properties:
            spec:
              type: object
              description: Desired state of the widget.
              required: [size]
              properties:
                size:
                  type: integer
                  minimum: 1
                  maximum: 9
                  description: How many parts the widget has.
                mode:
                  type: string
                  enum: [fast, slow]
                  default: fast
                  description: How fast the widget spins.
              x-kubernetes-validations:
                - rule: self.size % 2 == 1
                  message: size must be odd
`;

beforeAll(async () => {
  if (!existsSync(KUBECTL)) throw new Error(`kubectl is required at ${KUBECTL}`);
  dir = mkdtempSync(join(tmpdir(), 'schema-kubectl-'));
  sandbox = await startSandbox({
    dataDir: join(dir, 'data'),
    port: 0,
    persist: false,
    node: false,
  });
  const applied = await kubectl(['apply', '-f', manifest('crd.yaml', CRD)]);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  const wait = await kubectl([
    'wait',
    '--for=condition=Established',
    'crd/widgets.schema.opsmith.io',
    '--timeout=30s',
  ]);
  expect(wait.code).toBe(0);
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kubectl with the schema engine', () => {
  it('applies a custom object client-side, with defaults, and re-applies a change', async () => {
    const path = manifest(
      'w.yaml',
      'apiVersion: schema.opsmith.io/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\nspec: {size: 3}\n',
    );
    const first = await kubectl(['apply', '-f', path]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('widget.schema.opsmith.io/w1 created');
    const got = await kubectl(['get', 'widget', 'w1', '-o', 'jsonpath={.spec.mode}']);
    expect(got.stdout).toBe('fast');
    writeFileSync(
      path,
      'apiVersion: schema.opsmith.io/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\nspec: {size: 5}\n',
    );
    const second = await kubectl(['apply', '-f', path]);
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('widget.schema.opsmith.io/w1 configured');
  }, 60_000);

  it('shows schema and CEL errors from the server', async () => {
    const tooBig = await kubectl(
      ['apply', '-f', '-'],
      'apiVersion: schema.opsmith.io/v1\nkind: Widget\nmetadata: {name: w2, namespace: default}\nspec: {size: 10, mode: medium}\n',
    );
    expect(tooBig.code).not.toBe(0);
    expect(tooBig.stderr).toContain(
      'spec.size: Invalid value: 10: spec.size in body should be less than or equal to 9',
    );
    expect(tooBig.stderr).toContain(
      'spec.mode: Unsupported value: "medium": supported values: "fast", "slow"',
    );
    const even = await kubectl(
      ['apply', '-f', '-'],
      'apiVersion: schema.opsmith.io/v1\nkind: Widget\nmetadata: {name: w3, namespace: default}\nspec: {size: 4}\n',
    );
    expect(even.code).not.toBe(0);
    expect(even.stderr).toContain('spec: Invalid value: "object": size must be odd');
  }, 60_000);

  it('rejects unknown fields with server-side strict field validation', async () => {
    const run = await kubectl(
      ['apply', '-f', '-'],
      'apiVersion: schema.opsmith.io/v1\nkind: Widget\nmetadata: {name: w4, namespace: default}\nspec: {size: 1, colour: red}\n',
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('unknown field "spec.colour"');
  }, 60_000);

  it('explains CRD fields from the OpenAPI v3 document', async () => {
    const run = await kubectl(['explain', 'widgets.spec']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('KIND:       Widget');
    expect(run.stdout).toContain('Desired state of the widget.');
    expect(run.stdout).toMatch(/size\s+<integer> -required-/);
    expect(run.stdout).toContain('How many parts the widget has.');
    expect(run.stdout).toContain('enum: fast, slow');
  }, 60_000);

  it('applies and re-applies built-in kinds client-side without OpenAPI warnings', async () => {
    const cm = (value: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1, namespace: default}\ndata: {key: ${value}}\n`;
    const first = await kubectl(['apply', '-f', '-'], cm('a'));
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const second = await kubectl(['apply', '-f', '-'], cm('b'));
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('configmap/cm1 configured');
    const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ${image}
          env: [{name: A, value: "1"}]
          ports: [{containerPort: 80}]
`;
    const created = await kubectl(['apply', '-f', '-'], deployment('web:1'));
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const changed = await kubectl(['apply', '-f', '-'], deployment('web:2'));
    expect(changed.stderr).toBe('');
    expect(changed.stdout).toContain('deployment.apps/web configured');
    const image = await kubectl([
      'get',
      'deployment',
      'web',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ]);
    expect(image.stdout).toBe('web:2');
  }, 60_000);
});
