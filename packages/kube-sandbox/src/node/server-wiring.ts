// Connects a running node to the API server: pod logs, `kubectl exec`, and the admin-only chaos
// endpoints POST /sandbox/chaos/<action>.
import { constants } from 'node:os';
import type {
  PodExecProvider,
  SandboxComponentContext,
  PodLogProvider as ServerPodLogProvider,
} from '../core/contracts.ts';
import { errors } from '../core/errors.ts';

export const CHAOS_ACTIONS = [
  'kill',
  'delete',
  'freeze',
  'thaw',
  'cut-network',
  'heal-network',
  'wipe-pvc',
] as const;
export type ChaosAction = (typeof CHAOS_ACTIONS)[number];

/** A validated chaos request body. */
export interface ChaosRequest {
  namespace: string;
  pod: string;
  container?: string;
  signal?: NodeJS.Signals;
  claim?: string;
  gracePeriodSeconds?: number;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * Checks a chaos body (pure): which fields each action needs and their types. Throws a StatusError
 * 400 naming the field, so a caller learns what to send instead of getting a 404 for pod "".
 */
export function parseChaosRequest(action: ChaosAction, body: unknown): ChaosRequest {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw errors.badRequest(
      `chaos ${action}: the body must be a JSON object such as {"namespace":"default","${action === 'wipe-pvc' ? 'claim' : 'pod'}":"name"}`,
    );
  }
  const b = body as Record<string, unknown>;
  const known = new Set(['namespace', 'pod', 'container', 'signal', 'claim', 'gracePeriodSeconds']);
  const unknown = Object.keys(b).filter((k) => !known.has(k));
  if (unknown.length)
    throw errors.badRequest(`chaos ${action}: unknown field(s) ${unknown.join(', ')}`);
  const str = (field: string): string | undefined => {
    const v = b[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !NAME.test(v))
      throw errors.badRequest(`chaos ${action}: ${field} must be a Kubernetes name`);
    return v;
  };
  const req: ChaosRequest = { namespace: str('namespace') ?? 'default', pod: '' };
  if (action === 'wipe-pvc') {
    const claim = str('claim');
    if (!claim) throw errors.badRequest('chaos wipe-pvc: claim (the PVC name) is required');
    return { ...req, claim };
  }
  const pod = str('pod');
  if (!pod) throw errors.badRequest(`chaos ${action}: pod is required`);
  req.pod = pod;
  if (action === 'kill') {
    const container = str('container');
    if (container) req.container = container;
    if (b.signal !== undefined) {
      const raw = String(b.signal).toUpperCase();
      const signal = (raw.startsWith('SIG') ? raw : `SIG${raw}`) as NodeJS.Signals;
      if (typeof b.signal !== 'string' || !(signal in constants.signals))
        throw errors.badRequest(`chaos kill: signal ${JSON.stringify(b.signal)} is not a signal`);
      req.signal = signal;
    }
  }
  if (action === 'delete' && b.gracePeriodSeconds !== undefined) {
    const g = b.gracePeriodSeconds;
    if (typeof g !== 'number' || !Number.isInteger(g) || g < 0)
      throw errors.badRequest('chaos delete: gracePeriodSeconds must be a non-negative integer');
    req.gracePeriodSeconds = g;
  }
  return req;
}

/** The part of a NodeHandle the server needs (kept narrow so tests can pass fakes). */
export interface WirableNode {
  exec(
    namespace: string,
    pod: string,
    command: string[],
    opts?: { container?: string; input?: string | Buffer; timeoutMs?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** `kubectl exec` runs until the command ends; an hour bounds a forgotten `sleep infinity`. */
const EXEC_TIMEOUT_MS = 3_600_000;

export function execProvider(node: WirableNode): PodExecProvider {
  return (req) =>
    node.exec(req.namespace, req.pod.metadata?.name ?? '', req.command, {
      container: req.container,
      timeoutMs: EXEC_TIMEOUT_MS,
      ...(req.input !== undefined ? { input: req.input } : {}),
    });
}

/** Registers the node's log and exec providers and the chaos routes with the server. */
export function wireNodeIntoServer(
  ctx: Pick<
    SandboxComponentContext,
    'registerPodLogProvider' | 'registerPodExecProvider' | 'registerAdminRoute'
  >,
  node: WirableNode,
  logs: ServerPodLogProvider,
  runChaos: (action: ChaosAction, req: ChaosRequest) => Promise<void>,
): void {
  ctx.registerPodLogProvider(logs);
  ctx.registerPodExecProvider(execProvider(node));
  for (const action of CHAOS_ACTIONS) {
    ctx.registerAdminRoute('POST', `chaos/${action}`, async (body) => {
      const req = parseChaosRequest(action, body);
      await runChaos(action, req);
      return { action, ...req };
    });
  }
}
