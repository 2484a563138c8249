// A small static file server for llbsim's page (no dependencies).
//
//   node e2e/serve.mjs ROOT PORT      serves ROOT (the repo root) on http://127.0.0.1:PORT/
//
// `/` redirects to `/www/` (the page, which loads `../pkg/llbsim.js`). Every response carries
// an explicit Content-Type (.wasm is application/wasm, so streaming compilation works) and
// `X-Content-Type-Options: nosniff`. Paths are confined to ROOT, symlinks included, and dot
// files (.git, .tools, …) are never served. Only GET and HEAD.
//
// Tests use `startServer(root, port)`, which resolves to `{ server, url }` once listening.

import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".pb": "application/octet-stream",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

const BASE_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-cache",
  "Referrer-Policy": "no-referrer",
};

function send(res, status, text, headers = {}) {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, {
    ...BASE_HEADERS,
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": body.length,
    ...headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** Maps a request to a file under `root` (a real path), or null when it must not be served. */
async function resolveFile(root, pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const segments = decoded.split(/[/\\]+/).filter((s) => s !== "");
  if (segments.some((s) => s.startsWith("."))) return null; // "..", ".git", ".tools", …
  const candidate = resolve(root, ...segments);
  if (candidate !== root && !candidate.startsWith(root + sep)) return null;
  let real;
  try {
    real = await realpath(candidate);
  } catch {
    return null;
  }
  if (real !== root && !real.startsWith(root + sep)) return null; // a symlink out of ROOT
  return real;
}

async function handle(root, req, res) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    send(res, 405, "method not allowed", { Allow: "GET, HEAD" });
    return;
  }
  let url;
  try {
    url = new URL(req.url, "http://localhost");
  } catch {
    send(res, 400, "bad request");
    return;
  }
  if (url.pathname === "/" || url.pathname === "/index.html") {
    send(res, 302, "see /www/", { Location: "/www/" });
    return;
  }
  let file = await resolveFile(root, url.pathname);
  let info = file && (await stat(file).catch(() => null));
  if (info && info.isDirectory()) {
    if (!url.pathname.endsWith("/")) {
      send(res, 301, "moved", { Location: `${url.pathname}/${url.search}` });
      return;
    }
    file = await resolveFile(root, `${url.pathname}index.html`);
    info = file && (await stat(file).catch(() => null));
  }
  if (!file || !info || !info.isFile()) {
    send(res, 404, "not found");
    return;
  }
  res.writeHead(200, {
    ...BASE_HEADERS,
    "Content-Type": MIME[extname(file).toLowerCase()] || "application/octet-stream",
    "Content-Length": info.size,
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on("error", () => res.destroy());
  stream.pipe(res);
}

/**
 * Serves `root` on 127.0.0.1:`port` (0 picks a free port). Resolves to `{ server, url }`, where
 * `url` is the base URL without a trailing slash, e.g. "http://127.0.0.1:41234".
 */
export async function startServer(root, port = 0) {
  const realRoot = await realpath(resolve(root));
  const server = createServer((req, res) => {
    handle(realRoot, req, res).catch((err) => {
      console.error("serve.mjs:", err);
      if (!res.headersSent) send(res, 500, "internal error");
      else res.destroy();
    });
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", fail);
      ok();
    });
  });
  const { port: actual } = server.address();
  return { server, url: `http://127.0.0.1:${actual}` };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [root = ".", portArg = "8000"] = process.argv.slice(2);
  const port = Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`usage: node e2e/serve.mjs ROOT PORT (bad port ${JSON.stringify(portArg)})`);
    process.exit(2);
  }
  try {
    const { url } = await startServer(root, port);
    console.log(`serving ${resolve(root)} at ${url}/`);
  } catch (err) {
    console.error(`serve.mjs: cannot serve on port ${port}: ${err.message}`);
    process.exit(1);
  }
}
