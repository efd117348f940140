import { OPENAI_OPERATION_PATHS, type OpenAIOperation, type Operation } from './providers/provider';

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

/** Anthropic's Messages API and its token count (messages.controller.ts). */
export const MESSAGES_PATH = 'v1/messages';
export const COUNT_TOKENS_PATH = 'v1/messages/count_tokens';

/** Every model-call route as Fastify declares it (`/v1/chat/completions`), and its operation. */
const ROUTE_OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  ...(Object.keys(OPENAI_OPERATION_PATHS) as OpenAIOperation[]).flatMap((op) =>
    [...bodyModelPaths(op), ...azurePath(op)].map((p): [string, Operation] => [`/${p}`, op]),
  ),
  [`/${MESSAGES_PATH}`, 'messages'],
  [`/${COUNT_TOKENS_PATH}`, 'count_tokens'],
]);

/** The model operation a route (its URL pattern) serves; undefined for any other route. */
export function operationOfRoute(routeUrl: string | undefined): Operation | undefined {
  return routeUrl === undefined ? undefined : ROUTE_OPERATIONS.get(routeUrl);
}
