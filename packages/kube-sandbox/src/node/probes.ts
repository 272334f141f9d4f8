// Probe and lifecycle-hook actions (exec inside the container's namespaces, httpGet, tcpSocket,
// sleep) and the prober that applies a probe's timing fields and thresholds.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { run, type RunResult } from './exec.ts';
import type { Obj } from './env.ts';

export interface ActionTarget {
  podIP: string;
  /** pid of the container's main process (its namespaces and root). */
  pid: number;
  uid?: number;
  gid?: number;
  env: Map<string, string>;
  container: Obj;
}

export interface ActionResult {
  ok: boolean;
  message: string;
}

/** Resolves a port number or a container port name. */
export function resolvePort(port: unknown, container: Obj): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const ports = (container.ports ?? []) as Array<{ name?: string; containerPort?: number }>;
  return ports.find((p) => p.name === port)?.containerPort;
}

/** Runs a command inside a container (its namespaces, root, working dir, user and env). */
export function execInContainer(
  t: ActionTarget,
  command: string[],
  timeoutMs: number,
  input?: string | Buffer,
): Promise<RunResult> {
  const args = ['-t', String(t.pid), '-m', '-n', '-u', '-r', '-w'];
  if (t.uid !== undefined) args.push('-S', String(t.uid));
  if (t.gid !== undefined) args.push('-G', String(t.gid));
  args.push('--', ...command);
  return run('/usr/bin/nsenter', args, {
    env: Object.fromEntries(t.env),
    timeoutMs,
    ...(input !== undefined ? { input } : {}),
  });
}

export async function runExec(
  command: string[],
  t: ActionTarget,
  timeoutMs: number,
): Promise<ActionResult> {
  const r = await execInContainer(t, command, timeoutMs);
  const out = (r.stdout + r.stderr).trim().slice(0, 1024);
  return {
    ok: r.code === 0,
    message:
      r.code === 0
        ? out
        : `command ${JSON.stringify(command)} exited with ${String(r.code)}: ${out}`,
  };
}

export function runHttpGet(h: Obj, t: ActionTarget, timeoutMs: number): Promise<ActionResult> {
  const port = resolvePort(h.port, t.container);
  if (port === undefined)
    return Promise.resolve({ ok: false, message: `unknown port ${String(h.port)}` });
  const host = (h.host as string | undefined) || t.podIP;
  const https = String(h.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
  for (const hd of (h.httpHeaders ?? []) as Array<{ name: string; value: string }>)
    headers[hd.name] = hd.value;
  const path = String(h.path ?? '/');
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)(
      {
        host,
        port,
        path: path.startsWith('/') ? path : `/${path}`,
        method: 'GET',
        headers,
        timeout: timeoutMs,
        rejectUnauthorized: false,
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        const ok = code >= 200 && code < 400;
        resolve({ ok, message: ok ? '' : `HTTP probe failed with statuscode: ${String(code)}` });
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({
        ok: false,
        message: `Get "${https ? 'https' : 'http'}://${host}:${String(port)}${path}": context deadline exceeded`,
      });
    });
    req.on('error', (err) =>
      resolve({
        ok: false,
        message: `Get "http://${host}:${String(port)}${path}": ${err.message}`,
      }),
    );
    req.end();
  });
}

export function runTcp(s: Obj, t: ActionTarget, timeoutMs: number): Promise<ActionResult> {
  const port = resolvePort(s.port, t.container);
  if (port === undefined)
    return Promise.resolve({ ok: false, message: `unknown port ${String(s.port)}` });
  const host = (s.host as string | undefined) || t.podIP;
  return new Promise((resolve) => {
    const sock = connect({ host, port, timeout: timeoutMs });
    sock.on('connect', () => {
      sock.destroy();
      resolve({ ok: true, message: '' });
    });
    sock.on('timeout', () => {
      sock.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${String(port)}: i/o timeout` });
    });
    sock.on('error', (err) =>
      resolve({ ok: false, message: `dial tcp ${host}:${String(port)}: ${err.message}` }),
    );
  });
}

/** One probe or hook action. */
export async function runAction(
  action: Obj,
  t: ActionTarget,
  timeoutMs: number,
): Promise<ActionResult> {
  if (action.exec) return runExec(((action.exec as Obj).command ?? []) as string[], t, timeoutMs);
  if (action.httpGet) return runHttpGet(action.httpGet as Obj, t, timeoutMs);
  if (action.tcpSocket) return runTcp(action.tcpSocket as Obj, t, timeoutMs);
  if (action.sleep) {
    const s = Number((action.sleep as Obj).seconds ?? 0);
    await new Promise((r) => setTimeout(r, Math.min(s * 1000, timeoutMs)));
    return { ok: true, message: '' };
  }
  if (action.grpc) {
    return runTcp({ port: (action.grpc as Obj).port }, t, timeoutMs);
  }
  return { ok: false, message: 'probe has no handler' };
}

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export function probeTiming(p: Obj): ProbeTiming {
  const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);
  return {
    initialDelayMs: num(p.initialDelaySeconds, 0) * 1000,
    periodMs: Math.max(1, num(p.periodSeconds, 10)) * 1000,
    timeoutMs: Math.max(1, num(p.timeoutSeconds, 1)) * 1000,
    successThreshold: Math.max(1, num(p.successThreshold, 1)),
    failureThreshold: Math.max(1, num(p.failureThreshold, 3)),
  };
}

/** Counts consecutive results against thresholds; pure. Returns the new verdict when it flips. */
export class ProbeCounter {
  readonly #t: ProbeTiming;
  #successes = 0;
  #failures = 0;
  verdict: boolean | undefined;
  constructor(t: ProbeTiming, initial: boolean | undefined) {
    this.#t = t;
    this.verdict = initial;
  }
  record(ok: boolean): boolean | undefined {
    if (ok) {
      this.#failures = 0;
      this.#successes++;
      if (this.verdict !== true && this.#successes >= this.#t.successThreshold) {
        this.verdict = true;
        return true;
      }
    } else {
      this.#successes = 0;
      this.#failures++;
      if (this.verdict !== false && this.#failures >= this.#t.failureThreshold) {
        this.verdict = false;
        return false;
      }
    }
    return undefined;
  }
}

/** Runs a probe on its schedule until stopped; calls onChange when the verdict flips. */
export class Prober {
  readonly #probe: Obj;
  readonly #target: () => ActionTarget | undefined;
  readonly #onChange: (ok: boolean, message: string) => void;
  readonly #timing: ProbeTiming;
  readonly #counter: ProbeCounter;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    probe: Obj,
    initial: boolean | undefined,
    target: () => ActionTarget | undefined,
    onChange: (ok: boolean, message: string) => void,
  ) {
    this.#probe = probe;
    this.#target = target;
    this.#onChange = onChange;
    this.#timing = probeTiming(probe);
    this.#counter = new ProbeCounter(this.#timing, initial);
  }

  start(): void {
    this.#timer = setTimeout(() => void this.#tick(), this.#timing.initialDelayMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const target = this.#target();
    if (target) {
      const r = await runAction(this.#probe, target, this.#timing.timeoutMs);
      if (this.#stopped) return;
      const flipped = this.#counter.record(r.ok);
      if (flipped !== undefined) this.#onChange(flipped, r.message);
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#tick(), this.#timing.periodMs);
  }
}
