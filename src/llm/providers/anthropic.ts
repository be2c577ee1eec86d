/**
 * The `anthropic` provider: one Messages API call through the official SDK (`LLM_BASE_URL`
 * overrides the host, e.g. a gateway or the test fake).
 *
 * As for `openai`: the SDK's retries are off, its timeout only backs ours up, and the answer is
 * checked with zod so an odd payload becomes `invalid_response`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { LlmError } from '../errors.ts';
import type { LlmProvider } from '../types.ts';
import { SDK_TIMEOUT_MARGIN_MS, type ProviderSettings } from '../settings.ts';

const messageSchema = z.object({
  content: z.array(z.object({ type: z.string(), text: z.string().optional() })),
  usage: z.object({ input_tokens: z.number().int().nonnegative(), output_tokens: z.number().int().nonnegative() }).nullish(),
});

/** Creates the Anthropic provider. */
export function anthropicProvider(settings: ProviderSettings): LlmProvider {
  const sdk = new Anthropic({
    apiKey: settings.apiKey,
    // An explicit null keeps a stray ANTHROPIC_AUTH_TOKEN from adding a second credential.
    authToken: null,
    baseURL: settings.baseURL ?? 'https://api.anthropic.com',
    maxRetries: 0,
    timeout: settings.timeoutMs + SDK_TIMEOUT_MARGIN_MS,
    logLevel: 'off',
    openTelemetry: false,
  });
  return {
    name: 'anthropic',
    model: settings.model,
    async send(req, signal) {
      const raw: unknown = await sdk.messages.create(
        {
          model: settings.model,
          system: req.system,
          messages: [{ role: 'user', content: req.prompt }],
          max_tokens: req.maxTokens ?? settings.defaultMaxTokens,
        },
        { signal },
      );
      const parsed = messageSchema.safeParse(raw);
      const text = parsed.success ? parsed.data.content.flatMap((block) => (block.type === 'text' && block.text !== undefined ? [block.text] : [])) : [];
      if (!parsed.success || text.length === 0) throw new LlmError('invalid_response', 'anthropic invalid_response: no text content block in the answer');
      return {
        text: text.join(''),
        usage: { promptTokens: parsed.data.usage?.input_tokens ?? 0, completionTokens: parsed.data.usage?.output_tokens ?? 0 },
      };
    },
  };
}
