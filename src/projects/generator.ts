/**
 * Background generation: runs the agent pipeline for accepted projects inside the API process,
 * at most `concurrency` at a time, and always ends a project `ready` or `failed` with a reason.
 *
 * Finishing writes are retried while the database is unavailable, so an outage does not leave a
 * project stuck in `generating`; projects a restart interrupted are picked up again at start.
 */
import type { Logger } from 'pino';
import { DatabaseUnavailableError } from '../db/database.ts';
import type { LlmClient } from '../llm/types.ts';
import type { Metrics } from '../metrics/registry.ts';
import type { Project, Projects } from './repository.ts';

/** Turns a project's name and description into files (the LLM agent pipeline). */
export type GenerateFiles = (
  client: LlmClient,
  input: { name: string; description: string },
  signal?: AbortSignal,
) => Promise<{ files: { path: string; content: string }[] }>;

export interface GeneratorOptions {
  projects: Projects;
  llm: LlmClient;
  generate: GenerateFiles;
  metrics: Pick<Metrics, 'observeGeneration'>;
  log: Logger;
  concurrency: number;
  /** How long finishing writes are retried while the database is down. */
  dbRetryMs?: number;
}

/** Why generation failed, in words safe to show the project's owner. */
function failureReason(err: unknown): string {
  const type = (err as { errorType?: string } | null)?.errorType;
  return type ? `LLM request failed (${type}) after retries` : 'Generation failed because of an internal error';
}

/** Creates the generation queue. */
export function createGenerator(options: GeneratorOptions) {
  const { projects, llm, generate, metrics, log, concurrency } = options;
  const dbRetryMs = options.dbRetryMs ?? 120_000;
  const queue: Project[] = [];
  const running = new Set<Promise<void>>();
  const shutdown = new AbortController();

  async function retryWhileDbDown(action: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + dbRetryMs;
    for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        return await action();
      } catch (err) {
        if (!(err instanceof DatabaseUnavailableError) || Date.now() + delay > deadline || shutdown.signal.aborted) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async function run(project: Project): Promise<void> {
    const log_ = log.child({ project_id: project.id });
    try {
      let outcome: 'ready' | 'failed' = 'ready';
      try {
        const { files } = await generate(llm, { name: project.name, description: project.description }, shutdown.signal);
        await retryWhileDbDown(() => projects.complete(project.id, files));
      } catch (err) {
        if (shutdown.signal.aborted) return; // left `generating`: resumed at the next start
        outcome = 'failed';
        log_.warn({ err: (err as Error).message }, 'project generation failed');
        await retryWhileDbDown(() => projects.fail(project.id, failureReason(err)));
      }
      metrics.observeGeneration(project.complexity, (Date.now() - new Date(project.created_at).getTime()) / 1000);
      log_.info({ status: outcome }, 'project generation finished');
    } catch (err) {
      log_.error({ err: (err as Error).message }, 'could not record the generation result; the project will be resumed at start');
    }
  }

  function pump(): void {
    while (running.size < concurrency && queue.length > 0 && !shutdown.signal.aborted) {
      const job = run(queue.shift() as Project).finally(() => {
        running.delete(job);
        pump();
      });
      running.add(job);
    }
  }

  return {
    /** Queues `project` for generation. */
    enqueue(project: Project): void {
      queue.push(project);
      pump();
    },
    /** Queues every project a previous run left in `generating`; returns how many. */
    async resumeUnfinished(): Promise<number> {
      const unfinished = await projects.unfinished();
      for (const project of unfinished) queue.push(project);
      pump();
      return unfinished.length;
    },
    /** Jobs queued or running. */
    pending(): number {
      return queue.length + running.size;
    },
    /** Waits up to `graceMs` for running jobs, then aborts the rest (they resume at the next start). */
    async close(graceMs = 5_000): Promise<void> {
      queue.length = 0;
      const timer = setTimeout(() => shutdown.abort(), graceMs);
      await Promise.allSettled([...running]);
      clearTimeout(timer);
      shutdown.abort();
    },
  };
}

export type Generator = ReturnType<typeof createGenerator>;
