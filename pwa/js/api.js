// Talking to the service: one fetch wrapper that adds the login token and turns every failure
// into an ApiError carrying the server's own words (RFC 9457 problem details).

import { t } from "./messages.js";

const BASE = "/api/v1";
// A request on one bar of signal may take a while; one whose answer never comes (a link that
// drops it) must not hold the outbox forever, so it is given up and sent again later.
const TIMEOUT_MS = 120_000;
let token = null;

export function setToken(value) {
  token = value;
}

export class ApiError extends Error {
  constructor({ status, title, detail, errors = [], network = false, retryAfterMs = 0 }) {
    super(detail || title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
    this.network = network;
    this.retryAfterMs = retryAfterMs;
  }

  /** Worth trying again later: no connection, or the server's own trouble. */
  get retryable() {
    return this.network || this.status >= 500 || this.status === 429 || this.status === 408;
  }

  /** The words to show a person: the server's detail and the fields it names. */
  get words() {
    const fields = this.errors.map((e) => e.msg).filter(Boolean);
    return [...new Set([this.detail || this.title, ...fields].filter(Boolean))].join("；");
  }
}

export async function api(path, { method = "GET", json, form } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let response;
  try {
    response = await fetch(BASE + path, { method, headers, body, cache: "no-store", signal: timeout() });
  } catch {
    throw new ApiError({ status: 0, title: t("error.network"), network: true });
  }
  if (response.ok) return response.status === 204 ? null : response.json();
  let problem = {};
  try {
    problem = await response.json();
  } catch {
    // A proxy's HTML error page: fall back to the status alone.
  }
  throw new ApiError({
    status: response.status,
    title: problem.title || t("error.status", { status: response.status }),
    detail: problem.detail,
    errors: Array.isArray(problem.errors) ? problem.errors : [],
    retryAfterMs: retryAfter(response.headers.get("Retry-After")),
  });
}

function timeout() {
  return AbortSignal.timeout ? AbortSignal.timeout(TIMEOUT_MS) : undefined;
}

/** How long the server asked us to wait (Retry-After: seconds or an HTTP date), in ms. */
function retryAfter(value) {
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? 0 : Math.max(0, at - Date.now());
}

/** Every page of a list endpoint, following `next_cursor`. */
export async function apiAll(path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api(`${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/** A file from the API (an export, a photo) as a Blob, with the login token. */
export async function apiBlob(path) {
  let response;
  try {
    response = await fetch(BASE + path, { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal: timeout() });
  } catch {
    throw new ApiError({ status: 0, title: t("error.network"), network: true });
  }
  if (!response.ok) throw new ApiError({ status: response.status, title: t("error.status", { status: response.status }) });
  return response.blob();
}
