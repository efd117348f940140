// The gateway's own API, called with the signed-in credential. The credential lives in sessionStorage (gone
// when the tab closes) and only ever travels in the Authorization header, never in a URL.
const STORE = 'gateway-ui-token';
/** Who the gateway says the signed-in caller is, and the routes its policy lets through (GET /ui/session). */
const WHO = 'gateway-ui-session';

export const session = {
  get: () => sessionStorage.getItem(STORE),
  /** Keeps `token` once the gateway has accepted it (`who`: its /ui/session answer). */
  set: (token, who) => {
    sessionStorage.setItem(STORE, token);
    sessionStorage.setItem(WHO, JSON.stringify(who));
  },
  clear: () => {
    sessionStorage.removeItem(STORE);
    sessionStorage.removeItem(WHO);
  },
  who: () => JSON.parse(sessionStorage.getItem(WHO) ?? 'null'),
  /** Whether the caller's policy lets `route` through (the handler may still refuse, e.g. another team's key). */
  may: (route) => session.who()?.routes.includes(route) ?? false,
  /** Whether any route that changes something is let through (a viewer's routes only read). */
  mayWrite: () => session.who()?.routes.some((r) => !READ_ONLY.test(r)) ?? false,
};
const READ_ONLY = /\/(info|list)$|^\/spend\/|^\/global\/spend\/|^\/health$/;

/** Checks `token` with the gateway and keeps it: rejects, in the API's words, when the gateway refuses it. */
export async function signIn(token) {
  const who = await api('/ui/session', { token });
  session.set(token, who);
  return who;
}

/** An answer the API refused, with the API's own words (OpenAI error shape) as its message. */
export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls `path` on this origin; resolves to the parsed JSON answer, rejects with an ApiError. */
export async function api(path, { method = 'GET', body, token = session.get() } = {}) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const err = data && typeof data === 'object' ? data.error : undefined;
    throw new ApiError(res.status, err?.message ?? `${res.status} ${res.statusText}`, err?.code);
  }
  return data;
}

/** POSTs `body` as JSON to `path` (the API's writes). */
export const post = (path, body) => api(path, { method: 'POST', body });
