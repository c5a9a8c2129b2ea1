// The models page: every model and version with its load state, memory and batch-size histogram.
import { api } from './api.js';
import { h, replace, bytes, fmt } from './dom.js';

function stateClass(state) {
  return state === 'READY' ? 'pill good' : state === 'UNAVAILABLE' ? 'pill bad' : 'pill warn';
}

function histogram(buckets) {
  if (!buckets || buckets.every(b => b.count === 0)) {
    return h('span', { class: 'muted' }, 'no batches yet');
  }

  const max = Math.max(...buckets.map(b => b.count));
  const label = b => (b.le === null ? '+' : String(b.le));
  return h('div', { 'data-testid': 'batch-histogram' },
    h('div', { class: 'hist' }, buckets.map(b => h('span', {
      title: `batch size ≤ ${label(b)}: ${b.count} executions`,
      style: { height: `${b.count === 0 ? 0 : Math.max(2, (40 * b.count) / max)}px` },
    }))),
    h('div', { class: 'hist-labels' }, buckets.map(b => h('span', {}, label(b)))));
}

export function modelsPage(view) {
  const processFacts = h('p', { class: 'muted' });
  const rows = h('tbody');
  replace(view,
    h('h1', {}, 'Models'),
    processFacts,
    h('div', { class: 'card' },
      h('table', { 'data-testid': 'models' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Model'), h('th', {}, 'Version'), h('th', {}, 'State'), h('th', { class: 'num' }, 'In flight'), h('th', { class: 'num' }, 'Queued'),
          h('th', { class: 'num' }, 'Model files'), h('th', { class: 'num' }, 'Cache'), h('th', { class: 'num' }, 'Requests / errors'), h('th', {}, 'Batch sizes (executions per size)'))),
        rows)));

  return {
    interval: 3000,
    async refresh() {
      const [models, metrics] = await Promise.all([api('../admin/dashboard/models'), api('../admin/dashboard/metrics')]);
      const byVariant = new Map(metrics.versions.map(v => [v.variant, v]));
      replace(processFacts, `Server process: working set ${bytes(models.process.working_set_bytes)}, managed heap ${bytes(models.process.gc_heap_bytes)}. Counts since this dashboard began watching (${metrics.since ? new Date(metrics.since).toISOString() : 'now'}).`);
      replace(rows, models.models.flatMap(m => (m.versions.length === 0
        ? [h('tr', { 'data-model': m.name }, h('td', {}, m.name), h('td', {}, '–'), h('td', {}, h('span', { class: stateClass(m.state) }, m.state), m.reason ? ` ${m.reason}` : ''), h('td', { colspan: 6 }))]
        : m.versions.map(v => {
          const live = byVariant.get(`${m.name}:${v.version}`);
          return h('tr', { 'data-model': m.name, 'data-version': v.version },
            h('td', {}, m.name),
            h('td', {}, String(v.version)),
            h('td', {}, h('span', { class: stateClass(v.state) }, v.state), v.reason ? h('div', { class: 'muted' }, v.reason) : null),
            h('td', { class: 'num' }, fmt(v.in_flight, 0)),
            h('td', { class: 'num' }, fmt(v.pending, 0)),
            h('td', { class: 'num' }, bytes(v.file_bytes)),
            h('td', { class: 'num' }, bytes(v.cache_bytes)),
            h('td', { class: 'num' }, live ? `${fmt(live.requests, 0)} / ${fmt(live.errors, 0)}` : '0 / 0'),
            h('td', {}, histogram(live?.batch_sizes)));
        }))));
    },
  };
}
