// A forwarding HTTP proxy for loopback addresses only, put between headless
// Chromium and wasm-bindgen-test-runner's file server by `scripts/test-wasm`.
//
// Why: the runner serves the test page with rouille over tiny_http 0.12,
// whose connection pool has a race (`TaskPool::spawn` reads the count of
// waiting threads before a notified thread has taken its task). When
// Chromium opens its parallel keep-alive connections for the page's modules,
// a new connection's task can be queued behind threads that each sit on an
// idle keep-alive socket. That request is then never read: the page stays at
// "Loading scripts..." until chromedriver's 300 s page-load limit, and the
// suite fails without having run (the same report as wasm-pack issue #783).
// It happens most on a cold machine, such as a clean clone in CI.
//
// Through this proxy, Chromium keeps its connections to Node, and every
// request reaches the runner on a new connection sent with
// `Connection: close`, so no runner thread ever waits on an idle socket.
// Anything that is not plain HTTP to 127.0.0.1, ::1 or localhost is refused
// (403), so the browser stays offline. Prints the port it listens on, then
// one line per forwarded request on standard error (the caller checks that
// the browser did come through it).
import http from "node:http";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
// Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own.
const HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function endToEnd(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP.has(name)) out[name] = value;
  }
  return out;
}

const server = http.createServer((req, res) => {
  let target;
  try {
    target = new URL(req.url);
  } catch {
    res.writeHead(400).end("absolute-form request URL expected\n");
    return;
  }
  if (target.protocol !== "http:" || !LOOPBACK.has(target.hostname)) {
    res.writeHead(403).end("loopback only\n");
    return;
  }
  const upstream = http.request(
    {
      host: target.hostname.replace(/^\[|\]$/g, ""),
      port: target.port || 80,
      path: `${target.pathname}${target.search}`,
      method: req.method,
      headers: { ...endToEnd(req.headers), connection: "close" },
      agent: false,
    },
    (answer) => {
      process.stderr.write(`${req.method} ${target.pathname} ${answer.statusCode}\n`);
      answer.on("error", () => res.destroy());
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
    },
  );
  // A browser that goes away mid-answer (each suite ends by closing its
  // window) resets its sockets: end that exchange, never the proxy.
  const drop = () => {
    upstream.destroy();
    res.destroy();
  };
  upstream.on("error", () => {
    if (res.headersSent) {
      res.destroy();
    } else {
      res.writeHead(502).end();
    }
  });
  req.on("error", drop);
  res.on("error", drop);
  req.pipe(upstream);
});
server.on("clientError", (_error, socket) => socket.destroy());
// HTTPS and WebSocket tunnels are not forwarded.
server.on("connect", (_req, socket) => {
  socket.on("error", () => socket.destroy());
  socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
