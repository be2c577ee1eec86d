/**
 * The generation pipeline: two agents, one LLM call each.
 *
 * 1. `architect` plans the files (path + purpose) as JSON.
 * 2. `code_generator` writes every planned file as JSON.
 *
 * Each answer is parsed (a fenced ```json block is fine) and checked with zod inside the LLM
 * attempt (`LlmRequest.validate`), so unusable output is counted as `invalid_response` by the
 * one instrumented wrapper and surfaces as an `LlmError('invalid_response')`. Paths must be
 * relative and stay inside the project; file count and sizes are bounded.
 *
 * The prompts carry their task as one fenced JSON block (`{project, plan?}`), which the
 * simulator reads back with {@link readTask}: it answers these very prompts.
 */
import { z } from 'zod';
import type { Complexity } from '../domain.ts';
import { extractJson } from './json.ts';
import type { LlmClient, LlmRequest } from './types.ts';

/** Bounds on what the agents may produce. */
export const PIPELINE_LIMITS = {
  maxFiles: 20,
  maxPathChars: 200,
  maxFileBytes: 64 * 1024,
  maxTotalBytes: 512 * 1024,
} as const;

/**
 * A path that stays inside the project directory: relative, `/`-separated, no empty, `.` or
 * `..` segments, no backslashes, drive letters or control characters.
 */
