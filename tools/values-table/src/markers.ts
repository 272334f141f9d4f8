// Keeps generated values tables in Markdown files current: the text between
// `<!-- values-table:start chart=charts/x -->` and `<!-- values-table:end -->` is the table of
// that chart (path relative to a root directory, the repository root by convention).
const BLOCK =
  /(<!--\s*values-table:start\s+chart=(\S+?)\s*-->)\r?\n([\s\S]*?)(<!--\s*values-table:end\s*-->)/g;

export interface TableBlock {
  chart: string;
  current: string;
  expected: string;
}

/** Finds every marked block and what it should contain (pure: the table comes from `tableFor`). */
export function tableBlocks(markdown: string, tableFor: (chart: string) => string): TableBlock[] {
  return [...markdown.matchAll(BLOCK)].map((m) => ({
    chart: m[2],
    current: m[3],
    expected: tableFor(m[2]),
  }));
}

/** The Markdown with every marked block replaced by its current table. */
export function updateMarkdown(markdown: string, tableFor: (chart: string) => string): string {
  return markdown.replace(
    BLOCK,
    (_all, start: string, chart: string, _body: string, end: string) =>
      `${start}\n${tableFor(chart)}${end}`,
  );
}

/** Charts whose block differs from the generated table. */
export function staleCharts(markdown: string, tableFor: (chart: string) => string): string[] {
  return tableBlocks(markdown, tableFor)
    .filter((b) => b.current !== b.expected)
    .map((b) => b.chart);
}
