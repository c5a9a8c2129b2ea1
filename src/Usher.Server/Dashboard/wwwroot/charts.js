// Live line charts (uPlot, vendored) of the series that GET /admin/dashboard/metrics computes.
import { h, colorOf } from './dom.js';

const uPlot = window.uPlot;

// One chart of one quantity per variant. The set of lines is fixed in a uPlot instance, so a new
// variant rebuilds the chart. data-points and data-max on the element tell tests what it plots.
export class LiveChart {
  constructor(title, { unit = '', lines = v => [{ label: v.variant, value: p => p.rps }] } = {}) {
    this.unit = unit;
    this.lines = lines;
    this.plot = null;
    this.key = '';
    this.body = h('div', { class: 'plot' });
    this.el = h('div', { class: 'chart card', 'data-chart': title, 'data-points': 0, 'data-max': 0 },
      h('div', { class: 'title' }, title), this.body);
  }

  update(versions) {
    const lines = versions.flatMap(v => this.lines(v).map(line => ({ ...line, points: v.points, color: line.color ?? colorOf(v.variant) })));
    const times = [...new Set(lines.flatMap(l => l.points.map(p => p.t)))].sort((a, b) => a - b);
    const data = [times.map(t => t / 1000)];
    let max = 0;
    for (const line of lines) {
      const byTime = new Map(line.points.map(p => [p.t, line.value(p)]));
      const values = times.map(t => {
        const v = byTime.get(t);
        return v === undefined ? null : v;
      });
      for (const v of values) {
        if (v !== null && v > max) {
          max = v;
        }
      }

      data.push(values);
    }

    this.el.dataset.points = String(times.length);
    this.el.dataset.max = String(max);
    const key = lines.map(l => l.label).join('|');
    const width = Math.max(300, this.el.clientWidth - 32);
    if (!this.plot || key !== this.key) {
      this.plot?.destroy();
      this.key = key;
      this.plot = new uPlot({
        width,
        height: 180,
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{}, { values: (u, ticks) => ticks.map(t => `${t}${this.unit}`), size: 76 }],
        series: [{}, ...lines.map(l => ({ label: l.label, stroke: l.color, width: 1.5, dash: l.dash, spanGaps: false }))],
      }, data, this.body);
    } else {
      if (Math.abs(this.plot.width - width) > 4) {
        this.plot.setSize({ width, height: 180 });
      }

      this.plot.setData(data);
    }
  }

  destroy() {
    this.plot?.destroy();
    this.plot = null;
  }
}

// Throughput, error rate and p50/p99 latency of the given versions.
export function versionCharts() {
  return [
    new LiveChart('Throughput (req/s)', { lines: v => [{ label: v.variant, value: p => p.rps }] }),
    new LiveChart('Error rate (%)', { unit: '%', lines: v => [{ label: v.variant, value: p => (p.error_rate === null ? null : p.error_rate * 100) }] }),
    new LiveChart('Latency p50 / p99 (ms)', {
      unit: 'ms',
      lines: v => [
        { label: `${v.variant} p50`, value: p => p.p50_ms },
        { label: `${v.variant} p99`, value: p => p.p99_ms, dash: [6, 4] },
      ],
    }),
  ];
}
