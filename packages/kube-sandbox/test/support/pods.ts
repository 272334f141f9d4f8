// Test support shared by the node suite (test/node) and the acceptance suite (test/acceptance):
// a bounded poll, a bare pod builder and a log reader. Nothing here asserts on timing.
import type { KubeObject } from '../../src/core/types.ts';
import type { NodeHandle } from '../../src/node/index.ts';

/** Polls until fn returns a truthy value; fails naming `what` and the last value seen. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 30_000,
  intervalMs = 150,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const shown = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(
        `timed out after ${String(timeoutMs)} ms waiting for ${what}; last: ${shown}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A bare pod with a short grace period and no token mount unless the spec says otherwise. */
export function pod(
  name: string,
  spec: Record<string, unknown>,
  labels: Record<string, string> = {},
  ns = 'default',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { automountServiceAccountToken: false, terminationGracePeriodSeconds: 2, ...spec },
  };
}

/** The whole log of a pod's container (the current instance, or the previous with `previous`). */
export async function readLogs(
  node: NodeHandle,
  ns: string,
  name: string,
  opts: { container?: string; previous?: boolean } = {},
): Promise<string> {
  const stream = await node.podLogs(ns, name, opts);
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}
