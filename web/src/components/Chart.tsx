// ECharts with only the chart types and components the dashboard draws (echarts/core), so
// the chart code stays a small part of the bundle. Each chart gets a text alternative.
import { BarChart, GraphChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([
  BarChart,
  LineChart,
  ScatterChart,
  GraphChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  SVGRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

/** What ECharts passes to a click on a data item (the item's `data` as given in the option). */
export interface ChartClick {
  seriesIndex?: number;
  dataIndex: number;
  data?: unknown;
}

export default function Chart(props: {
  option: ChartOption;
  height?: number;
  label: string;
  /** Called when a data item is clicked (e.g. a scatter point opens its person). */
  onItemClick?: (click: ChartClick) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const onItemClick = useRef(props.onItemClick);
  onItemClick.current = props.onItemClick;
  useEffect(() => {
    if (!ref.current) return;
    const instance = echarts.init(ref.current, undefined, { renderer: 'svg' });
    chart.current = instance;
    instance.on('click', (params) => onItemClick.current?.(params as unknown as ChartClick));
    const resize = () => instance.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      instance.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(
      { animation: false, textStyle: { fontFamily: 'inherit' }, ...props.option },
      true,
    );
  }, [props.option]);
  return (
    <div
      ref={ref}
      className="chart"
      role="img"
      aria-label={props.label}
      style={{ height: props.height ?? 280 }}
    />
  );
}
