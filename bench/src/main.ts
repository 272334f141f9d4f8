// `npm run bench [-- name...] [--quick]`: runs the benchmarks and prints a Markdown table of
// results next to their same-run baselines, ready for docs/benchmarks.md.
import { cpus } from 'node:os';
import type { Benchmark, BenchRow } from './harness.ts';
import { round } from './harness.ts';

const registry: Record<string, () => Promise<Benchmark>> = {
  'sandbox-api': async () => (await import('./sandbox-api.ts')).benchmark,
  'sandbox-pods': async () => (await import('./sandbox-pods.ts')).benchmark,
  runtime: async () => (await import('./runtime.ts')).benchmark,
  backup: async () => (await import('./backup.ts')).benchmark,
  etcd: async () => (await import('./etcd.ts')).benchmark,
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));
const names = wanted.length ? wanted : Object.keys(registry);
for (const n of names) {
  if (!registry[n]) {
    console.error(`unknown benchmark ${n}; known: ${Object.keys(registry).join(', ')}`);
    process.exit(2);
  }
}

const rows: BenchRow[] = [];
for (const n of names) {
  const b = await registry[n]();
  console.error(`running ${b.name}: ${b.description}`);
  rows.push(...(await b.run({ quick })));
}

console.log(
  `\nNode ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), ${new Date().toISOString()}\n`,
);
console.log('| benchmark | metric | value | baseline (same run) | ratio | goal |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const base =
    r.baseline !== undefined
      ? `${round(r.baseline)} ${r.unit} (${r.baselineName ?? 'baseline'})`
      : '';
  const ratio = r.ratio !== undefined ? String(round(r.ratio)) : '';
  console.log(
    `| ${r.benchmark} | ${r.metric} | ${round(r.value)} ${r.unit} | ${base} | ${ratio} | ${r.goal ?? ''} |`,
  );
}
