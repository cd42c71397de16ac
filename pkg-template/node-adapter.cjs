// faceid-edge/node: serves a Worker-shaped handler ((request, env, ctx) =>
// Promise<Response>, such as createEdgeHandler's) from Node's own HTTP
// objects: node:http, Express/Connect (with `next`), Koa (ctx.req/ctx.res)
// and Fastify (request.raw/reply.raw). Bodies stream both ways; nothing is
// buffered whole. CommonJS, so `require` and `import` share it.
"use strict";
const { Readable } = require("node:stream");
const { pipeline } = require("node:stream/promises");

/** Headers Node keeps that a fetch Request refuses or that describe the old connection. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer", "expect"]);

/** An error answer in the handler's own shape. */
function errorResponse(status, code, message) {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

/** Checks `publicOrigin`: an absolute http(s) origin with nothing after the host. */
function checkOrigin(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.origin !== value.replace(/\/$/, "")) {
    throw new TypeError(`publicOrigin must be an origin such as "https://h5.example.com" (scheme and host, no path); got ${JSON.stringify(String(value)).slice(0, 100)}`);
  }
  return url.origin;
}

/** The first value of a header that may have been sent several times or as a list. */
function first(value) {
  const one = Array.isArray(value) ? value[0] : value;
  return typeof one === "string" ? one.split(",")[0].trim() : undefined;
}

/**
 * The request's origin: `publicOrigin` when given; with `trustProxy`, the
 * proxy's X-Forwarded-Proto and X-Forwarded-Host; otherwise the connection's
 * own scheme and its Host header.
 */
function originOf(req, options) {
  if (options.publicOrigin) return options.publicOrigin;
  const encrypted = Boolean(req.socket && req.socket.encrypted);
  let proto = encrypted ? "https" : "http";
  let host = first(req.headers.host);
  if (options.trustProxy) {
    const fProto = first(req.headers["x-forwarded-proto"]);
    const fHost = first(req.headers["x-forwarded-host"]);
    if (fProto === "https" || fProto === "http") proto = fProto;
    if (fHost) host = fHost;
  }
  if (!host || !/^[A-Za-z0-9.\-:[\]]+$/.test(host)) return null;
  return `${proto}://${host}`;
}

/**
 * The body a body parser (express.json(), koa-bodyparser, Fastify's own)
 * already read, as bytes the handler can read again; `undefined` when no
 * parser ran; an Error when the parsed form cannot be turned back into what
 * was sent.
 */
function parsedBody(req) {
  const body = req.body;
  if (body === undefined) return undefined;
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  const type = String(req.headers["content-type"] || "").toLowerCase();
  if (body !== null && typeof body === "object" && type.startsWith("application/json")) {
    return JSON.stringify(body);
  }
  return new Error(
    `a body parser read this ${type.split(";")[0] || "request"} body before the faceid-edge handler: mount the handler before express.json(), express.urlencoded() or multer (or skip them for its routes)`,
  );
}

/**
 * Makes `(req, res, next?) => Promise<void>` from a Worker-shaped handler.
 * Options: `publicOrigin` (the origin users reach, e.g. behind a TLS proxy;
 * required when the Host header cannot be trusted), `trustProxy`
 * (X-Forwarded-Proto and X-Forwarded-Host decide the origin), `env` (the
 * handler's second argument), `onError(error)` (told of a handler that
 * rejected or a response that could not be written).
 * The result's `drain()` settles when every `ctx.waitUntil` promise has.
 */
function toNodeHandler(handler, options = {}) {
  if (typeof handler !== "function") {
    throw new TypeError(`toNodeHandler takes the handler function (createEdgeHandler's result); got ${handler === null ? "null" : typeof handler}`);
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError("toNodeHandler's options must be an object { publicOrigin?, trustProxy?, env?, onError? }");
  }
  const settings = {
    publicOrigin: options.publicOrigin === undefined ? undefined : checkOrigin(options.publicOrigin),
    trustProxy: options.trustProxy === true,
    env: options.env,
    onError: typeof options.onError === "function" ? options.onError : () => {},
  };
  const pending = new Set();
  const ctx = {
    waitUntil(promise) {
      const p = Promise.resolve(promise).catch((e) => settings.onError(e));
      pending.add(p);
      p.finally(() => pending.delete(p));
    },
    passThroughOnException() {},
  };

  async function nodeHandler(req, res, next) {
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(new Error("the client went away"));
    };
    res.on("close", onClose);
    let response;
    try {
      response = await answer(req, abort.signal);
    } catch (e) {
      settings.onError(e);
      if (typeof next === "function") return next(e);
      response = errorResponse(500, "INTERNAL", "the handler failed");
    }
    try {
      await send(response, res);
    } catch (e) {
      settings.onError(e);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else {
        res.destroy();
      }
    } finally {
      res.off("close", onClose);
    }
  }

  async function answer(req, signal) {
    const origin = originOf(req, settings);
    if (!origin) return errorResponse(400, "INVALID_URL", "the request has no usable Host header: set publicOrigin in toNodeHandler's options");
    const path = typeof req.originalUrl === "string" ? req.originalUrl : req.url;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith(":") || HOP_BY_HOP.has(name) || value === undefined) continue;
      for (const v of [].concat(value)) headers.append(name, v);
    }
    const init = { method: req.method, headers, signal, redirect: "manual" };
    if (req.method !== "GET" && req.method !== "HEAD") {
      const parsed = parsedBody(req);
      if (parsed instanceof Error) return errorResponse(400, "INVALID_BODY", parsed.message);
      if (parsed !== undefined) {
        headers.delete("content-length");
        init.body = parsed;
      } else if (req.readableEnded || req.complete) {
        return errorResponse(400, "INVALID_BODY", "the request body was already read by another middleware: mount the faceid-edge handler before any body parser");
      } else {
        init.body = Readable.toWeb(req);
        init.duplex = "half";
      }
    }
    const request = new Request(new URL(path, origin), init);
    return handler(request, settings.env, ctx);
  }

  async function send(response, res) {
    res.statusCode = response.status;
    const cookies = typeof response.headers.getSetCookie === "function" ? response.headers.getSetCookie() : [];
    for (const [name, value] of response.headers) {
      if (name === "set-cookie") continue;
      res.setHeader(name, value);
    }
    if (cookies.length) res.setHeader("set-cookie", cookies);
    if (!response.body) {
      res.end();
      return;
    }
    await pipeline(Readable.fromWeb(response.body), res);
  }

  nodeHandler.drain = async function drain() {
    while (pending.size) await Promise.allSettled([...pending]);
  };
  return nodeHandler;
}

module.exports = { toNodeHandler };
