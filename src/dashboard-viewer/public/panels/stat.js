/**
 * Grafana's stat panel: one reduced value per series (the panel's calculation), formatted and
 * coloured by mappings and thresholds (./display.js), on a background of that colour (colorMode
 * background) or in it (value); with several series each gets its name (textMode auto). The
 * text is sized to fill its box.
 */
import { h } from '../dom.js';
import { displayValue, reduce } from '../display.js';
import { seriesName } from '../templating.js';

/** The reduced values of a stat or gauge panel: [{ name, value, text, color }], nulls left out. */
export function reducedValues(panel, results) {
  const calc = panel.options?.reduceOptions?.calcs?.[0] ?? 'lastNotNull';
  const defaults = panel.fieldConfig?.defaults ?? {};
  return results.flatMap(({ target, series }) =>
    series.flatMap((s) => {
      const value = reduce(s.points.map(([, v]) => v), calc);
      return value === null ? [] : [{ name: seriesName(target.legendFormat, s.labels, target.expr), value, ...displayValue(value, defaults) }];
    }),
  );
}

/** A font size (px) at which `text` fits a `width` × `height` box. */
export function fitText(text, width, height, share = 0.5) {
  return Math.max(10, Math.min(height * share, (width * 0.9) / Math.max(1, text.length * 0.62)));
}

/** Draws a stat panel; returns its state. */
export function renderStat(body, panel, results) {
  const values = reducedValues(panel, results);
  if (values.length === 0) return { state: 'no-data', points: 0 };
  const colorMode = panel.options?.colorMode ?? 'value';
  const showName = panel.options?.textMode === 'value_and_name' || (panel.options?.textMode !== 'value' && values.length > 1);
  const cells = values.map((v) =>
    h(
      'div',
      {
        class: `stat-cell color-${colorMode}`,
        dataset: { series: v.name, value: String(v.value) },
        style: colorMode === 'background' ? { background: `linear-gradient(120deg, ${v.color}, ${v.color}cc)` } : {},
      },
      showName ? h('div', { class: 'stat-name' }, v.name) : null,
      h('div', { class: 'stat-value', style: colorMode === 'value' ? { color: v.color } : {} }, v.text),
    ),
  );
  body.append(h('div', { class: 'stat' }, cells));
  const size = () => {
    const width = body.clientWidth / cells.length;
    for (const [i, cell] of cells.entries()) {
      const nameShare = showName ? 0.25 : 0;
      cell.querySelector('.stat-value').style.fontSize = `${fitText(values[i].text, width - 8, body.clientHeight * (1 - nameShare), 0.6)}px`;
      if (showName) cell.querySelector('.stat-name').style.fontSize = `${Math.min(14, Math.max(10, body.clientHeight * 0.14))}px`;
    }
  };
  size();
  const observer = new ResizeObserver(size);
  observer.observe(body);
  return { state: 'drawn', points: values.length, destroy: () => observer.disconnect() };
}
