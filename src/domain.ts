/**
 * The product's fixed vocabularies: user tiers, project complexity, LLM providers and agents.
 * Features type their data with these; the metric catalogue takes its label values from them, so
 * a new tier or provider is one edit here and shows up in the metrics with no other change.
 */

/** Subscription tiers; each has its monthly project quota (src/projects/repository.ts). */
export const USER_TIERS = ['free', 'pro', 'enterprise'] as const;
export type UserTier = (typeof USER_TIERS)[number];

/** How big a described app is, estimated from its description (src/llm/pipeline.ts). */
export const COMPLEXITIES = ['simple', 'medium', 'complex'] as const;
export type Complexity = (typeof COMPLEXITIES)[number];

/** LLM providers the API can generate with; `simulator` needs no key. */
export const LLM_PROVIDERS = ['simulator', 'openai', 'anthropic'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

/** The agents of a generation, in the order they run. */
export const LLM_AGENTS = ['architect', 'code_generator'] as const;
export type LlmAgent = (typeof LLM_AGENTS)[number];
