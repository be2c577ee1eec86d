/**
 * Background generation: runs the agent pipeline for accepted projects inside the API process,
 * at most `concurrency` at a time, and always ends a project `ready` or `failed` with a reason.
 *
 * Finishing writes are retried while the database is unavailable, so an outage does not leave a
 * project stuck in `generating`. Each project is claimed by the instance generating it (see
 * repository.ts): the claims are renewed while the work goes on and released at shutdown, and
 * every instance regularly takes over the projects whose claim lapsed — at start, those a restart
 * interrupted; while running, those of an instance that crashed. An instance whose own claim
 * lapsed and was taken over abandons that project without writing.
 */
import type { Logger } from 'pino';
import { DatabaseUnavailableError } from '../errors.ts';
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
  /** Jobs in flight, and per running project the controller that abandons it. */
  const jobs = new Set<Promise<void>>();
  const running = new Map<string, AbortController>();
  /** Projects this instance has claimed and not finished: queued or running. */
  const claimed = new Set<string>();
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
    const lost = new AbortController();
    running.set(project.id, lost);
    try {
      let outcome: 'ready' | 'failed' = 'ready';
      try {
        const { files } = await generate(llm, { name: project.name, description: project.description }, AbortSignal.any([shutdown.signal, lost.signal]));
        if (lost.signal.aborted) throw lost.signal.reason;
        await retryWhileDbDown(() => projects.complete(project.id, files));
      } catch (err) {
        if (shutdown.signal.aborted) return; // left `generating`: close() releases its claim
        if (lost.signal.aborted) {
          log_.warn('another instance took this project over (its claim lapsed here); abandoned');
          return;
        }
        outcome = 'failed';
        log_.warn({ err: (err as Error).message }, 'project generation failed');
        await retryWhileDbDown(() => projects.fail(project.id, failureReason(err)));
      }
      claimed.delete(project.id);
      metrics.observeGeneration(project.complexity, (Date.now() - new Date(project.created_at).getTime()) / 1000);
      log_.info({ status: outcome }, 'project generation finished');
    } catch (err) {
      claimed.delete(project.id); // no longer renewed: its claim lapses and a round takes it over
      log_.error({ err: (err as Error).message }, 'could not record the generation result; the project is taken over once its claim lapses');
    } finally {
      running.delete(project.id);
    }
  }

  /** Stops working on the projects whose claim another instance holds now (ours lapsed, e.g. in a database outage). */
  function abandon(ids: string[]): void {
    for (const id of ids) {
      claimed.delete(id);
      running.get(id)?.abort(new Error('claim lost'));
      const queued = queue.findIndex((p) => p.id === id);
      if (queued >= 0) queue.splice(queued, 1);
    }
  }

  let closing = false;
  function enqueue(project: Project): void {
    claimed.add(project.id);
    if (closing) return; // taken by a round that was under way: close() releases it
    queue.push(project);
    pump();
  }

  /** Claims the projects no instance holds and queues them; returns how many. */
  async function takeOver(): Promise<number> {
    const projectsToResume = await projects.claimUnfinished();
    for (const project of projectsToResume) enqueue(project);
    return projectsToResume.length;
  }

  // Every third of the claims' lease: renew what we hold, then take over what nobody holds. One
  // round at a time: a slow database must not pile rounds up.
  let round: Promise<void> | undefined;
  const timer = setInterval(() => {
    round ??= (async () => {
      if (claimed.size > 0) abandon(await projects.renewClaims([...claimed]));
      const resumed = await takeOver();
      if (resumed) log.info({ resumed }, 'took over project generations whose claim lapsed');
    })()
      .catch((err: Error) => log.warn({ err: err.message }, 'could not renew or take over generation claims; retrying'))
      .finally(() => (round = undefined));
  }, Math.max(10, Math.floor(projects.claimMs / 3)));
  timer.unref();

  function pump(): void {
    while (jobs.size < concurrency && queue.length > 0 && !shutdown.signal.aborted) {
      const job = run(queue.shift() as Project).finally(() => {
        jobs.delete(job);
        pump();
      });
      jobs.add(job);
    }
  }

  return {
    /** Queues `project` (created claimed by this instance) for generation. */
    enqueue,
    /** Claims and queues every project no instance holds (e.g. left by a restart); returns how many. */
    resumeUnfinished: takeOver,
    /** Jobs queued or running. */
    pending(): number {
      return queue.length + jobs.size;
    },
    /**
     * Waits up to `graceMs` for running jobs, then aborts the rest and releases their claims, so
     * that another instance, or this one's next start, takes them over at once.
     */
    async close(graceMs = 5_000): Promise<void> {
      closing = true;
      clearInterval(timer);
      queue.length = 0;
      const grace = setTimeout(() => shutdown.abort(), graceMs);
      await Promise.allSettled([...jobs, round]);
      clearTimeout(grace);
      shutdown.abort();
      if (claimed.size === 0) return;
      // Best effort: with the database down, the claims lapse by themselves.
      await projects.releaseClaims([...claimed]).catch((err: Error) => log.warn({ err: err.message }, 'could not release generation claims; they lapse by themselves'));
    },
  };
}

export type Generator = ReturnType<typeof createGenerator>;
