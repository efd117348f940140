import { OPENAI_OPERATION_PATHS, type OpenAIOperation } from './providers/provider';

/**
 * The paths of a model operation that name the model in the body: the OpenAI API's (with and without `/v1`) and
 * Azure clients' (`/openai/...`, and the v1 API's `/openai/v1/...`).
 */
export function bodyModelPaths(op: OpenAIOperation, suffix = ''): string[] {
  const p = `${OPENAI_OPERATION_PATHS[op]}${suffix}`;
  return [p, `v1/${p}`, `openai/${p}`, `openai/v1/${p}`];
}

/** The Azure deployment form: the path names the model group. */
export function azurePath(op: OpenAIOperation): string {
  return `openai/deployments/:model/${OPENAI_OPERATION_PATHS[op]}`;
}
