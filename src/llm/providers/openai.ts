/**
 * The `openai` provider: one Chat Completions call through the official SDK, against OpenAI or
 * any compatible endpoint (`LLM_BASE_URL`: OpenRouter, Groq, Ollama, ...).
 *
 * The SDK's own retries are off and its timeout is only a backstop behind ours, so every attempt
 * passes through the instrumented wrapper and is counted. The answer is checked with zod:
 * compatible endpoints vary, and a missing message is `invalid_response`, not a crash.
 */
import OpenAI from 'openai';
import { z } from 'zod';
import { LlmError } from '../errors.ts';
import type { LlmProvider } from '../types.ts';
import { SDK_TIMEOUT_MARGIN_MS, type ProviderSettings } from '../settings.ts';

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
  // Some compatible servers omit usage; nothing was reported, so nothing is counted.
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }).nullish(),
});

/** Creates the OpenAI-compatible provider. */
export function openaiProvider(settings: ProviderSettings): LlmProvider {
  const sdk = new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseURL ?? 'https://api.openai.com/v1',
    // Explicit nulls keep stray OPENAI_ORG_ID / OPENAI_PROJECT_ID variables out of our requests.
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: settings.timeoutMs + SDK_TIMEOUT_MARGIN_MS,
    logLevel: 'off',
  });
  return {
    name: 'openai',
    model: settings.model,
    async send(req, signal) {
      const raw: unknown = await sdk.chat.completions.create(
        {
          model: settings.model,
          messages: [
            { role: 'system', content: req.system },
            { role: 'user', content: req.prompt },
          ],
          // `max_tokens` rather than `max_completion_tokens`: every compatible server knows it.
          max_tokens: req.maxTokens ?? settings.defaultMaxTokens,
        },
        { signal },
      );
      const parsed = completionSchema.safeParse(raw);
      if (!parsed.success) throw new LlmError('invalid_response', 'openai invalid_response: no choices[0].message.content in the answer');
      return {
        text: parsed.data.choices[0]!.message.content,
        usage: { promptTokens: parsed.data.usage?.prompt_tokens ?? 0, completionTokens: parsed.data.usage?.completion_tokens ?? 0 },
      };
    },
  };
}
