export { buildChartRenderer, renderChart, lintChart, type RenderOptions } from './render.ts';
