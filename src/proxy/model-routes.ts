import { OPENAI_OPERATION_PATHS, type OpenAIOperation } from './providers/provider';

/**
 * The paths of a model operation that name the model in the body: the OpenAI API's (with and without `/v1`) and
 * Azure clients' (`/openai/...`, and the v1 API's `/openai/v1/...`).
 */
export function bodyModelPaths(op: OpenAIOperation, suffix = ''): string[] {
  const p = `${OPENAI_OPERATION_PATHS[op]}${suffix}`;
  return [p, `v1/${p}`, `openai/${p}`, `openai/v1/${p}`];
}

const UPLOAD_PATHS = [OPENAI_OPERATION_PATHS.transcriptions, OPENAI_OPERATION_PATHS.translations].map((p) => `/${p}`);

/** Whether a route (its URL pattern) takes a multipart upload: audio transcriptions and translations, in every form. */
export function takesUpload(routeUrl: string | undefined): boolean {
  return routeUrl !== undefined && UPLOAD_PATHS.some((p) => routeUrl.endsWith(p));
}

/**
 * The Azure deployment form: the path names the model group. Also under `/openai/v1/`, where `AzureOpenAI` puts it
 * when its base URL is the v1 API's (`.../openai/v1/`): it adds `/deployments/<model>` to the base it is given.
 */
export function azurePath(op: OpenAIOperation): string[] {
  const p = `deployments/:model/${OPENAI_OPERATION_PATHS[op]}`;
  return [`openai/${p}`, `openai/v1/${p}`];
}

const CHAT_PATH = `/${OPENAI_OPERATION_PATHS.chat}`;

/** Whether a route (its URL pattern) takes a chat completion's body: every form of the path, Azure's included. */
export function takesChat(routeUrl: string | undefined): boolean {
  return routeUrl !== undefined && routeUrl.endsWith(CHAT_PATH);
}
