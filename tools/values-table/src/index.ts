export {
  valuesRows,
  valuesComments,
  renderTable,
  valuesTableForChart,
  type JsonSchema,
  type ValueRow,
} from './table.ts';
export { tableBlocks, updateMarkdown, staleCharts, type TableBlock } from './markers.ts';
export { main } from './cli.ts';
