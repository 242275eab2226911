import { dashboardCsp } from '../../dashboard/csp';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';

/**
 * The local stand-in of the dashboard's CloudFront distribution: the built dashboard and a
 * generated `/config.json` on one origin, `/v1/*` proxied to the local API stage, and the
 * security headers of the distribution's response-headers policy on every answer.
 */

export { dashboardCsp };

/**
 * The headers CloudFront's response-headers policy adds, with the CSP allowing the sign-in origin
 * (HSTS is left out: it means nothing over plain HTTP on loopback).
 */
export function securityHeaders(signInOrigin: string): Readonly<Record<string, string>> {
  return {
    'content-security-policy': dashboardCsp(signInOrigin),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
  };
}

/** A value of config.json. */
export type ConfigValue = string | number | boolean | readonly ConfigValue[] | { readonly [key: string]: ConfigValue };

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Headers that belong to one connection and are not forwarded by a proxy (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The content type served for a file name. */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export interface DashboardServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** The built dashboard (dashboard/build.ts). */
  readonly distDir: string;
  /** Served as `/config.json` (apiBase, title, stage, timeZone, refreshSeconds, auth: { domain, clientId, scopes }). */
  readonly config: Readonly<Record<string, ConfigValue>>;
  /** Origin of the managed login (the Cognito stand-in), allowed in the CSP's `connect-src` for its token endpoint. */
  readonly signInOrigin: string;
  /** The API stage the `/v1/*` requests go to, e.g. `http://127.0.0.1:8787/dev`. */
  readonly apiBase: string;
  /** Path prefix that is proxied. @default '/v1' */
  readonly proxyPrefix?: string;
  /** Upstream answer timeout. @default 30 000 ms (about CloudFront's origin response timeout) */
  readonly upstreamTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** A running dashboard server. */
export interface DashboardServer {
  /** `http://127.0.0.1:<port>`, the dashboard's address. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * The file under `distDir` a request path names (`/` is index.html), or undefined when it
 * names nothing there: undecodable, a NUL byte, outside the directory, or not a regular file.
 */
export function resolveStatic(distDir: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const root = path.resolve(distDir);
  const file = path.resolve(root, `.${decoded === '/' ? '/index.html' : decoded}`);
  if (!file.startsWith(root + path.sep)) return undefined;
  try {
    return fs.statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

function send(
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
  head: boolean,
  security: Readonly<Record<string, string>>,
): void {
  const buffer = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, ...security, 'content-length': String(buffer.length) });
  res.end(head ? undefined : buffer);
}

function serveStatic(
  options: DashboardServerOptions,
  security: Readonly<Record<string, string>>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathname: string,
): void {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    send(res, 405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' }, 'Method Not Allowed\n', head, security);
    return;
  }
  if (pathname === '/config.json') {
    send(
      res,
      200,
      { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      JSON.stringify(options.config),
      head,
      security,
    );
    return;
  }
  const file = resolveStatic(options.distDir, pathname);
  if (!file) {
    send(res, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'Not Found\n', head, security);
    return;
  }
  fs.readFile(file, (error, content) => {
    if (error) send(res, 500, { 'content-type': 'text/plain; charset=utf-8' }, 'Internal Server Error\n', head, security);
    else send(res, 200, { 'content-type': contentTypeOf(file), 'cache-control': 'no-cache' }, content, head, security);
  });
}

function proxy(
  options: DashboardServerOptions,
  security: Readonly<Record<string, string>>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): void {
  const base = new URL(options.apiBase);
  const target = new URL(`${base.pathname.replace(/\/+$/, '')}${url.pathname}${url.search}`, base);
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'host') headers[name] = value;
  }
  headers['x-forwarded-for'] = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
  headers['x-forwarded-proto'] = 'http';

  const failed = (status: number, message: string): void => {
    options.log?.(`dashboard proxy: ${req.method} ${url.pathname}: ${message}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    send(res, status, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ message }), req.method === 'HEAD', security);
  };
  const upstream = http.request(target, { method: req.method, headers, timeout: options.upstreamTimeoutMs ?? 30_000 }, (answer) => {
    const out: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
    }
    res.writeHead(answer.statusCode ?? 502, { ...out, ...security });
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
  upstream.on('error', (error) =>
    error.message === 'timeout'
      ? failed(504, `the API at ${options.apiBase} did not answer in time`)
      : failed(502, `the API at ${options.apiBase} is unreachable (${error.message})`),
  );
  req.pipe(upstream);
}

/**
 * Serves the built dashboard on loopback the way its CloudFront distribution does: static files
 * with security headers, `/config.json` from `config`, `/v1/*` proxied to `apiBase` (method,
 * headers incl. `Authorization`, query, body; the answer streamed back). Other paths are 404.
 * Rejects if the port is taken.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  const prefix = (options.proxyPrefix ?? '/v1').replace(/\/+$/, '');
  new URL(options.apiBase); // throws on a malformed base, before listening
  const security = securityHeaders(options.signInOrigin);
  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      // The WHATWG parser removes dot segments (also %2e%2e), so `/v1/../x` is `/x` here.
      url = new URL(req.url ?? '/', 'http://dashboard.local');
    } catch {
      send(res, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'Bad Request\n', req.method === 'HEAD', security);
      return;
    }
    if (url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)) proxy(options, security, req, res, url);
    else serveStatic(options, security, req, res, url.pathname);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
