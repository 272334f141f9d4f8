// The shared pieces of every benchmark: timing, percentiles, and the result rows main.ts prints.

export interface BenchRow {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  /** The same metric for the baseline measured in the same run. */
  baseline?: number;
  baselineName?: string;
  /** value / baseline, oriented so the reader knows which way is better. */
  ratio?: number;
  goal?: string;
}

export interface Benchmark {
  name: string;
  description: string;
  run(opts: { quick: boolean }): Promise<BenchRow[]>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(samples: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(s, 50),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? NaN,
    n: s.length,
  };
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export const nowMs = (): number => performance.now();

/** Runs `task` with `concurrency` workers until `total` calls are done; returns ops/second. */
export async function throughput(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await task(i);
      }
    }),
  );
  return (total / (nowMs() - start)) * 1000;
}
