// The endpoints page: every endpoint with its versions, configured weights and live split, its
// rollout and faults; below, live charts of every version.
import { api } from './api.js';
import { versionCharts } from './charts.js';
import { h, replace, colorOf, pct, phaseClass } from './dom.js';
import { faultList } from './faults.js';

export function weightBar(parts) {
  const total = parts.reduce((s, p) => s + p.value, 0);
  return h('div', { class: 'bar' }, parts.map(p => h('span', {
    title: `${p.label} ${pct(total > 0 ? p.value / total : 0)}`,
    style: { width: `${total > 0 ? (100 * p.value) / total : 0}%`, background: colorOf(p.label) },
  })));
}

export function splitCell(split) {
  if (!split || split.variants.every(v => v.share === null)) {
    return h('span', { class: 'muted' }, 'no traffic');
  }

  return [
    weightBar(split.variants.map(v => ({ label: v.variant, value: v.share ?? 0 }))),
    h('div', { class: 'legend' }, split.variants.map(v => h('span', { 'data-split': v.variant },
      h('span', { class: 'swatch', style: { background: colorOf(v.variant) } }), `${v.variant} ${pct(v.share)}`))),
  ];
}

export function endpointsPage(view, ctx) {
  const rows = h('tbody');
  const charts = versionCharts();
  replace(view,
    h('h1', {}, 'Endpoints'),
    h('div', { class: 'card' },
      h('table', { 'data-testid': 'endpoints' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Endpoint'), h('th', {}, 'Versions (configured weight)'), h('th', {}, 'Live split (last 10 s)'), h('th', {}, 'Rollout'), h('th', {}, 'Faults'))),
        rows)),
    h('div', { class: 'grid' }, charts.map(c => c.el)));

  return {
    async refresh() {
      const [list, metrics] = await Promise.all([api('../admin/endpoints'), api('../admin/dashboard/metrics')]);
      const splits = new Map(metrics.endpoints.map(e => [e.endpoint, e]));
      replace(rows, list.endpoints.map(e => h('tr', { 'data-endpoint': e.name },
        h('td', {}, h('a', { href: `#/endpoint/${encodeURIComponent(e.name)}` }, e.name)),
        h('td', {},
          weightBar(e.variants.map(v => ({ label: `${v.model}:${v.version}`, value: v.weight }))),
          h('div', { class: 'legend' }, e.variants.map(v => h('span', {},
            h('span', { class: 'swatch', style: { background: colorOf(`${v.model}:${v.version}`) } }), `${v.model}:${v.version} ${v.weight}%`)))),
        h('td', {}, splitCell(splits.get(e.name))),
        h('td', {}, e.rollout
          ? h('a', { href: `#/endpoint/${encodeURIComponent(e.name)}` }, `#${e.rollout.id} ${e.rollout.strategy} `, h('span', { class: phaseClass(e.rollout.phase) }, e.rollout.phase))
          : h('span', { class: 'muted' }, '–')),
        h('td', {}, faultList(e.name, e.faults, ctx)))));
      if (list.endpoints.length === 0) {
        rows.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No endpoints: the repository has no models yet.')));
      }

      for (const chart of charts) {
        chart.update(metrics.versions);
      }
    },
    destroy() {
      charts.forEach(c => c.destroy());
    },
  };
}
