// An endpoint's injected faults, each with a button that clears it.
import { api } from './api.js';
import { h, pct } from './dom.js';

export function faultList(endpoint, faults, ctx) {
  if (!faults || faults.length === 0) {
    return h('span', { class: 'muted' }, 'none');
  }

  return faults.map(f => {
    const version = f.variant.slice(f.variant.lastIndexOf(':') + 1);
    const parts = [];
    if (f.abort_fraction > 0) {
      parts.push(`abort ${pct(f.abort_fraction, 0)} with ${f.abort_status}`);
    }

    if (f.delay_fraction > 0 && f.delay_ms > 0) {
      parts.push(`delay ${f.delay_ms} ms on ${pct(f.delay_fraction, 0)}`);
    }

    return h('div', { 'data-fault': f.variant },
      `${f.variant}: ${parts.join(', ') || 'none'} `,
      h('button', {
        type: 'button',
        class: 'small',
        'data-action': 'clear-fault',
        onclick: () => ctx.act(`clear the fault on ${f.variant}`,
          () => api(`../admin/endpoints/${encodeURIComponent(endpoint)}/faults/${encodeURIComponent(version)}`, { method: 'DELETE' })),
      }, 'Clear'));
  });
}
