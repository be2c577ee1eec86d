/**
 * The `simulator` provider: used when no LLM key is configured, for demos, tests and load runs.
 *
 * It answers the pipeline's own prompts (it reads the task block with `readTask` and knows the
 * agent from the request): the architect gets a file plan, the code generator a small runnable
 * Node project tailored to the name and description. Output depends only on the input.
 *
 * Realism where the monitoring can see it: latency jitters around `latencyMs` and is abortable;
 * token counts are about one per four characters; with probability `errorRate` a call fails like
 * a provider does — half server errors (500), 30 % rate limits (429 with retry-after), 20 %
 * upstream timeouts — so HighLLMErrorRate can be driven. Both knobs change at runtime.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LlmError } from '../errors.ts';
import { estimateComplexity, readTask, type AgentTask, type ProjectInput, type ProjectPlan } from '../pipeline.ts';
import { DEFAULT_MODELS } from '../settings.ts';
import type { LlmProvider, LlmRequest, SimulatorSettings } from '../types.ts';

/** What a simulated rate limit asks the client to wait, like a provider's `retry-after: 1`. */
const SIMULATED_RETRY_AFTER_MS = 1_000;

/** Roughly how providers' tokenizers count English text and code. */
export function approximateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function checkKnobs(knobs: Partial<SimulatorSettings>): void {
  if (knobs.latencyMs !== undefined && !(Number.isFinite(knobs.latencyMs) && knobs.latencyMs >= 0)) {
    throw new RangeError('latencyMs must be a number of milliseconds, 0 or more');
  }
  if (knobs.errorRate !== undefined && !(knobs.errorRate >= 0 && knobs.errorRate <= 1)) {
    throw new RangeError('errorRate must be a fraction from 0 to 1');
  }
}

/** The first line of `text`, for places (comments, one-line fields) a newline would break. */
function oneLine(text: string): string {
  return text.split(/\r?\n/, 1)[0]!.slice(0, 200);
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'project'
  );
}

/** A web service when the description asks for one, a command-line tool otherwise. */
function isService(description: string): boolean {
  return /\b(api|server|http|rest|backend|service|web|site|bot)\b|сервер|сервис|бэкенд|сайт|бот/i.test(description);
}

/** The architect's plan: three files, plus a test (medium) and config and docs (complex). */
function planFor(project: ProjectInput): ProjectPlan {
  const complexity = estimateComplexity(project.description);
  const files = [
    { path: 'README.md', purpose: 'What the project does and how to run it.' },
    { path: 'package.json', purpose: 'npm manifest with start and test scripts.' },
    {
      path: 'src/index.js',
      purpose: isService(project.description) ? 'HTTP server answering /health and /api/items.' : 'Command-line entry point.',
    },
  ];
  if (complexity !== 'simple') files.push({ path: 'test/index.test.js', purpose: 'Smoke test run by npm test.' });
  if (complexity === 'complex') {
    files.push({ path: 'src/config.js', purpose: 'Settings read from the environment.' });
    files.push({ path: 'docs/ARCHITECTURE.md', purpose: 'How the parts fit together.' });
  }
  return { files };
}

function serviceSource(project: ProjectInput): string {
  return `// ${oneLine(project.name)}: ${oneLine(project.description)}
import { createServer } from 'node:http';

const items = [];

export const server = createServer((req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET' && req.url === '/health') return send(200, { status: 'ok' });
  if (req.method === 'GET' && req.url === '/api/items') return send(200, items);
  if (req.method === 'POST' && req.url === '/api/items') {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      try {
        const item = { id: items.length + 1, ...JSON.parse(body) };
        items.push(item);
        send(201, item);
      } catch {
        send(400, { error: 'invalid JSON' });
      }
    });
    return;
  }
  send(404, { error: 'not found' });
});

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const port = Number(process.env.PORT ?? 3000);
  server.listen(port, '127.0.0.1', () => console.log(\`${slug(project.name)} listening on http://127.0.0.1:\${port}\`));
}
`;
}

function cliSource(project: ProjectInput): string {
  return `#!/usr/bin/env node
// ${oneLine(project.name)}: ${oneLine(project.description)}

export function run(args) {
  if (args.includes('--help')) return ${JSON.stringify(`Usage: ${slug(project.name)} [--help]\n${oneLine(project.description)}`)};
  return ${JSON.stringify(`${project.name} is ready.`)};
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  console.log(run(process.argv.slice(2)));
}
`;
}

