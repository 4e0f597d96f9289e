// chart.js: a small SVG line chart of one metric across model versions (the "compare versions" view).
// Builds DOM nodes only; no timers, no state.

import { h } from './dom.js';
import { formatMetric } from './format.js';

/**
 * points: [{version, value, active}] sorted by version; availableWidth: the container's width in px. Returns an <svg> with an accessible name,
 * a point per version (with a <title> tooltip) and the active version marked.
 */
export function metricChart(points, metricName, availableWidth) {
  // Draw at the width it will be shown at (within limits) so labels stay readable on a phone.
  const W = Math.round(Math.min(720, Math.max(300, availableWidth || 640)));
  const H = 260;
  const pad = { l: 56, r: 16, t: 16, b: 40 };
  const svg = h('svg', {
    class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', preserveAspectRatio: 'xMidYMid meet',
    'aria-label': `${metricName} by version: ${points.map((p) => `v${p.version} ${formatMetric(p.value)}`).join(', ')}`,
  });
  if (points.length === 0) return svg;
  const values = points.map((p) => p.value);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const d = Math.abs(lo) * 0.1 || 1;
    lo -= d;
    hi += d;
  } else {
    const d = (hi - lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const x = (i) => pad.l + (points.length === 1 ? iw / 2 : (i * iw) / (points.length - 1));
  const y = (v) => pad.t + ih - ((v - lo) / (hi - lo)) * ih;

  const grid = h('g', { class: 'chart-grid' });
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    grid.append(h('line', { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v) }),
      h('text', { x: pad.l - 8, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-label' }, formatMetric(v)));
  }
  const xlabels = h('g', {});
  const step = Math.max(1, Math.ceil(points.length / 12));
  points.forEach((p, i) => {
    if (i % step === 0 || i === points.length - 1) {
      xlabels.append(h('text', { x: x(i), y: H - pad.b + 18, 'text-anchor': 'middle', class: 'chart-label' }, `v${p.version}`));
    }
  });
  const line = h('polyline', { class: 'chart-line', points: points.map((p, i) => `${x(i)},${y(p.value)}`).join(' ') });
  const dots = h('g', {});
  points.forEach((p, i) => {
    dots.append(h('circle', {
      class: p.active ? 'chart-dot chart-dot-active' : 'chart-dot', cx: x(i), cy: y(p.value), r: p.active ? 7 : 5,
      'data-version': p.version,
    }, h('title', {}, `v${p.version}${p.active ? ' (active)' : ''}: ${metricName} ${formatMetric(p.value)}`)));
  });
  svg.append(grid, xlabels,
    h('text', { x: pad.l + iw / 2, y: H - 6, 'text-anchor': 'middle', class: 'chart-axis' }, 'version'),
    line, dots);
  return svg;
}
