import { callCost } from './call-cost';
import type { Operation } from './providers/provider';
import type { ModelGroup } from './router/model-group';
import type { Usage } from './streaming/usage';

/** Operations whose answer is text counted in output tokens (the others reserve their input only). */
const WRITES_TEXT: Readonly<Record<Operation, boolean>> = {
  chat: true,
  completions: true,
  responses: true,
  messages: true,
  count_tokens: false,
  embeddings: false,
  moderations: false,
  images: false,
  speech: false,
  transcriptions: false,
  translations: false,
};

/** Output tokens a call may produce on a deployment without `model_info.max_output_tokens` (LiteLLM's default cap). */
export const DEFAULT_OUTPUT_CAP = 16_384;
/** Most choices (`n`) counted: OpenAI's own maximum; a larger `n` is refused upstream anyway. */
const MAX_CHOICES = 128;

/** The prompt tokens a text of this many bytes is counted as before a call: 4 bytes a token, rounded up. */
export function estimatedTokens(bytes: number): number {
  return Math.min(Math.ceil(bytes / 4), Number.MAX_SAFE_INTEGER);
}

/**
 * A call's worst case, held against its budgets and tpm limits while it runs: its prompt estimated from the body's
 * bytes (4 a token, which JSON's own punctuation makes generous), plus the output it may ask for (`max_tokens`,
 * `max_completion_tokens` or `max_output_tokens`, times `n`), capped by the largest `model_info.max_output_tokens` of
 * its group and fallbacks (16,384 for a deployment without one), priced at the dearest deployment. Capped so that no
 * caller can push the shared counters past what Redis' integers hold. Worked out only when asked (`measure`): a
 * caller without budgets or tpm limits never is.
 */
export class Reservation implements Usage {
  promptTokens = 0;
  completionTokens = 0;
  cost = 0;
  private measured = false;

  constructor(
    private readonly op: Operation,
    private readonly payload: Record<string, unknown>,
    /** The body's size in bytes, as a Content-Length (undefined: not known; null: an upload, priced on its output only). */
    private readonly contentLength: string | null | undefined,
    private readonly group: ModelGroup,
    private readonly chains: { chain(group: ModelGroup): readonly ModelGroup[] },
    private readonly requested: string,
  ) {}

  /** Fills in the tokens and the cost (once). */
  measure(): this {
    if (this.measured) return this;
    this.measured = true;
    const payload = this.payload;
    const declared = this.contentLength;
    // A body of unknown size is measured as its JSON.
    const bytes =
      declared === null ? 0 : declared === undefined ? JSON.stringify(payload).length : Number(declared) || 0;
    this.promptTokens = estimatedTokens(bytes);
    const chain = this.chains.chain(this.group);
    if (WRITES_TEXT[this.op]) {
      let limit = 0;
      for (const g of chain)
        for (const d of g.deployments) limit = Math.max(limit, d.config.maxOutputTokens ?? DEFAULT_OUTPUT_CAP);
      const asked = payload.max_tokens ?? payload.max_completion_tokens ?? payload.max_output_tokens;
      const cap = typeof asked === 'number' && asked >= 0 ? Math.min(Math.ceil(asked), limit) : limit;
      const n = typeof payload.n === 'number' && payload.n > 1 ? Math.min(Math.ceil(payload.n), MAX_CHOICES) : 1;
      this.completionTokens = cap * n;
    }
    for (const g of chain)
      for (const d of g.deployments) {
        const c = callCost(this, d, this.requested);
        if (c > this.cost) this.cost = c;
      }
    return this;
  }
}
