/**
 * The whole local stack for the benchmarks: the tests' throwaway stack (test/support/stack.ts)
 * with the committed Prometheus intervals (not the e2e tests' short ones: alert latency and bytes
 * per sample depend on them), Alertmanager sending to the Telegram double, and rate limits raised
 * so that the load generator (one client address) measures the API rather than the limiter.
 */
import type { RunningStack } from '../src/stack/stack.ts';
import { prometheusIntervals, startTestStack, type TestStack } from '../test/support/stack.ts';
import { startTelegramDouble, type TelegramDouble } from '../test/support/telegram-double.ts';

export interface BenchStack {
  stack: TestStack;
  telegram: TelegramDouble;
  /** Global scrape and evaluation intervals of the running Prometheus, ms. */
  intervals: { scrape: number; evaluation: number };
  close(): Promise<void>;
}

/** An instant PromQL query; the vector's values as numbers (empty when no series). */
export async function promQuery(stack: RunningStack, query: string): Promise<number[]> {
  const res = await fetch(`${stack.urls.prometheus}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data?: { result: Array<{ value: [number, string] }> }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${query} failed: ${body.error}`);
  return (body.data?.result ?? []).map((r) => Number(r.value[1]));
}

/** Starts the bench stack. */
export async function startBenchStack(): Promise<BenchStack> {
  const telegram = await startTelegramDouble();
  try {
    const stack = await startTestStack(
      {
        SAMOKODER_ENV: 'development',
        LOG_LEVEL: 'warn',
        SIMULATOR_LATENCY_MS: '50',
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10000000',
        RATE_LIMIT_USER_PER_MINUTE: '10000000',
        RATE_LIMIT_LOGIN_PER_MINUTE: '10000000',
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_CHAT_ID: '-100424242',
        TELEGRAM_API_URL: telegram.url,
      },
      { intervals: 'committed' },
    );
    return {
      stack,
      telegram,
      intervals: prometheusIntervals(stack),
      async close() {
        await stack.close();
        await telegram.close();
      },
    };
  } catch (err) {
    await telegram.close();
    throw err;
  }
}
