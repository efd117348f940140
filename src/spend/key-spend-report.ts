import type { DatabaseService } from '../database/database.service';
import type { Where } from './spend-queries';

interface KeyModelRow {
  api_key: string | null;
  model: string;
  spend: number;
  prompt_tokens: string;
  completion_tokens: string;
}

interface KeyEntry {
  api_key: string;
  total_cost: number;
  total_input_tokens: number;
  total_output_tokens: number;
  model_details: { model: string; total_cost: number; total_input_tokens: number; total_output_tokens: number }[];
}

/**
 * LiteLLM's `/global/spend/report?api_key=` and `?internal_user_id=` answer: one entry per key (its hash; '' for
 * calls without a key), dearest first, with its cost and tokens per model, over the rows `where` selects.
 */
export async function keySpendReport(db: DatabaseService, where: Where): Promise<KeyEntry[]> {
  const rows = await db.query<KeyModelRow>(
    `SELECT "api_key", "model", sum("spend") AS spend, sum("prompt_tokens") AS prompt_tokens,
       sum("completion_tokens") AS completion_tokens
     FROM "spend_logs" ${where.sql} GROUP BY 1, 2 ORDER BY 1, 2`,
    where.params,
  );
  const keys = new Map<string, KeyEntry>();
  for (const r of rows) {
    const apiKey = r.api_key ?? '';
    let e = keys.get(apiKey);
    if (!e) {
      e = { api_key: apiKey, total_cost: 0, total_input_tokens: 0, total_output_tokens: 0, model_details: [] };
      keys.set(apiKey, e);
    }
    const input = Number(r.prompt_tokens);
    const output = Number(r.completion_tokens);
    e.total_cost += r.spend;
    e.total_input_tokens += input;
    e.total_output_tokens += output;
    e.model_details.push({
      model: r.model,
      total_cost: r.spend,
      total_input_tokens: input,
      total_output_tokens: output,
    });
  }
  return [...keys.values()].sort((a, b) => b.total_cost - a.total_cost);
}
