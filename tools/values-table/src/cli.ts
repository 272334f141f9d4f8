// values-table CLI:
//   values-table <chartDir>                       print the chart's values table
//   values-table --check <file.md>... [--root D]  exit 1 when a marked table is stale
//   values-table --write <file.md>... [--root D]  regenerate the marked tables in place
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { staleCharts, tableBlocks, updateMarkdown } from './markers.ts';
import { valuesTableForChart } from './table.ts';

const USAGE =
  'usage: values-table <chartDir> | values-table (--check|--write) <file.md>... [--root DIR]';

/** Where the CLI writes (process.stdout / process.stderr, or a test sink). */
export interface Output {
  write(text: string): unknown;
}

export function main(
  argv: string[],
  out: Output = process.stdout,
  err: Output = process.stderr,
): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      check: { type: 'boolean' },
      write: { type: 'boolean' },
      root: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const root = resolve(values.root ?? process.cwd());
  const tableFor = (chart: string) => valuesTableForChart(resolve(root, chart));
  if (positionals.length === 0 || (values.check && values.write)) {
    err.write(`${USAGE}\n`);
    return 2;
  }
  if (!values.check && !values.write) {
    for (const chart of positionals) out.write(valuesTableForChart(resolve(chart)));
    return 0;
  }
  let code = 0;
  for (const file of positionals) {
    const markdown = readFileSync(file, 'utf8');
    if (tableBlocks(markdown, () => '').length === 0) {
      err.write(`${file}: no <!-- values-table:start chart=... --> block\n`);
      code = 1;
      continue;
    }
    if (values.write) {
      const updated = updateMarkdown(markdown, tableFor);
      if (updated !== markdown) writeFileSync(file, updated);
      out.write(`${file}: ${updated === markdown ? 'up to date' : 'updated'}\n`);
      continue;
    }
    const stale = staleCharts(markdown, tableFor);
    if (stale.length > 0) {
      err.write(
        `${file}: the values table of ${stale.join(', ')} is stale; run values-table --write ${file}\n`,
      );
      code = 1;
    }
  }
  return code;
}

if (import.meta.main) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`values-table: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
