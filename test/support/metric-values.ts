/**
 * Reads sample values out of a prom-client registry for assertions, e.g. the `_count` of a
 * histogram or the sum of a counter over the series matching some labels.
 */
import type { Registry } from 'prom-client';

/**
 * Sum of the samples named `sample` whose labels include all of `labels`.
 * `sample` is a metric name or a histogram series (`..._count`, `..._sum`, `..._bucket`).
 * Throws when no such metric is registered, so a typo cannot pass as 0.
 */
export async function sampleValue(registry: Registry, sample: string, labels: Record<string, string> = {}): Promise<number> {
  const base = registry.getSingleMetric(sample) ? sample : sample.replace(/_(count|sum|bucket)$/, '');
  const metric = registry.getSingleMetric(base);
  if (!metric) throw new Error(`no metric ${base} in the registry`);
  const { values } = await metric.get();
  return values
    .filter((v) => ((v as { metricName?: string }).metricName ?? base) === sample)
    .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}
