// The request log: one entry per request to the simulated service (not to the
// /__sim control API). Entries hold parameters, never media: idcardStr and
// sourcePhotoStr are replaced by their lengths, and the secret and access token by "[redacted]".
const LIMIT = 2000; // newest entries kept
const REDACT = new Set(["secret", "access_token"]);

export class RequestLog {
  constructor() {
    this.entries = [];
    this.seq = 0;
  }

  /** Starts an entry for a request; the caller fills in verdict, status and the rest. */
  start(method, url) {
    const query = {};
    for (const [k, v] of url.searchParams) {
      const value = REDACT.has(k) ? "[redacted]" : v;
      query[k] = k in query ? [].concat(query[k], value) : value; // repeated names become a list
    }
    const entry = { seq: ++this.seq, time: new Date().toISOString(), method, path: url.pathname, query, verdict: null, status: null };
    this.entries.push(entry);
    if (this.entries.length > LIMIT) this.entries.shift();
    return entry;
  }

  /** Copies of the entries, optionally only those matching every given field ({ path, orderNo, endpoint, verdict }). */
  list(filter = {}) {
    const keys = Object.entries(filter).filter(([, v]) => v !== undefined && v !== null && v !== "");
    return structuredClone(this.entries.filter((e) => keys.every(([k, v]) => String(e[k]) === String(v))));
  }

  clear() {
    this.entries = [];
  }
}

/** The parsed body as logged: a copy with idcardStr and sourcePhotoStr replaced by their lengths. */
export function loggedBody(body) {
  if (Array.isArray(body)) return `[array of ${body.length}]`;
  if (typeof body === "string") return body.length > 200 ? `[string of ${body.length}]` : body;
  if (typeof body !== "object" || body === null) return body;
  const copy = { ...body };
  if (typeof copy.idcardStr === "string") copy.idcardStr = copy.idcardStr.length;
  if (typeof copy.sourcePhotoStr === "string") copy.sourcePhotoStr = copy.sourcePhotoStr.length;
  return copy;
}
