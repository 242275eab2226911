import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { contentTypeOf, dashboardCsp, resolveStatic, startDashboardServer, type DashboardServer } from '../../../local/dashboard/server';

interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with the path sent exactly as given (fetch would normalise `..` away). */
function raw(port: number, method: string, rawPath: string, headers: http.OutgoingHttpHeaders = {}, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A fake API stage on loopback that records what reaches it and answers like API Gateway. */
async function startUpstream(seen: SeenRequest[]): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.headers.authorization !== 'id-token-1') {
        res.writeHead(401, { 'content-type': 'application/json', 'x-amzn-requestid': 'r-1' });
        res.end('{"message":"Unauthorized"}');
        return;
      }
      res.writeHead(req.method === 'POST' ? 201 : 200, {
        'content-type': 'application/json',
        'x-amzn-requestid': 'r-2',
        'x-custom': 'kept',
      });
      res.end(JSON.stringify({ echoed: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('local dashboard server', () => {
  let root: string;
  let dist: string;
  let dashboard: DashboardServer;
  let upstream: { server: http.Server; port: number };
  const seen: SeenRequest[] = [];
  const signInOrigin = 'http://127.0.0.1:23008';
  const config = {
    apiBase: '/v1',
    title: 'Test board',
    stage: 'dev',
    timeZone: 'Asia/Shanghai',
    refreshSeconds: 5,
    auth: { domain: signInOrigin, clientId: 'client-1', scopes: ['openid', 'email', 'profile'] },
  };

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-dash-'));
    dist = path.join(root, 'dist');
    fs.mkdirSync(path.join(dist, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>board</title>');
    fs.writeFileSync(path.join(dist, 'app.js'), 'console.log(1);');
    fs.writeFileSync(path.join(dist, 'styles.css'), 'body{}');
    fs.writeFileSync(path.join(root, 'secret.txt'), 'top secret');
    fs.writeFileSync(path.join(root, 'dist-evil.txt'), 'sibling secret');
    upstream = await startUpstream(seen);
    dashboard = await startDashboardServer({
      port: 0,
      distDir: dist,
      config,
      signInOrigin,
      apiBase: `http://127.0.0.1:${upstream.port}/dev`,
    });
  });

  afterAll(async () => {
    await dashboard.stop();
    await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
    fs.rmSync(root, { recursive: true, force: true });
  });

  beforeEach(() => {
    seen.length = 0;
  });

  it('serves index.html at / with its content type and the security headers', async () => {
    const answer = await raw(dashboard.port, 'GET', '/');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<title>board</title>');
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers).toMatchObject({
      'content-security-policy': dashboardCsp(signInOrigin),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'strict-origin-when-cross-origin',
    });
    const csp = answer.headers['content-security-policy'] ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    // The page may call the sign-in domain's token endpoint, and nothing else off its origin.
    expect(csp).toMatch(/connect-src 'self' http:\/\/127\.0\.0\.1:23008;/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('serves the bundle and the stylesheet with their content types, and HEAD without a body', async () => {
    const js = await raw(dashboard.port, 'GET', '/app.js');
    expect([js.status, js.headers['content-type'], js.body]).toEqual([200, 'text/javascript; charset=utf-8', 'console.log(1);']);
    const css = await raw(dashboard.port, 'GET', '/styles.css?v=2');
    expect([css.status, css.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);
    const head = await raw(dashboard.port, 'HEAD', '/app.js');
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '15', '']);
    expect(contentTypeOf('app.js.map')).toBe('application/json; charset=utf-8');
  });

  it('serves /config.json from the given object, uncached', async () => {
    const answer = await raw(dashboard.port, 'GET', '/config.json');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(answer.body)).toEqual(config);
  });

  it.each(['/nope.html', '/sub', '/sub/', '/index.html/x', '/v2/metrics'])('answers 404 for %s (no fallback to index.html)', async (p) => {
    const answer = await raw(dashboard.port, 'GET', p);
    expect(answer.status).toBe(404);
    expect(answer.headers['x-frame-options']).toBe('DENY');
  });

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/sub/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/../dist-evil.txt',
    '/..%2fdist-evil.txt',
    '/%00index.html',
    '/%E0%A4%A',
  ])('does not serve anything outside the dist directory: %s', async (p) => {
    const answer = await raw(dashboard.port, 'GET', p);
    expect([400, 404]).toContain(answer.status);
    expect(answer.body).not.toMatch(/secret/);
  });

  it('refuses methods other than GET and HEAD on static files', async () => {
    const answer = await raw(dashboard.port, 'POST', '/index.html', { 'content-type': 'text/plain' }, 'x');
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
  });

  it('proxies /v1/* to the API stage with the query string and the Authorization header, streaming the answer back', async () => {
    // act
    const answer = await raw(dashboard.port, 'GET', '/v1/metrics?name=events&dim=props.province&from=2024-05-27T11%3A00', {
      authorization: 'id-token-1',
      accept: 'application/json',
    });

    // assess: what reached the upstream
    expect(seen).toHaveLength(1);
    expect(seen[0].method).toBe('GET');
    expect(seen[0].url).toBe('/dev/v1/metrics?name=events&dim=props.province&from=2024-05-27T11%3A00');
    expect(seen[0].headers.authorization).toBe('id-token-1');
    expect(seen[0].headers.accept).toBe('application/json');
    expect(seen[0].headers.host).toBe(`127.0.0.1:${upstream.port}`);
    expect(seen[0].headers['x-forwarded-for']).toBe('127.0.0.1');
    // and what came back
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ echoed: '/dev/v1/metrics?name=events&dim=props.province&from=2024-05-27T11%3A00' });
    expect(answer.headers['x-custom']).toBe('kept');
    expect(answer.headers['x-amzn-requestid']).toBe('r-2');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  it("passes the API's 401 through when the token is missing", async () => {
    const answer = await raw(dashboard.port, 'GET', '/v1/alerts');
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({ message: 'Unauthorized' });
    expect(seen[0].headers.authorization).toBeUndefined();
  });

  it('forwards the method and the body', async () => {
    const body = JSON.stringify({ events: [{ eventId: 'e1' }] });
    const answer = await raw(
      dashboard.port,
      'POST',
      '/v1/events',
      { authorization: 'id-token-1', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      body,
    );
    expect(answer.status).toBe(201);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/dev/v1/events', body });
    expect(seen[0].headers['content-type']).toBe('application/json');
  });

  it('keeps dot segments from escaping the proxied prefix', async () => {
    const answer = await raw(dashboard.port, 'GET', '/v1/../secret.txt', { authorization: 'id-token-1' });
    expect(answer.status).toBe(404);
    expect(seen).toHaveLength(0);
  });

  it('answers 502 (without an API Gateway request id) when the API is down', async () => {
    // prepare: a port nothing listens on
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const lonely = await startDashboardServer({
      port: 0,
      distDir: dist,
      config,
      signInOrigin,
      apiBase: `http://127.0.0.1:${deadPort}/dev`,
    });
    try {
      // act
      const answer = await raw(lonely.port, 'GET', '/v1/alerts', { authorization: 'id-token-1' });

      // assess
      expect(answer.status).toBe(502);
      expect(answer.headers['x-amzn-requestid']).toBeUndefined();
      expect(JSON.parse(answer.body).message).toMatch(/unreachable/);
    } finally {
      await lonely.stop();
    }
  });

  it('resolves static paths only inside the directory', () => {
    expect(resolveStatic(dist, '/')).toBe(path.join(dist, 'index.html'));
    expect(resolveStatic(dist, '/app.js')).toBe(path.join(dist, 'app.js'));
    expect(resolveStatic(dist, '/..%2fsecret.txt')).toBeUndefined();
    expect(resolveStatic(dist, '/sub')).toBeUndefined();
  });
});
