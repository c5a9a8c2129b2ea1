// One endpoint: its rollout with the actions, live charts of its versions, the shadow's agreement or
// the A/B test's results when one runs, its faults, and the timeline of its history.
import { api } from './api.js';
import { versionCharts } from './charts.js';
import { h, replace, fmt, pct, time, phaseClass } from './dom.js';
import { weightBar, splitCell } from './endpoints.js';
import { faultList } from './faults.js';

const actions = [
  { name: 'promote', label: 'Promote' },
  { name: 'pause', label: 'Pause' },
  { name: 'resume', label: 'Resume' },
  { name: 'rollback', label: 'Roll back', danger: true },
];
const ended = new Set(['succeeded', 'rolled_back', 'aborted']);

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(p => p).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function dataText(data) {
  if (data === null || data === undefined) {
    return '';
  }

  if (typeof data !== 'object') {
    return String(data);
  }

  const parts = Object.entries(data).map(([k, v]) => {
    if (typeof v === 'number') {
      return `${k}=${fmt(v, 4)}`;
    }

    return `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  });
  const text = parts.join(', ');
  return text.length > 240 ? `${text.slice(0, 240)}…` : text;
}

function rolloutCard(endpoint, rollout, ctx) {
  if (!rollout) {
    return h('div', { class: 'card', 'data-testid': 'rollout' }, h('h2', {}, 'Rollout'),
      h('p', { class: 'muted' }, 'This endpoint has never had a rollout. Start one with ', h('code', {}, `usher deploy ${endpoint} --version V --strategy canary`), '.'));
  }

  const active = !ended.has(rollout.phase);
  const analysis = rollout.analysis;
  return h('div', { class: 'card', 'data-testid': 'rollout' },
    h('h2', {}, `Rollout #${rollout.id}: ${rollout.strategy} `, h('span', { class: phaseClass(rollout.phase), 'data-testid': 'rollout-phase' }, rollout.phase)),
    facts([
      ['versions', `stable v${rollout.stable_version ?? '–'} → candidate v${rollout.candidate_version ?? '–'} (model ${rollout.model})`],
      rollout.steps?.length ? ['step', `${(rollout.step ?? 0) + 1}/${rollout.steps.length}, candidate weight ${fmt(rollout.weight)}% (steps ${rollout.steps.join(', ')}, every ${rollout.interval_seconds}s)`] : null,
      rollout.next_decision_at ? ['next decision', time(rollout.next_decision_at)] : null,
      rollout.rollback_window_ends_at ? ['rollback window ends', time(rollout.rollback_window_ends_at)] : null,
      rollout.reason ? ['reason', rollout.reason] : null,
      ['updated', `${time(rollout.updated_at)} (created ${time(rollout.created_at)})`],
    ]),
    h('div', { class: 'actions' }, actions.map(a => h('button', {
      type: 'button',
      class: a.danger ? 'danger' : undefined,
      'data-action': a.name,
      disabled: !active,
      title: active ? undefined : `rollout ${rollout.id} has ended (${rollout.phase})`,
      onclick: () => ctx.act(`${a.name} the rollout of ${endpoint}`,
        () => api(`../admin/endpoints/${encodeURIComponent(endpoint)}/rollout/${a.name}`, { method: 'POST', body: { reason: 'from the dashboard' } })),
    }, a.label))),
    analysis ? [
      h('h2', {}, 'Last analysis: ', h('span', { class: analysis.verdict === 'pass' ? 'pill good' : analysis.verdict === 'fail' ? 'pill bad' : 'pill warn' }, analysis.verdict)),
      h('p', {}, analysis.summary),
      h('p', { class: 'muted' }, `since ${time(analysis.window_start)}: stable ${analysis.stable?.requests ?? 0} requests, ${analysis.stable?.errors ?? 0} errors; candidate ${analysis.canary?.requests ?? 0} requests, ${analysis.canary?.errors ?? 0} errors`),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Check'), h('th', {}, 'Outcome'), h('th', {}, 'Detail'))),
        h('tbody', {}, (analysis.checks ?? []).map(c => h('tr', {}, h('td', {}, c.name), h('td', {}, c.outcome), h('td', {}, c.detail))))),
    ] : h('p', { class: 'muted' }, 'No analysis yet.'));
}

