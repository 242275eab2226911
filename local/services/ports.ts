import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import { describePortHolder, findPortHolder, type PortHolder } from './port-holder';

/** What every local service launcher returns. */
export interface RunningService {
  /** `http://127.0.0.1:<port>` — pass as `endpoint` to SDK clients or `--endpoint-url` to the AWS CLI. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the service; afterwards nothing listens on `port`. */
  stop(): Promise<void>;
}

/** The ports the local runtime uses unless told otherwise (those the emulators use by default). */
export const DEFAULT_PORTS = {
  kinesis: 4567,
  s3: 4568,
  secretsManager: 4584,
  dynamodb: 8000,
} as const;

export const LOCAL_HOST = '127.0.0.1';

/** Raised when a port a service needs is taken; the message names the port, its holder when known, and what to do. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly host: string,
    readonly service: string,
    /** Who holds the port, when that could be found out (Linux). */
    readonly holder?: PortHolder,
  ) {
    super(
      `${service} needs port ${port} on ${host}, but something is already listening there. ` +
        (holder
          ? describePortHolder(holder)
          : `Stop that process (find it with \`ss -ltnp 'sport = :${port}'\` or \`lsof -i :${port}\`; ` +
            `it may be an earlier \`npm start\` still running) or choose another port for ${service}.`),
    );
    this.name = 'PortInUseError';
  }
}

/** A {@link PortInUseError} naming the process that listens on the port, when it can be found. */
export function portInUse(port: number, host: string, service: string): PortInUseError {
  return new PortInUseError(port, host, service, findPortHolder(port));
}

function listenError(err: NodeJS.ErrnoException, port: number, host: string, service: string): Error {
  if (err.code === 'EADDRINUSE') return portInUse(port, host, service);
  if (err.code === 'EACCES') {
    return new Error(`${service} may not listen on port ${port} on ${host} (permission denied); choose a port above 1023`);
  }
  return new Error(`${service} cannot listen on ${host}:${port}: ${err.message}`);
}

/** Fails fast with a {@link PortInUseError} when `port` is already taken on `host`; port 0 always passes. */
export async function assertPortFree(port: number, service: string, host: string = LOCAL_HOST): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, port, host, service)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
  // A listener on the wildcard address (another program's) would not be caught by the probe above.
  if (await isPortOpen(port, host, 300)) throw portInUse(port, host, service);
}

/** Linux's default ephemeral port range, used where /proc cannot be read. */
export const DEFAULT_EPHEMERAL_RANGE: readonly [number, number] = [32768, 60999];

/**
 * The range the kernel serves `listen(0)` and outgoing connections from: parsed from the text of
 * `/proc/sys/net/ipv4/ip_local_port_range` ("low<tab>high"), or {@link DEFAULT_EPHEMERAL_RANGE}
 * when that text is missing or malformed.
 */
export function ephemeralPortRange(procText: string | undefined): readonly [number, number] {
  const [low, high] = (procText ?? '').trim().split(/\s+/).map(Number);
  if (Number.isInteger(low) && Number.isInteger(high) && low >= 1 && low <= high && high <= 65535) return [low, high];
  return DEFAULT_EPHEMERAL_RANGE;
}

/** This machine's ephemeral port range (Linux's default where /proc cannot be read). */
export function currentEphemeralRange(): readonly [number, number] {
  try {
    return ephemeralPortRange(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
  } catch {
    return DEFAULT_EPHEMERAL_RANGE;
  }
}

/** Lowest port {@link findFreePortBlock} hands out (well above the registered well-known services). */
export const MIN_CHOSEN_PORT = 10_000;

/**
 * The span of bases a block of `count` ports may start at, outside `ephemeral`: below it when
 * there is room, else above it; undefined when neither side has room.
 */
export function portBlockSpan(count: number, ephemeral: readonly [number, number]): { first: number; last: number } | undefined {
  const [low, high] = ephemeral;
  if (low - MIN_CHOSEN_PORT >= count) return { first: MIN_CHOSEN_PORT, last: low - count };
  if (65535 - high >= count) return { first: high + 1, last: 65536 - count };
  return undefined;
}

/**
 * The first of `count` consecutive ports free on `host`, chosen outside the kernel's ephemeral
 * range. A port picked from inside it (as `listen(0)` would) can be handed out again by the
 * kernel, to another `listen(0)` or to an outgoing connection of this very process, between the
 * moment it is found free and the moment the service binds it; outside the range only an
 * explicit bind can take it.
 */
export async function findFreePortBlock(count: number, host: string = LOCAL_HOST): Promise<number> {
  const [low, high] = currentEphemeralRange();
  const span = portBlockSpan(count, [low, high]);
  if (!span) {
    throw new Error(
      `no room for ${count} consecutive ports outside the ephemeral range ${low}-${high} (/proc/sys/net/ipv4/ip_local_port_range): choose the ports (npm start -- --port <base>)`,
    );
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = span.first + Math.floor(Math.random() * (span.last - span.first + 1));
    try {
      for (let i = 0; i < count; i++) await assertPortFree(base + i, 'probe', host);
      return base;
    } catch (err) {
      if (!(err instanceof PortInUseError)) throw err;
    }
  }
  throw new Error(`no ${count} consecutive free ports found on ${host} in 50 tries`);
}

/** True when a TCP connection to `host:port` succeeds within `timeoutMs`. */
export async function isPortOpen(port: number, host: string = LOCAL_HOST, timeoutMs = 1000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Starts `server` on `host:port` (0 = any free port) and returns the bound port; EADDRINUSE becomes a {@link PortInUseError}. */
export async function listen(server: net.Server, port: number, service: string, host: string = LOCAL_HOST): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.removeListener('listening', onListening);
      reject(listenError(err, port, host, service));
    };
    const onListening = (): void => {
      server.removeListener('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
  const addr = server.address();
  if (typeof addr !== 'object' || addr === null) throw new Error(`${service}: no address after listen`);
  return addr.port;
}

/** Closes an HTTP server and drops its open (keep-alive or in-flight) connections. */
export async function closeHttpServer(server: http.Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
