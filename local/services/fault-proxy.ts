import * as http from 'http';
import { closeHttpServer, listen, LOCAL_HOST, type RunningService } from './ports';

/** A rule that makes the proxy answer instead of the upstream service. */
interface FaultRule {
  readonly target: string;
  remaining: number;
  readonly status: number;
  readonly body: string;
}

/** A pass-through HTTP proxy in front of a local service that can be told to fail chosen operations. */
export interface FaultProxy extends RunningService {
  /**
   * The next `count` requests whose `X-Amz-Target` ends with `operation` (e.g. `UpdateItem`)
   * are answered with a DynamoDB `InternalServerError` (HTTP 500) instead of reaching the service.
   * SDK clients retry a 500 (3 attempts by default), so `count` ≥ 3 fails one call for the caller.
   */
  failNext(operation: string, count: number): void;
  /** Requests answered with an injected failure so far, by operation. */
  readonly injected: Readonly<Record<string, number>>;
}

/**
 * Starts a proxy on loopback that forwards every request to `upstream` unchanged, except those
 * matched by an armed fault (tests use it to make a consumer's writes fail part-way through a
 * batch, as a throttled or failing DynamoDB would).
 */
export async function startFaultProxy(upstream: string, port = 0): Promise<FaultProxy> {
  const rules: FaultRule[] = [];
  const injected: Record<string, number> = {};
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const amzTarget = String(req.headers['x-amz-target'] ?? '');
    const rule = rules.find((r) => r.remaining > 0 && amzTarget.endsWith(`.${r.target}`));
    if (rule) {
      rule.remaining -= 1;
      injected[rule.target] = (injected[rule.target] ?? 0) + 1;
      req.resume();
      req.on('end', () => {
        res.writeHead(rule.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'injected-fault' });
        res.end(rule.body);
      });
      return;
    }
    const forward = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: upstream ${upstream} unreachable: ${error.message}`);
    });
    req.pipe(forward);
  });
  const actual = await listen(server, port, 'fault proxy');
  return {
    endpoint: `http://${LOCAL_HOST}:${actual}`,
    port: actual,
    injected,
    failNext(operation: string, count: number) {
      rules.push({
        target: operation,
        remaining: count,
        status: 500,
        body: JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
          message: `injected failure of ${operation}`,
        }),
      });
    },
    stop: () => closeHttpServer(server),
  };
}
