import type { DestinationStream } from 'pino';

const TAGS: Readonly<Record<string, string>> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO ',
  warn: 'WARN ',
  error: 'ERROR',
  fatal: 'FATAL',
};
const COLORS: Readonly<Record<string, string>> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[35m',
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
/** Fields every line has, or that the head of the line already shows. */
const SHOWN = new Set(['level', 'time', 'svc', 'msg', 'context']);
const REQUEST_HEAD = new Set(['method', 'path', 'status', 'ms']);
const BARE = /^[\w.:/@#+-]+$/;

/**
 * One JSON log line as a person reads it: `12:00:01.123 INFO  message key=value ...`; an access line as
 * `POST /v1/chat/completions 200 12.5ms model=... tokens=...`; an error's stack indented below. The line is
 * already scrubbed of secrets (the logger does that before writing); this only reshapes it. Not JSON: as is.
 */
export function prettyLine(json: string, color: boolean): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  if (o === null || typeof o !== 'object') return json;
  const level = typeof o.level === 'string' ? o.level : 'info';
  const time = typeof o.time === 'string' ? o.time.slice(11, 23) : '';
  const request = o.msg === 'request' && typeof o.method === 'string';
  let head = request
    ? `${String(o.method)} ${String(o.path)} ${String(o.status)} ${String(o.ms)}ms`
    : `${typeof o.context === 'string' ? `[${o.context}] ` : ''}${typeof o.msg === 'string' ? o.msg : ''}`;
  let fields = '';
  let stack = '';
  for (const [k, v] of Object.entries(o)) {
    if (SHOWN.has(k) || (request && REQUEST_HEAD.has(k)) || v === undefined) continue;
    if (k === 'err' && v && typeof v === 'object') {
      const e = v as { message?: unknown; stack?: unknown };
      fields += ` err=${value(e.message ?? v)}`;
      if (typeof e.stack === 'string') stack = `\n    ${e.stack.split('\n').slice(1).join('\n    ').trim()}`;
      continue;
    }
    fields += ` ${k}=${value(v)}`;
  }
  if (!color) return `${time} ${TAGS[level] ?? level} ${head}${fields}${stack}\n`;
  if (level === 'warn' || level === 'error' || level === 'fatal') head = `${COLORS[level]}${head}${RESET}`;
  return `${DIM}${time}${RESET} ${COLORS[level] ?? ''}${TAGS[level] ?? level}${RESET} ${head}${DIM}${fields}${stack}${RESET}\n`;
}

function value(v: unknown): string {
  if (typeof v === 'string') return BARE.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

/**
 * The destination reshaped: every line (pino's, and the access log's batched ones) becomes `prettyLine`. Only
 * when asked for (a terminal or LOG_FORMAT=pretty): the JSON path pays nothing for it.
 */
export function prettyDestination<T extends DestinationStream & { batch?(line: string): void }>(
  dest: T,
  color: boolean,
): T {
  const write = dest.write.bind(dest);
  const batch = dest.batch?.bind(dest);
  return Object.assign(dest, {
    write: (line: string) => write(prettyLine(line, color)),
    ...(batch ? { batch: (line: string) => batch(prettyLine(line, color)) } : {}),
  });
}
