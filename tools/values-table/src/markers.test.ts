import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './cli.ts';
import { staleCharts, updateMarkdown } from './markers.ts';
import { valuesTableForChart } from './table.ts';

const doc = (body: string, chart = 'charts/x') =>
  `# Install\n\n<!-- values-table:start chart=${chart} -->\n${body}<!-- values-table:end -->\n\nAfter.\n`;

describe('markers', () => {
  const tableFor = (chart: string) => `table of ${chart}\n`;
  it('replaces only the marked block and reports stale charts', () => {
    const stale = doc('old\n');
    expect(staleCharts(stale, tableFor)).toEqual(['charts/x']);
    const fresh = updateMarkdown(stale, tableFor);
    expect(fresh).toBe(doc('table of charts/x\n'));
    expect(staleCharts(fresh, tableFor)).toEqual([]);
    expect(updateMarkdown(fresh, tableFor)).toBe(fresh);
  });
});

describe('cli', () => {
  const dir = mkdtempSync(join(tmpdir(), 'values-table-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(import.meta.dirname, '..');
  const chartRel = 'test/fixtures/chart';
  const sink = () => {
    let text = '';
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    return { stream, text: () => text };
  };

  it('--check fails on a stale table naming the chart, --write fixes it, then --check passes', () => {
    const file = join(dir, 'install.md');
    writeFileSync(file, doc('| stale |\n', chartRel));
    const err = sink();
    expect(main(['--check', file, '--root', root], sink().stream, err.stream)).toBe(1);
    expect(err.text()).toContain(
      `the values table of ${chartRel} is stale; run values-table --write`,
    );

    expect(main(['--write', file, '--root', root], sink().stream, sink().stream)).toBe(0);
    const written = readFileSync(file, 'utf8');
    expect(written).toBe(doc(valuesTableForChart(join(root, chartRel)), chartRel));
    expect(main(['--check', file, '--root', root], sink().stream, sink().stream)).toBe(0);
  });

  it('fails when a file has no marked block, and prints a chart’s table without flags', () => {
    const file = join(dir, 'plain.md');
    writeFileSync(file, '# nothing\n');
    const err = sink();
    expect(main(['--check', file], sink().stream, err.stream)).toBe(1);
    expect(err.text()).toContain('no <!-- values-table:start chart=... --> block');
    const out = sink();
    expect(main([join(root, chartRel)], out.stream, sink().stream)).toBe(0);
    expect(out.text()).toBe(valuesTableForChart(join(root, chartRel)));
  });
});
