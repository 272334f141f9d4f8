// Shared fixtures for the conformance suite: one sandbox per test file, kubectl, raw HTTPS requests.
/* eslint-disable @typescript-eslint/no-explicit-any -- API responses are untyped JSON */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startSandbox } from '../src/sandbox.ts';
import type { Sandbox, SandboxOptions } from '../src/sandbox.ts';

export const KUBECTL = '/usr/bin/kubectl';

export interface Fixture {
  sandbox: Sandbox;
  dir: string;
  kc: k8s.KubeConfig;
  stop(): Promise<void>;
}

export async function startFixture(options: Partial<SandboxOptions> = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'kube-sandbox-test-'));
  const sandbox = await startSandbox({ dataDir: dir, port: 0, persist: false, ...options });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(sandbox.kubeconfigPath);
  return {
    sandbox,
    dir,
    kc,
    stop: async () => {
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl against the fixture; fails clearly when kubectl is missing. */
export function kubectl(f: Fixture, args: string[], input?: string): Promise<KubectlResult> {
  if (!existsSync(KUBECTL))
    throw new Error(`kubectl not found at ${KUBECTL}: the kubectl conformance tests need it`);
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      args,
      {
        env: { ...process.env, KUBECONFIG: f.sandbox.kubeconfigPath, HOME: f.dir },
        timeout: 20_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => any;
}

/** A raw HTTPS request with the admin token (or `token`), trusting the sandbox CA. */
export function raw(
  f: Fixture,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
  token: string | null = f.sandbox.token,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, f.sandbox.server);
    const req = httpsRequest(
      url,
      {
        method,
        ca: f.sandbox.caPem,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined
            ? {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(body)),
              }
            : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: () => JSON.parse(text),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** Reads a streaming response line by line (watch), until `until` returns true or the stream ends. */
export function stream(
  f: Fixture,
  path: string,
  until: (events: any[]) => boolean,
  headers: Record<string, string> = {},
  token: string = f.sandbox.token,
): Promise<{ events: any[]; status: number; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, f.sandbox.server);
    const events: any[] = [];
    let done = false;
    const req = httpsRequest(
      url,
      {
        method: 'GET',
        ca: f.sandbox.caPem,
        headers: { authorization: `Bearer ${token}`, ...headers },
      },
      (res) => {
        let buf = '';
        const finish = (ended: boolean): void => {
          if (done) return;
          done = true;
          req.destroy();
          resolve({ events, status: res.statusCode ?? 0, ended });
        };
        res.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) events.push(JSON.parse(line));
          }
          if (until(events)) finish(false);
        });
        res.on('end', () => finish(true));
        res.on('error', () => finish(true));
      },
    );
    req.on('error', (err) => {
      if (!done) reject(err);
    });
    req.end();
  });
}

export function configMap(
  name: string,
  namespace = 'default',
  data: Record<string, string> = {},
  labels?: Record<string, string>,
): any {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    data,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a truthy value (no timing assertions: only a bound). */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5000,
): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > timeoutMs)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await sleep(20);
  }
}
