/** LiteLLM's report on a key's own logging callbacks (`metadata.logging`). */
export interface LoggingCallbackStatus {
  callbacks: string[];
  status: 'healthy' | 'unhealthy';
  details: string;
}

export interface KeyHealthResponse {
  key: 'healthy' | 'unhealthy';
  logging_callbacks: LoggingCallbackStatus | null;
}

/**
 * `/key/health` as LiteLLM answers it: a key without logging callbacks of its own is healthy, with
 * `logging_callbacks: null`. The gateway sends no key-based logs, so a key that names some (`metadata.logging`, as
 * LiteLLM reads it) is reported unhealthy, naming them, rather than said to log where nothing arrives.
 */
export function keyHealth(metadata: Readonly<Record<string, unknown>> | undefined): KeyHealthResponse {
  const logging = metadata?.logging;
  if (logging === undefined || logging === null) return { key: 'healthy', logging_callbacks: null };
  const entries: unknown[] = Array.isArray(logging) ? logging : [logging];
  const callbacks = entries.flatMap((e) => {
    const name = e && typeof e === 'object' ? (e as Record<string, unknown>).callback_name : undefined;
    return typeof name === 'string' ? [name] : [];
  });
  return {
    key: 'unhealthy',
    logging_callbacks: {
      callbacks,
      status: 'unhealthy',
      details: `Key-based logging is not implemented by this gateway: nothing is sent to ${JSON.stringify(callbacks)}`,
    },
  };
}
