// A simulated browser: one cookie jar, one client IP, one user agent, and the real
// `createAuthClient` from better-auth wired to it. Node has no cookie store, so the jar plays the
// browser's part: it stores Set-Cookie, sends Cookie, and sends Origin as a browser would on
// every request (without it the server's origin check rightly refuses cookie-bearing POSTs).
import { request as httpRequest } from "node:http";
import { createAuthClient } from "better-auth/client";

let clients = 0;

/**
 * Each simulated client gets its own address from 198.18.0.0/15 (reserved for benchmarking), sent as
 * X-Forwarded-For. The servers key their rate limiter and session.ipAddress on it. Only a header:
 * no traffic goes anywhere but 127.0.0.1.
 */
function nextIdentity() {
  clients += 1;
  const n = clients;
  return { ip: `198.18.${(n >> 8) & 255}.${n & 255}`, userAgent: `tessera-compat-browser/${n}` };
}

/** Parses one Set-Cookie header into {name, value, attributes (lower-cased keys), raw}. */
export function parseSetCookie(raw) {
  const [pair, ...attrs] = raw.split(";");
  const eq = pair.indexOf("=");
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  const attributes = {};
  for (const a of attrs) {
    const i = a.indexOf("=");
    const key = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
    if (key === "") continue;
    attributes[key] = i < 0 ? true : a.slice(i + 1).trim();
  }
  return { name, value, attributes, raw };
}

export class Browser {
  /**
   * @param {string} baseURL  server origin, e.g. http://127.0.0.1:4000
   * @param {object} [opts]
   * @param {unknown[]} [opts.plugins]  client plugins for createAuthClient
   * @param {string|null} [opts.origin] Origin header to send; null sends none. Default: baseURL's origin.
   */
  constructor(baseURL, { plugins = [], origin } = {}) {
    const { ip, userAgent } = nextIdentity();
    this.baseURL = baseURL;
    this.plugins = plugins;
    this.ip = ip;
    this.userAgent = userAgent;
    this.origin = origin === undefined ? new URL(baseURL).origin : origin;
    this.jar = new Map();
    /** Set-Cookie headers of the most recent response, parsed. */
    this.lastSetCookies = [];
    /** The most recent response; its body belongs to whoever made the request. */
    this.lastResponse = null;
    this.fetch = this.fetch.bind(this);
    this.client = createAuthClient({
      baseURL,
      plugins,
      fetchOptions: { customFetchImpl: this.fetch },
    });
  }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  cookie(name) {
    return this.jar.get(name);
  }

  setCookie(name, value) {
    this.jar.set(name, value);
  }

  /** The same browser (cookies, IP, user agent) pointed at another server, e.g. after a switch-over. */
  moveTo(baseURL) {
    const moved = new Browser(baseURL, { plugins: this.plugins });
    moved.ip = this.ip;
    moved.userAgent = this.userAgent;
    for (const [k, v] of this.jar) moved.jar.set(k, v);
    return moved;
  }

  /** A second browser (own IP) holding a copy of this one's cookies and client plugins (a stolen or copied cookie). */
  clone() {
    const other = new Browser(this.baseURL, { plugins: this.plugins, origin: this.origin });
    for (const [k, v] of this.jar) other.jar.set(k, v);
    return other;
  }

  /** The fetch the client uses: adds this browser's headers, stores its cookies. */
  async fetch(input, init = {}) {
    const request = input instanceof Request ? input : null;
    const url = request ? request.url : String(input);
    const headers = new Headers(request ? request.headers : undefined);
    for (const [k, v] of new Headers(init.headers)) headers.set(k, v);
    const method = init.method ?? request?.method ?? "GET";
    let body = init.body;
    if (body === undefined && request && method !== "GET" && method !== "HEAD") body = await request.text();
    return this.exchange(url, { method, headers, body, signal: init.signal });
  }

  async exchange(url, { method, headers, body, signal, origin = this.origin, cookies = true }) {
    headers.set("x-forwarded-for", this.ip);
    headers.set("user-agent", this.userAgent);
    if (origin !== null && !headers.has("origin")) headers.set("origin", origin);
    const cookie = this.cookieHeader();
    if (cookies && cookie !== "" && !headers.has("cookie")) headers.set("cookie", cookie);
    const response = await fetch(url, { method, headers, body, redirect: "manual", signal });
    this.absorb(response);
    return response;
  }

  absorb(response) {
    this.lastResponse = response;
    this.lastSetCookies = response.headers.getSetCookie().map(parseSetCookie);
    for (const c of this.lastSetCookies) {
      const maxAge = c.attributes["max-age"];
      const expired = c.value === "" || (maxAge !== undefined && Number(maxAge) <= 0);
      if (expired) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
  }

  /**
   * A raw HTTP exchange with this browser's cookies and identity, for what the client hides (status
   * lines, headers, malformed bodies). It goes through node:http, not fetch, so that exactly the
   * given headers are sent: fetch adds `Sec-Fetch-Mode: cors` on its own, which Better Auth reads.
   * @param {string} path  path under the base URL, e.g. "/api/auth/get-session"
   * @param {object} [opts]
   * @param {string} [opts.method]  default GET without a body, POST with one
   * @param {unknown} [opts.json]   sent as application/json
   * @param {string} [opts.body]    sent as is
   * @param {Record<string,string|null>} [opts.headers]  null removes a default (e.g. x-forwarded-for)
   * @param {string|null} [opts.origin]  override the Origin header; null sends none
   * @param {boolean} [opts.cookies]     false sends no Cookie header (the jar still absorbs Set-Cookie)
   */
  async request(path, { method, json, body, headers = {}, origin = this.origin, cookies = true } = {}) {
    const h = { "x-forwarded-for": this.ip, "user-agent": this.userAgent };
    if (origin !== null) h.origin = origin;
    const cookie = this.cookieHeader();
    if (cookies && cookie !== "") h.cookie = cookie;
    if (json !== undefined) {
      h["content-type"] = "application/json";
      body = JSON.stringify(json);
    }
    for (const [k, v] of Object.entries(headers)) {
      if (v === null) delete h[k.toLowerCase()];
      else h[k.toLowerCase()] = v;
    }
    method ??= body === undefined ? "GET" : "POST";
    const res = await rawHttp(`${this.baseURL}${path}`, { method, headers: h, body });
    this.absorb(res);
    let parsed;
    try {
      parsed = res.text === "" ? undefined : JSON.parse(res.text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text: res.text, json: parsed, setCookies: this.lastSetCookies };
  }
}

/** One HTTP/1.1 request with exactly these headers; resolves to {status, headers: Headers, text}. */
export function rawHttp(url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolveRes, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
      }
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => resolveRes({ status: res.statusCode, statusText: res.statusMessage, headers: h, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}
