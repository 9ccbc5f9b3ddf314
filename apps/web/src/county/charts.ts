/**
 * ECharts, only the parts the trend chart draws (lines, bars, grid, tooltip, legend, canvas): a chunk of its own,
 * loaded by the trend chart when there is a trend to draw, never by the other pages.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export { echarts };
