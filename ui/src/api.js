// The gateway's own API, called with the signed-in credential. The credential lives in sessionStorage (gone
// when the tab closes) and only ever travels in the Authorization header, never in a URL.
const STORE = 'gateway-ui-token';

export const session = {
  get: () => sessionStorage.getItem(STORE),
  set: (token) => sessionStorage.setItem(STORE, token),
  clear: () => sessionStorage.removeItem(STORE),
};

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
  const headers = { authorization: `Bearer ${token}` };
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
