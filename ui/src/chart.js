import { html } from 'htm/preact';

/** Distinguishable in light and dark mode (Okabe–Ito, which also holds for the common colour blindnesses). */
export const COLOURS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#999999'];

const W = 720;
const H = 260;
const PAD = { left: 64, right: 8, top: 8, bottom: 36 };

/** 1, 2 or 5 times a power of ten, near `max / 4`: the step between the value axis' lines. */
function step(max) {
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
}

/**
 * Stacked bars, one per x label, one colour per series, drawn as plain SVG: no library, no script beyond this.
 * `series`: [{ name, values }] with a value per label; `format` writes a value for the axis and the tooltips.
 * Every bar has a tooltip (<title>); the page beside it holds the same numbers as a table for screen readers.
 */
export function StackedBars({ label, labels, series, format }) {
  const totals = labels.map((_, i) => series.reduce((s, x) => s + x.values[i], 0));
  const max = Math.max(...totals, 0);
  const tick = max > 0 ? step(max) : 1;
  const top = max > 0 ? Math.ceil(max / tick) * tick : 1;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plotH - (v / top) * plotH;
  const band = plotW / Math.max(labels.length, 1);
  const barW = Math.max(band * 0.7, 1);
  const every = Math.ceil(labels.length / 10); // at most ~10 x labels
  const ticks = [];
  for (let v = 0; v <= top + tick / 2; v += tick) ticks.push(v);

  return html`<svg class="chart" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${label}>
    ${ticks.map(
      (v) =>
        html`<g>
          <line x1=${PAD.left} x2=${W - PAD.right} y1=${y(v)} y2=${y(v)} stroke="currentColor" stroke-opacity="0.15" />
          <text x=${PAD.left - 6} y=${y(v) + 4} text-anchor="end" font-size="11" fill="currentColor">${format(v)}</text>
        </g>`,
    )}
    ${labels.map((day, i) => {
      let base = 0;
      const x = PAD.left + i * band + (band - barW) / 2;
      return html`<g>
        ${series.map((s, k) => {
          const v = s.values[i];
          if (v <= 0) return null;
          const rect = html`<rect
            x=${x}
            width=${barW}
            y=${y(base + v)}
            height=${y(base) - y(base + v)}
            fill=${COLOURS[k % COLOURS.length]}
          >
            <title>${day} · ${s.name}: ${format(v)}</title>
          </rect>`;
          base += v;
          return rect;
        })}
        ${
          i % every === 0 &&
          html`<text x=${x + barW / 2} y=${H - PAD.bottom + 16} text-anchor="middle" font-size="11" fill="currentColor">
            ${day.slice(5)}
          </text>`
        }
      </g>`;
    })}
    <line x1=${PAD.left} x2=${W - PAD.right} y1=${y(0)} y2=${y(0)} stroke="currentColor" stroke-opacity="0.6" />
  </svg>`;
}

/** The colour key of the series. */
export const Legend = ({ series }) =>
  html`<ul class="legend" aria-hidden="true">
    ${series.map(
      (s, k) =>
        html`<li>
          <svg class="swatch" viewBox="0 0 10 10">
            <rect width="10" height="10" fill=${COLOURS[k % COLOURS.length]} />
          </svg>
          ${s.name}
        </li>`,
    )}
  </ul>`;