function shadowCard(shadow) {
  const a = shadow.agreement;
  return h('div', { class: 'card', 'data-testid': 'shadow' },
    h('h2', {}, `Shadow ${shadow.shadow} of ${shadow.primary}`),
    facts([
      ['agreement', a ? `${pct(a.rate, 2)} (${a.agreed}/${a.compared} by ${a.basis}; ${pct(a.confidence, 0)} interval ${pct(a.ci_low, 2)} – ${pct(a.ci_high, 2)})` : '–'],
      ['pairs', `${shadow.pairs} (mirrored ${shadow.mirrored}, failed ${shadow.failed}, dropped ${shadow.dropped}, queued ${shadow.queued}) at ${shadow.percent}%`],
      shadow.scores ? ['scores', `mean |Δ| ${fmt(shadow.scores.mean_abs_diff, 4)}, max |Δ| ${fmt(shadow.scores.max_abs_diff, 4)}, PSI ${fmt(shadow.scores.psi, 4)}, KS D ${fmt(shadow.scores.ks_d, 4)} (p ${fmt(shadow.scores.ks_p, 4)})`] : null,
      shadow.latency_ms ? ['latency', `primary p50 ${fmt(shadow.latency_ms.primary_p50, 3)} ms, p99 ${fmt(shadow.latency_ms.primary_p99, 3)} ms; shadow p50 ${fmt(shadow.latency_ms.shadow_p50, 3)} ms, p99 ${fmt(shadow.latency_ms.shadow_p99, 3)} ms`] : null,
      shadow.gate ? ['gate', `${shadow.gate.passed ? 'passed' : 'not passed'}: ${shadow.gate.detail ?? ''}`] : null,
    ]),
    h('h2', {}, 'Last disagreements'),
    (shadow.disagreements ?? []).length === 0
      ? h('p', { class: 'muted' }, 'None.')
      : h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'At'), h('th', {}, 'Primary'), h('th', {}, 'Shadow'), h('th', {}, 'Error'))),
        h('tbody', {}, shadow.disagreements.slice().reverse().map(d => h('tr', {},
          h('td', {}, time(d.at)),
          h('td', {}, tensors(d.primary_outputs)),
          h('td', {}, tensors(d.shadow_outputs)),
          h('td', {}, d.error ?? ''))))));
}

function tensors(list) {
  return (list ?? []).map(t => `${t.name} ${JSON.stringify(t.data?.slice(0, 8))}${t.data?.length > 8 || t.truncated ? '…' : ''}`).join('; ');
}

function experimentCard(x) {
  const interval = (lo, hi, digits = 4) => (lo === null || hi === null ? '–' : `[${fmt(lo, digits)}, ${fmt(hi, digits)}]`);
  return h('div', { class: 'card', 'data-testid': 'experiment' },
    h('h2', {}, `A/B test on ${x.metric} (${x.kind}): `, h('span', { class: x.decision === 'winner' ? 'pill good' : x.decision === 'loser' ? 'pill bad' : 'pill' }, x.decision)),
    h('p', {}, x.summary),
    facts([
      ['alpha', fmt(x.alpha, 4)],
      ['winner', x.winner === null ? '–' : `v${x.winner}`],
      ['sample-ratio check', x.srm ? `χ² ${fmt(x.srm.chi_square, 3)}, p ${fmt(x.srm.p_value, 4)} (threshold ${x.srm.threshold})${x.srm.flagged ? ': mismatch, test halted' : ''}` : '–'],
    ]),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Arm'), h('th', { class: 'num' }, 'Weight'), h('th', { class: 'num' }, 'Units'), h('th', { class: 'num' }, 'Outcomes'),
        h('th', { class: 'num' }, 'Mean'), h('th', { class: 'num' }, 'Lift (CI)'), h('th', { class: 'num' }, 'Always-valid CI'), h('th', { class: 'num' }, 'Seq. p'), h('th', {}, 'Verdict'))),
      h('tbody', {}, x.arms.map(arm => {
        const c = arm.vs_control;
        return h('tr', { 'data-arm': arm.version },
          h('td', {}, `v${arm.version}${arm.version === x.control ? ' (control)' : ''}`),
          h('td', { class: 'num' }, `${fmt(arm.weight)}%`),
          h('td', { class: 'num' }, fmt(arm.units, 0)),
          h('td', { class: 'num' }, fmt(arm.outcomes, 0)),
          h('td', { class: 'num' }, fmt(arm.mean, 4)),
          h('td', { class: 'num' }, c ? `${fmt(c.lift, 4)} ${interval(c.ci_lower, c.ci_upper)}` : '–'),
          h('td', { class: 'num' }, c ? interval(c.sequential_lower, c.sequential_upper) : '–'),
          h('td', { class: 'num' }, c ? fmt(c.sequential_p_value, 4) : '–'),
          h('td', { title: arm.why }, arm.verdict));
      }))));
}