export function isSafeRelativePath(path: string): boolean {
  if (path.length === 0 || path.length > PIPELINE_LIMITS.maxPathChars) return false;
  if (path.startsWith('/') || path.includes('\\') || /^[A-Za-z]:/.test(path)) return false;
  if (/[\u0000-\u001f\u007f]/.test(path)) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

const safePath = z.string().refine(isSafeRelativePath, {
  message: `must be a relative path inside the project (no leading /, no .., at most ${PIPELINE_LIMITS.maxPathChars} characters)`,
});

function uniquePaths(files: readonly { path: string }[]): boolean {
  return new Set(files.map((f) => f.path)).size === files.length;
}

/** The architect's answer. */
export const planSchema = z.object({
  files: z
    .array(z.object({ path: safePath, purpose: z.string().min(1).max(500) }))
    .min(1)
    .max(PIPELINE_LIMITS.maxFiles)
    .refine(uniquePaths, 'must not list a path twice'),
});
export type ProjectPlan = z.infer<typeof planSchema>;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** The code generator's answer. */
export const generatedFilesSchema = z.object({
  files: z
    .array(
      z.object({
        path: safePath,
        content: z.string().refine((c) => bytes(c) <= PIPELINE_LIMITS.maxFileBytes, `must be at most ${PIPELINE_LIMITS.maxFileBytes} bytes`),
      }),
    )
    .min(1)
    .max(PIPELINE_LIMITS.maxFiles)
    .refine(uniquePaths, 'must not contain a path twice')
    .refine((files) => files.reduce((sum, f) => sum + bytes(f.content), 0) <= PIPELINE_LIMITS.maxTotalBytes, `must total at most ${PIPELINE_LIMITS.maxTotalBytes} bytes`),
});
export type GeneratedFiles = z.infer<typeof generatedFilesSchema>;

/** What the user asked for. */
export interface ProjectInput {
  name: string;
  description: string;
}

const taskSchema = z.object({
  project: z.object({ name: z.string(), description: z.string() }),
  plan: planSchema.shape.files.optional(),
});
/** The task block of a pipeline prompt. */
export type AgentTask = z.infer<typeof taskSchema>;

function taskBlock(task: AgentTask): string {
  return `\`\`\`json\n${JSON.stringify(task, null, 2)}\n\`\`\``;
}

/** Reads the task block back from a pipeline prompt; undefined for any other text. */
export function readTask(prompt: string): AgentTask | undefined {
  try {
    const parsed = taskSchema.safeParse(extractJson(prompt));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const ARCHITECT_SYSTEM = [
  'You are the architect of Samokoder, which turns a short description into a small, runnable starter project.',
  'Plan the files of the project described in the task block.',
  'Answer with JSON only, no prose: {"files":[{"path":"relative/path.ext","purpose":"one sentence"}]}.',
  `At most ${PIPELINE_LIMITS.maxFiles} files. Paths are relative, use forward slashes and never contain "..".`,
].join('\n');

const CODE_GENERATOR_SYSTEM = [
  'You are the code generator of Samokoder.',
  'Write the complete content of every file in the plan of the task block, for the project it describes.',
  'Answer with JSON only, no prose: {"files":[{"path":"relative/path.ext","content":"the whole file"}]}.',
  `Use exactly the planned paths. Each file at most ${PIPELINE_LIMITS.maxFileBytes} bytes.`,
].join('\n');

/** The architect's request for `input`. */
export function architectRequest(input: ProjectInput): LlmRequest {
  return {
    agent: 'architect',
    system: ARCHITECT_SYSTEM,
    prompt: `Plan the files of this project.\n\n${taskBlock({ project: input })}`,
    maxTokens: 1024,
  };
}

/** The code generator's request for `input` and the architect's `plan`. */
export function codeGeneratorRequest(input: ProjectInput, plan: ProjectPlan): LlmRequest {
  return {
    agent: 'code_generator',
    system: CODE_GENERATOR_SYSTEM,
    prompt: `Write every file of this plan.\n\n${taskBlock({ project: input, plan: plan.files })}`,
    maxTokens: 8192,
  };
}

/** Parses one agent's answer; throws with a short reason when it is unusable. */
function parseAnswer<T>(text: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>): T {
  let data: unknown;
  try {
    data = extractJson(text);
  } catch {
    throw new Error('no JSON object in the answer');
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new Error(`${issue.path.join('.') || 'answer'} ${issue.message}`);
}

/** One agent call whose answer is parsed inside the counted attempt. */
async function ask<T>(client: LlmClient, req: LlmRequest, schema: z.ZodType<T, z.ZodTypeDef, unknown>, signal?: AbortSignal): Promise<T> {
  let value: T | undefined;
  await client.complete(
    {
      ...req,
      validate: (text) => {
        value = parseAnswer(text, schema);
      },
    },
    signal,
  );
  return value as T;
}

/**
 * Runs architect then code generator for `input`. Rejects with an `LlmError`:
 * `invalid_response` when an answer is unusable, the provider's failure type otherwise.
 */
export async function generateProjectFiles(client: LlmClient, input: ProjectInput, signal?: AbortSignal): Promise<GeneratedFiles> {
  const plan = await ask(client, architectRequest(input), planSchema, signal);
  return ask(client, codeGeneratorRequest(input, plan), generatedFilesSchema, signal);
}

/**
 * Feature groups the complexity estimate looks for, English and Russian stems (the product's
 * users write both). Each group counts once however often it matches.
 */
const FEATURE_GROUPS: readonly RegExp[] = [
  /\b(auth|login|sign[- ]?up|users?|accounts?|oauth|jwt)|авториз|логин|пользовател|регистрац/i,
  /\b(database|db|sql|postgres\w*|mysql|mongo\w*|redis|sqlite)\b|баз[а-яё]* данных/i,
  /\b(api|rest|graphql|endpoints?|backend|grpc)\b|бэкенд|эндпоинт/i,
  /\b(payments?|billing|stripe|subscriptions?|checkout)\b|оплат|платеж|платёж|подписк/i,
  /\b(real[- ]?time|websockets?|chat|notifications?|push)\b|чат|уведомлен|реального времени/i,
  /\b(admin|dashboard|analytics|reports?|charts?)\b|админ|дашборд|аналитик|отчет|отчёт/i,
  /\b(telegram|email|webhooks?|integrations?|sms|slack)\b|телеграм|интеграц|почт/i,
  /\b(docker|kubernetes|k8s|deploy\w*|ci|cd|microservices?)\b|деплой|микросервис/i,
  /\b(uploads?|files?|storage|s3|images?|video)\b|загрузк|файл|хранилищ|изображен/i,
  /\b(search|recommendations?|ml|ai|llm|machine learning)\b|поиск|рекомендац|нейросет/i,
];

/**
 * Estimates how complex the described project is, for the generation-duration histogram.
 *
 * Heuristic: `score = features + floor(words / 50)`, where `features` is how many of the
 * {@link FEATURE_GROUPS} (auth, database, API, payments, real-time, admin, integrations,
 * deployment, files, search/AI) the description mentions and `words` its word count.
 * `simple` up to 1, `medium` up to 3, `complex` above.
 */
export function estimateComplexity(description: string): Complexity {
  const features = FEATURE_GROUPS.filter((group) => group.test(description)).length;
  const words = description.split(/\s+/).filter(Boolean).length;
  const score = features + Math.floor(words / 50);
  if (score <= 1) return 'simple';
  if (score <= 3) return 'medium';
  return 'complex';
}
