#!/usr/bin/env node
// Serves the portal demo on loopback:
//
//   node examples/portal/serve.mjs          a random free port
//   PORT=8080 node examples/portal/serve.mjs
//
// A tiny static server for exactly the files the demo needs: the page, its
// stylesheet and script, and aspekt's ES modules and WebAssembly module from
// bindings/wasm/js (build the module first: `bash bindings/wasm/build.sh`).
// ASPEKT_WASM=path serves another module file.
//
// It serves GET and HEAD only and answers everything else with 405: the
// demo has no endpoint that could receive answers. The Content-Security-Policy
// says the same to the browser: `connect-src 'self'` and `form-action 'none'`.
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath, pathToFileURL } from "node:url";

const portal = new URL("./", import.meta.url);
const js = new URL("../../bindings/wasm/js/", import.meta.url);
const wasm = process.env.ASPEKT_WASM ? pathToFileURL(process.env.ASPEKT_WASM) : new URL("aspekt.wasm", js);
// The instrument library bundle build.sh writes beside the module.
const library = new URL("library.json", wasm);

const TYPES = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  wasm: "application/wasm",
  json: "application/json",
};

/** URL path → file. Nothing else is served. */
const FILES = {
  "/": new URL("index.html", portal),
  "/index.html": new URL("index.html", portal),
  "/portal.css": new URL("portal.css", portal),
  "/portal.js": new URL("portal.js", portal),
  "/aspekt/aspekt.js": new URL("aspekt.js", js),
  "/aspekt/aspekt-questionnaire.js": new URL("aspekt-questionnaire.js", js),
  "/aspekt/aspekt.wasm": wasm,
  "/aspekt/library.json": library,
};

const HEADERS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy": [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
};

function handle(req, res) {
  const path = new URL(req.url, "http://localhost").pathname;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { ...HEADERS, Allow: "GET, HEAD", "Content-Type": "text/plain" });
    res.end("method not allowed\n");
    return;
  }
  const file = Object.hasOwn(FILES, path) ? FILES[path] : null;
  if (!file || !existsSync(file)) {
    const hint = path === "/aspekt/aspekt.wasm" || path === "/aspekt/library.json" ? "build it with `bash bindings/wasm/build.sh`\n" : "";
    res.writeHead(404, { ...HEADERS, "Content-Type": "text/plain; charset=utf-8" });
    res.end(`not found: ${path}\n${hint}`);
    return;
  }
  const type = TYPES[fileURLToPath(file).split(".").pop()] ?? "application/octet-stream";
  res.writeHead(200, { ...HEADERS, "Content-Type": type, "Content-Length": statSync(file).size });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}

/**
 * Starts the server on 127.0.0.1.
 * @param {{port?: number}} [options] port 0 (default: $PORT or 0) picks a free one
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
export function serve({ port = Number(process.env.PORT ?? 0) } = {}) {
  const server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: actual } = server.address();
      resolve({
        url: `http://127.0.0.1:${actual}/`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!existsSync(wasm)) {
    console.error(`warning: ${fileURLToPath(wasm)} is missing; build it with \`bash bindings/wasm/build.sh\``);
  }
  const { url, close } = await serve();
  console.log(`aspekt portal demo: ${url}  (Ctrl-C to stop)`);
  const stop = () => close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
