// A small DOM builder: text is always set as text, never parsed as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }

    if (key === 'class') {
      el.className = value;
    } else if (key === 'style' && typeof value === 'object') {
      Object.assign(el.style, value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }

  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) {
      continue;
    }

    if (Array.isArray(child)) {
      append(el, child);
    } else {
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const palette = ['#2f6fde', '#e0683a', '#1f8a4c', '#8a4fd1', '#c23b32', '#0f9aa8', '#b7791f', '#6b7080'];

// The same variant gets the same colour on every page and chart.
const assigned = new Map();
export function colorOf(name) {
  if (!assigned.has(name)) {
    assigned.set(name, palette[assigned.size % palette.length]);
  }

  return assigned.get(name);
}

export function fmt(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '–';
  }

  return Number(value).toLocaleString('en-US', { maximumFractionDigits: digits });
}

export function pct(value, digits = 1) {
  return value === null || value === undefined ? '–' : `${fmt(value * 100, digits)}%`;
}

export function bytes(value) {
  if (value === null || value === undefined) {
    return '–';
  }

  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }

  return `${fmt(v, i === 0 ? 0 : 1)} ${units[i]}`;
}

export function time(iso) {
  if (!iso) {
    return '–';
  }

  return new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function phaseClass(phase) {
  switch (phase) {
    case 'succeeded': return 'pill good';
    case 'rolled_back': case 'aborted': return 'pill bad';
    case 'paused': case 'inconclusive': return 'pill warn';
    default: return 'pill';
  }
}
