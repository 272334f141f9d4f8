// A forced full GC for heap measurements: global.gc when node runs with --expose-gc, else the flag
// is switched on at run time and gc() taken from a fresh context (works in Node without restarts).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

function findGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  if (typeof gc !== 'function')
    throw new Error('no gc(): run node with --expose-gc for the memory benchmark');
  return gc;
}

const gc = findGc();

/** Heap used after full collections (several, with turns of the event loop between them). */
export async function settledHeapUsed(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}