function timeline(events) {
  return h('div', { class: 'card', 'data-testid': 'timeline' },
    h('h2', {}, `Timeline (${events.length} events)`),
    events.length === 0 ? h('p', { class: 'muted' }, 'Nothing has happened on this endpoint yet.') :
      h('table', { class: 'timeline' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Rollout'), h('th', {}, 'Kind'), h('th', {}, 'Actor'), h('th', {}, 'Message'), h('th', {}, 'Numbers'))),
        h('tbody', {}, events.slice().reverse().map(e => h('tr', { 'data-event': e.kind },
          h('td', { class: 'at' }, time(e.at)),
          h('td', {}, e.rollout_id === null ? '–' : `#${e.rollout_id}`),
          h('td', { class: 'kind' }, e.kind),
          h('td', {}, e.actor),
          h('td', { class: 'msg' }, e.message),
          h('td', { class: 'muted numbers' }, dataText(e.data)))))));
}

export function endpointPage(view, ctx, name) {
  const summary = h('div', { class: 'card' });
  const rollout = h('div');
  const extra = h('div');
  const history = h('div');
  const charts = versionCharts();
  const base = `../admin/endpoints/${encodeURIComponent(name)}`;
  replace(view, h('h1', {}, 'Endpoint ', h('span', { 'data-testid': 'endpoint-name' }, name)), summary, rollout,
    h('div', { class: 'grid' }, charts.map(c => c.el)), extra, history);

  return {
    async refresh() {
      const [list, metrics, events] = await Promise.all([api('../admin/endpoints'), api('../admin/dashboard/metrics'), api(`${base}/history`)]);
      const endpoint = list.endpoints.find(e => e.name === name);
      if (!endpoint) {
        replace(summary, h('p', { class: 'error' }, `No endpoint '${name}' on this server.`));
        return;
      }

      // Ask for the rollout only when the history shows one, so that an endpoint without one costs no 404.
      const hadRollout = events.events.some(e => e.rollout_id !== null);
      const status = hadRollout ? await api(`${base}/rollout`) : null;
      const experiment = status && (status.strategy === 'ab' || status.strategy === 'bandit') ? await api(`${base}/experiment`) : null;

      const variants = new Set(endpoint.variants.map(v => `${v.model}:${v.version}`));
      if (status) {
        for (const v of [status.stable_version, status.candidate_version]) {
          if (v !== null && v !== undefined) {
            variants.add(`${status.model}:${v}`);
          }
        }
      }

      replace(summary,
        h('h2', {}, 'Traffic'),
        facts([
          ['configured', [weightBar(endpoint.variants.map(v => ({ label: `${v.model}:${v.version}`, value: v.weight }))),
            h('div', { class: 'legend', 'data-testid': 'weights' }, endpoint.variants.map(v => h('span', {}, `${v.model}:${v.version} ${fmt(v.weight)}%`)))]],
          ['live (last 10 s)', splitCell(metrics.endpoints.find(e => e.endpoint === name))],
          ['faults', faultList(name, endpoint.faults, ctx)],
        ]));
      replace(rollout, rolloutCard(name, status, ctx));
      replace(extra, status?.shadow ? shadowCard(status.shadow) : null, experiment ? experimentCard(experiment) : null);
      replace(history, timeline(events.events));
      const shown = metrics.versions.filter(v => variants.has(v.variant));
      for (const chart of charts) {
        chart.update(shown);
      }
    },
    destroy() {
      charts.forEach(c => c.destroy());
    },
  };
}
