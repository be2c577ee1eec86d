/** LLM providers: request rate, error rate, latency, token consumption against the budget. */
import { row, timeseries, type PanelJson } from '../grafana.ts';
import { THRESHOLDS, red, RI, api } from './common.ts';

/** The panels of the "LLM" row, the row header first. */
export function llmRow(): PanelJson[] {
  return [
    row('LLM'),
    timeseries({
      title: 'LLM Request Rate',
      description: 'LLM requests per second (every attempt) by provider, model and agent.',
      queries: [{ expr: `sum by (provider, model, agent) (rate(${api('samokoder_llm_requests_total')}[${RI}]))`, legend: '{{provider}} {{model}} {{agent}}' }],
      unit: 'reqps',
      min: 0,
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'LLM Error Rate',
      description: 'Failed share of LLM requests per provider, both sides summed by provider (HighLLMErrorRate: above 10% for 10 minutes).',
      queries: [
        {
          expr: `(sum by (provider) (rate(${api('samokoder_llm_request_errors_total')}[${RI}])) or sum by (provider) (rate(${api('samokoder_llm_requests_total')}[${RI}])) * 0) / sum by (provider) (rate(${api('samokoder_llm_requests_total')}[${RI}]))`,
          legend: '{{provider}}',
        },
      ],
      unit: 'percentunit',
      min: 0,
      steps: red(THRESHOLDS.HighLLMErrorRate.value),
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'LLM Latency (p95)',
      description: '95th percentile of LLM request duration per provider (HighLLMLatency: above 30 s).',
      queries: [{ expr: `histogram_quantile(0.95, sum by (le, provider) (rate(${api('samokoder_llm_request_duration_seconds_bucket')}[${RI}])))`, legend: '{{provider}}' }],
      unit: 's',
      steps: red(THRESHOLDS.HighLLMLatency.value),
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'LLM Token Consumption',
      description: 'Tokens consumed over the last hour by provider, model and token type, against the hourly budget (LLMTokenBudgetExceeded).',
      queries: [
        { expr: `sum by (provider, model, token_type) (increase(${api('samokoder_llm_tokens_consumed_total')}[1h]))`, legend: '{{provider}} {{model}} {{token_type}}' },
        { expr: `max(${api('samokoder_llm_token_budget_per_hour')})`, legend: 'budget per hour' },
      ],
      unit: 'short',
      min: 0,
      w: 24,
      h: 8,
    }),
  ];
}
