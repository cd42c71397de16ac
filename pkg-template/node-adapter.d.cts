// Types of faceid-edge/node (node-adapter.cjs).
import type { IncomingMessage, ServerResponse } from "node:http";

/** What `toNodeHandler` gives the handler as its third argument. */
export interface NodeHandlerContext {
  /** Keeps work going after the response; `drain()` waits for it. */
  waitUntil(promise: Promise<unknown>): void;
  /** Accepted for Worker compatibility; does nothing in Node. */
  passThroughOnException(): void;
}

/** A Worker-shaped handler, such as `createEdgeHandler`'s result. */
export type FetchHandler = (request: Request, env: unknown, ctx: NodeHandlerContext) => Promise<Response>;

/** Options of `toNodeHandler`. */
export interface NodeHandlerOptions {
  /** The origin users reach, such as `"https://h5.example.com"`: the request URL is built on it, never on the Host header. Set it behind a TLS-terminating proxy, and wherever the Host header is not yours to trust. */
  publicOrigin?: string;
  /** Take the scheme and host from `X-Forwarded-Proto` and `X-Forwarded-Host` (only behind a proxy that sets them). Ignored when `publicOrigin` is set. */
  trustProxy?: boolean;
  /** The handler's second argument (a Worker's `env`). */
  env?: unknown;
  /** Told of a handler that rejected, a `waitUntil` promise that failed, or a response that could not be written. */
  onError?: (error: unknown) => void;
}

/** `(req, res, next?)` for node:http, Express/Connect, Koa (`ctx.req`, `ctx.res`) and Fastify (`request.raw`, `reply.raw`). */
export interface NodeHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void>;
  /** Settles when every `ctx.waitUntil` promise has: await it before the process exits. */
  drain(): Promise<void>;
}

/** Serves a Worker-shaped handler from Node's HTTP objects; bodies stream both ways. */
export declare function toNodeHandler(handler: FetchHandler, options?: NodeHandlerOptions): NodeHandler;
