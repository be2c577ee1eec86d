/** Business: projects created, generation time, login attempts. */
import { row, timeseries, type PanelJson } from '../grafana.ts';
import { THRESHOLDS, red, RI, api } from './common.ts';

/** The panels of the "Business" row, the row header first. */
export function businessRow(): PanelJson[] {
  return [
    row('Business'),
    timeseries({
      title: 'Projects Created',
      description: 'Projects accepted over the last hour, by user tier (NoProjectsCreated: none for 2 hours).',
      queries: [{ expr: `sum by (user_tier) (increase(${api('samokoder_projects_created_total')}[1h]))`, legend: '{{user_tier}}' }],
      unit: 'short',
      min: 0,
      stack: true,
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'Project Generation (p95)',
      description: '95th percentile of project generation time over the last hour, by estimated complexity.',
      queries: [
        { expr: `histogram_quantile(0.95, sum by (le, complexity) (rate(${api('samokoder_projects_generation_duration_seconds_bucket')}[1h])))`, legend: '{{complexity}}' },
      ],
      unit: 's',
      w: 8,
      h: 8,
    }),
    timeseries({
      title: 'Login Attempts',
      description: 'Login attempts per second by result (AuthenticationFailureSpike: failures above 0.5/s for 5 minutes).',
      queries: [{ expr: `sum by (result) (rate(${api('samokoder_auth_attempts_total')}[${RI}]))`, legend: '{{result}}' }],
      unit: 'ops',
      min: 0,
      steps: red(THRESHOLDS.AuthenticationFailureSpike.value),
      w: 8,
      h: 8,
    }),
  ];
}
