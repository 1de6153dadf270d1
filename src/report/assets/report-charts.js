// Draws the run report's charts with uPlot (inlined before this script) from the chart specs
// embedded in the page as JSON. Each chart element then carries what it drew
// (data-rendered-series, data-rendered-points), which the report's browser tests assert.
(() => {
  const specs = JSON.parse(document.getElementById('report-charts').textContent);
  const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  const money = (currency) =>
    new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
  const charts = [];
  for (const spec of specs) {
    const el = document.querySelector(`[data-chart="${spec.id}"]`);
    if (!el) throw new Error(`no element for chart ${spec.id}`);
    const fmt = money(spec.currency);
    const bars = uPlot.paths.bars({ size: [0.6, 24] });
    const steps = spec.x.slice(1).map((t, i) => t - spec.x[i]);
    const pad = steps.length > 0 ? Math.min(...steps) / 2 : 43200;
    const opts = {
      width: Math.max(320, el.clientWidth),
      height: 240,
      cursor: { drag: { x: false, y: false } },
      scales: {
        // half a step either side, so that the bars at either end show whole
        x: { time: true, auto: false, range: () => [spec.x[0] - pad, spec.x[spec.x.length - 1] + pad] },
        // amounts from zero: bars measured from a baseline above zero would mislead
        y: { range: (_u, min, max) => [Math.min(0, min * 1.05), max > 0 ? max * 1.05 : 1] },
      },
      axes: [
        { stroke: '#64748b', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#e2e8f0' } },
        {
          stroke: '#64748b',
          size: 60,
          grid: { stroke: '#eef2f7' },
          ticks: { stroke: '#e2e8f0' },
          values: (_u, vals) => vals.map((v) => compact.format(v)),
        },
      ],
      series: [
        { value: (_u, v) => (v == null ? '' : new Date(v * 1000).toISOString().slice(0, 10)) },
        ...spec.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.kind === 'bars' ? 1 : s.dash ? 1.5 : 2,
          dash: s.dash ? [5, 3] : undefined,
          fill: s.kind === 'bars' ? `${s.color}55` : undefined,
          points: { show: s.kind !== 'bars' && spec.x.length <= 45, size: 4 },
          paths: s.kind === 'bars' ? bars : undefined,
          value: (_u, v) => (v == null ? '–' : fmt.format(v)),
        })),
      ],
    };
    const u = new uPlot(opts, [spec.x, ...spec.series.map((s) => s.values)], el);
    el.dataset.renderedSeries = String(u.series.length - 1);
    el.dataset.renderedPoints = String(
      Math.min(...u.data.slice(1).map((d) => d.filter((v) => v != null).length)),
    );
    charts.push([u, el]);
  }
  window.addEventListener('resize', () => {
    for (const [u, el] of charts) u.setSize({ width: Math.max(320, el.clientWidth), height: 240 });
  });
  document.body.dataset.chartsRendered = String(charts.length);
})();
