/** An OpenAPI schema object (the subset this module writes). */
export type Schema = Record<string, unknown>;

const open = (required: string[], properties: Record<string, Schema>, description: string): Schema => ({
  type: 'object',
  description,
  required,
  properties,
  additionalProperties: true,
});
const model = { type: 'string', description: 'A model name from model_list (in the path for the Azure form)' };
const messages = { type: 'array', items: { type: 'object', additionalProperties: true } };

const chat = open(['model', 'messages'], { model, messages, stream: { type: 'boolean' } }, 'OpenAI chat completion');
const completion = open(['model', 'prompt'], { model, prompt: {}, stream: { type: 'boolean' } }, 'OpenAI completion');
const embeddings = open(['model', 'input'], { model, input: {} }, 'OpenAI embeddings');
const moderation = open(['input'], { model, input: {} }, 'OpenAI moderation');
const image = open(['model', 'prompt'], { model, prompt: { type: 'string' } }, 'OpenAI image generation');
const speech = open(['model', 'input', 'voice'], { model, input: { type: 'string' }, voice: {} }, 'OpenAI speech');
const response = open(['model', 'input'], { model, input: {}, stream: { type: 'boolean' } }, 'OpenAI Responses API');
const message = open(
  ['model', 'messages', 'max_tokens'],
  { model, messages, max_tokens: { type: 'integer' }, stream: { type: 'boolean' } },
  'Anthropic Messages API',
);
const tokenCount = open(['model', 'messages'], { model, messages }, "Anthropic Messages API's token count");
const audio = open(
  ['model', 'file'],
  { model, file: { type: 'string', format: 'binary' } },
  'OpenAI audio transcription or translation (multipart upload, streamed to the provider)',
);

/**
 * The bodies of the model-call routes, by operation id (`Controller_method`). Those handlers read the raw request (they are
 * direct routes, common/http/direct-routes.ts), so no Nest parameter decorator describes them; the provider checks
 * the rest of the body, which is why each schema lists only what the gateway itself needs and allows more.
 */
export const MODEL_CALL_BODIES: Record<string, { schema: Schema; multipart?: true }> = {
  ChatController_chat: { schema: chat },
  ChatController_azureChat: { schema: chat },
  OperationsController_completions: { schema: completion },
  OperationsController_azureCompletions: { schema: completion },
  EmbeddingsController_embeddings: { schema: embeddings },
  EmbeddingsController_azureEmbeddings: { schema: embeddings },
  OperationsController_moderations: { schema: moderation },
  OperationsController_azureModerations: { schema: moderation },
  OperationsController_images: { schema: image },
  OperationsController_azureImages: { schema: image },
  OperationsController_speech: { schema: speech },
  OperationsController_azureSpeech: { schema: speech },
  OperationsController_transcriptions: { schema: audio, multipart: true },
  OperationsController_azureTranscriptions: { schema: audio, multipart: true },
  OperationsController_translations: { schema: audio, multipart: true },
  OperationsController_azureTranslations: { schema: audio, multipart: true },
  ResponsesController_create: { schema: response },
  ResponsesController_azureCreate: { schema: response },
  MessagesController_messages: { schema: message },
  MessagesController_countTokens: { schema: tokenCount },
};