/** The content of one planned file. */
function fileContent(project: ProjectInput, plan: ProjectPlan, path: string, purpose: string): string {
  const service = isService(project.description);
  switch (path) {
    case 'README.md':
      return [
        `# ${oneLine(project.name)}`,
        '',
        project.description,
        '',
        '## Run',
        '',
        '```bash',
        'npm start',
        '```',
        '',
        '## Files',
        '',
        ...plan.files.map((f) => `- \`${f.path}\` — ${f.purpose}`),
        '',
      ].join('\n');
    case 'package.json':
      return `${JSON.stringify(
        {
          name: slug(project.name),
          version: '0.1.0',
          description: oneLine(project.description),
          type: 'module',
          scripts: { start: 'node src/index.js', test: 'node --test' },
          engines: { node: '>=20' },
        },
        null,
        2,
      )}\n`;
    case 'src/index.js':
      return service ? serviceSource(project) : cliSource(project);
    case 'test/index.test.js':
      return service
        ? `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { server } from '../src/index.js';\n\ntest('answers /health', async () => {\n  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));\n  const res = await fetch(\`http://127.0.0.1:\${server.address().port}/health\`);\n  assert.equal(res.status, 200);\n  server.close();\n});\n`
        : `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { run } from '../src/index.js';\n\ntest('prints usage', () => {\n  assert.match(run(['--help']), /Usage/);\n});\n`;
    case 'src/config.js':
      return `// Settings of ${oneLine(project.name)}, read once from the environment.\nexport const config = {\n  port: Number(process.env.PORT ?? 3000),\n  logLevel: process.env.LOG_LEVEL ?? 'info',\n};\n`;
    default:
      if (path.endsWith('.md')) return `# ${oneLine(project.name)}: ${path}\n\n${purpose}\n`;
      if (path.endsWith('.json')) return '{}\n';
      return `// ${oneLine(purpose)}\n`;
  }
}

/** The simulated answer to `req`: the agent's JSON, as a model would write it. */
function answer(req: LlmRequest): string {
  const task: AgentTask = readTask(req.prompt) ?? { project: { name: 'project', description: req.prompt.slice(0, 500) } };
  const plan = task.plan ? { files: task.plan } : planFor(task.project);
  if (req.agent === 'architect') {
    // Models like to wrap JSON in prose and a fence; the pipeline must cope, so this does too.
    return `Here is the file plan.\n\n\`\`\`json\n${JSON.stringify(plan, null, 2)}\n\`\`\`\n`;
  }
  const files = plan.files.map((f) => ({ path: f.path, content: fileContent(task.project, plan, f.path, f.purpose) }));
  return JSON.stringify({ files });
}

/** Options of the simulator; `random` makes latency and failures reproducible in tests. */
export interface SimulatorOptions extends SimulatorSettings {
  random?: () => number;
}

/** Creates the simulator provider. */
export function simulatorProvider(options: SimulatorOptions): LlmProvider {
  checkKnobs(options);
  const settings: SimulatorSettings = { latencyMs: options.latencyMs, errorRate: options.errorRate };
  const random = options.random ?? Math.random;
  /** The latency of one call: ±25 % around `factor` times the knob. */
  const wait = (factor: number, signal: AbortSignal) => sleep(settings.latencyMs * factor * (0.75 + random() * 0.5), undefined, { signal });

  return {
    name: 'simulator',
    model: DEFAULT_MODELS.simulator,
    simulator: {
      knobs: () => ({ ...settings }),
      setKnobs(knobs) {
        checkKnobs(knobs);
        if (knobs.latencyMs !== undefined) settings.latencyMs = knobs.latencyMs;
        if (knobs.errorRate !== undefined) settings.errorRate = knobs.errorRate;
      },
    },
    async send(req, signal) {
      if (random() < settings.errorRate) {
        const kind = random();
        if (kind < 0.5) {
          await wait(1, signal);
          throw new LlmError('server_error', 'simulator server_error: HTTP 500 simulated upstream failure', { status: 500 });
        }
        if (kind < 0.8) {
          // Rate limits are refused quickly, before any generation.
          await wait(0.1, signal);
          throw new LlmError('rate_limited', 'simulator rate_limited: HTTP 429 simulated rate limit', { status: 429, retryAfterMs: SIMULATED_RETRY_AFTER_MS });
        }
        // A gateway giving up after a while; our own timer fires first when it is shorter.
        await wait(3, signal);
        throw new LlmError('timeout', 'simulator timeout: simulated upstream timeout');
      }
      await wait(1, signal);
      const text = answer(req);
      return { text, usage: { promptTokens: approximateTokens(req.system + req.prompt), completionTokens: approximateTokens(text) } };
    },
  };
}
