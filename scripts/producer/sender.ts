/**
 * Sends events to `POST /v1/events` in batches, at a target rate (token bucket), with a few
 * requests in flight. Only events the API marks `retryable` (or whose request failed as a whole:
 * network error, 429, 5xx) are resent, with bounded exponential backoff; every event ends as
 * accepted, rejected (final, with `field: reason`) or failed — none is dropped silently.
 */
import { z } from 'zod';
import { ingestResponseSchema, type EventResult, type IngestResponse } from '../../lambdas/shared/ingest-api';
import type { WireEvent } from './invalid';

/** One event to send; `seq` is its place in the send order (0, 1, 2 …). */
export interface OutgoingEvent {
  readonly seq: number;
  readonly body: WireEvent;
}

/** Where events come from; `next` is called when the rate allows one more, undefined ends the run. */
export interface EventSource<E extends OutgoingEvent = OutgoingEvent> {
  next(nowMs: number): E | undefined;
}

/** Final outcome of one event. */
export type Outcome =
  | { readonly status: 'accepted' }
  | { readonly status: 'rejected'; readonly reason: string }
  | { readonly status: 'failed'; readonly reason: string };

/** The subset of `fetch` the sender uses (Node's global fetch fits). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ readonly status: number; text(): Promise<string> }>;

export interface SenderOptions<E extends OutgoingEvent = OutgoingEvent> {
  /** Full URL of `POST /v1/events`. */
  readonly url: string;
  readonly apiKey: string;
  /** Events per request, 1..500. */
  readonly batchSize: number;
  /** New events per second (retries are not counted against it). */
  readonly rate: number;
  /** Requests in flight at most; default 4. */
  readonly concurrency?: number;
  /** Resends of one event before it counts as failed; default 5. */
  readonly maxRetries?: number;
  /** A partial batch is sent once its first event is this old; default 500 ms. */
  readonly lingerMs?: number;
  /** First backoff; doubles per attempt up to `retryMaxMs`, with jitter. Default 250 ms. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Per-request timeout; default 30 s. */
  readonly requestTimeoutMs?: number;
  readonly fetch?: FetchLike;
  /** Called once per event with its final outcome. */
  readonly onOutcome?: (event: E, outcome: Outcome) => void;
  /** Aborting stops taking new events; what was taken is still delivered (or failed). */
  readonly signal?: AbortSignal;
}

/** Counters of a run (also available while it runs, for progress output). */
export interface SendReport {
  /** Distinct events taken from the source. */
  generated: number;
  /** HTTP requests made (first sends and resends). */
  requests: number;
  /** Event sends beyond the first (resends). */
  resent: number;
  accepted: number;
  rejected: number;
  failed: number;
  /** Final rejections by `field: reason`. */
  rejectedByReason: Record<string, number>;
  /** Delivery failures by last reason (network, HTTP status, retries exhausted). */
  failedByReason: Record<string, number>;
  /** Set when the run stopped on a fatal answer (bad API key, wrong URL). */
  aborted?: string;
  elapsedMs: number;
}

/** Token bucket: `rate` tokens per second, holding at most `capacity`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly capacity: number,
    nowMs: number,
    initial = 1,
  ) {
    this.tokens = Math.min(capacity, initial);
    this.last = nowMs;
  }

  /** Adds the tokens earned since the last refill. */
  refill(nowMs: number): void {
    if (nowMs > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.last) * this.rate) / 1000);
      this.last = nowMs;
    }
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Returns a token taken but not used. */
  giveBack(): void {
    this.tokens = Math.min(this.capacity, this.tokens + 1);
  }

  /** Milliseconds until one whole token is available (0 when one is). */
  msUntilToken(): number {
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) * 1000) / this.rate;
  }
}

/** What API Gateway itself answers when the request does not reach the function (403, 429, 5xx). */
const gatewayErrorSchema = z.object({ message: z.string() });

interface Pending<E extends OutgoingEvent> {
  readonly event: E;
  /** Sends so far. */
  sends: number;
  /** Failed attempts that counted against the retry budget. */
  retries: number;
  notBefore: number;
}

const MAX_IDLE_MS = 250;

/** The factor of one answer's backoff: "equal jitter", uniform in [0.5, 1). */
const drawJitter = (): number => 0.5 + Math.random() * 0.5;

function eventIdOf(event: OutgoingEvent): string | undefined {
  const id = event.body.eventId;
  return typeof id === 'string' ? id : undefined;
}

/** An answer body: the ingest API's per-event results, or API Gateway's own `message`; neither when it is something else. */
function parseBody(text: string): { readonly response?: IngestResponse; readonly message?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  const response = ingestResponseSchema.safeParse(value);
  if (response.success) return { response: response.data };
  const gateway = gatewayErrorSchema.safeParse(value);
  return gateway.success ? { message: gateway.data.message } : {};
}

function reasonOf(result: EventResult): string {
  return `${result.error?.field ?? 'event'}: ${result.error?.reason ?? 'rejected'}`;
}

/** One sending run over an event source. */
export class Sender<E extends OutgoingEvent = OutgoingEvent> {
  private readonly opts: Required<Omit<SenderOptions<E>, 'onOutcome' | 'signal' | 'fetch'>> &
    Pick<SenderOptions<E>, 'onOutcome' | 'signal'>;
  private readonly fetchImpl: FetchLike;
  private readonly report: SendReport = {
    generated: 0,
    requests: 0,
    resent: 0,
    accepted: 0,
    rejected: 0,
    failed: 0,
    rejectedByReason: {},
    failedByReason: {},
    elapsedMs: 0,
  };
  private startedAt = 0;
  private inFlight = 0;
  private retryQueue: Pending<E>[] = [];
  private batchLimit: number;
  private stopping = false;
  private waiter: (() => void) | undefined;

  constructor(options: SenderOptions<E>) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 500) {
      throw new RangeError('batchSize must be an integer in 1..500');
    }
    if (!(options.rate > 0)) throw new RangeError('rate must be positive');
    this.opts = {
      url: options.url,
      apiKey: options.apiKey,
      batchSize: options.batchSize,
      rate: options.rate,
      concurrency: options.concurrency ?? 4,
      maxRetries: options.maxRetries ?? 5,
      lingerMs: options.lingerMs ?? 500,
      retryBaseMs: options.retryBaseMs ?? 250,
      retryMaxMs: options.retryMaxMs ?? 8000,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      onOutcome: options.onOutcome,
      signal: options.signal,
    };
    this.fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
    this.batchLimit = options.batchSize;
  }

  /** A copy of the counters so far. */
  snapshot(): SendReport {
    const r = this.report;
    return {
      ...r,
      rejectedByReason: { ...r.rejectedByReason },
      failedByReason: { ...r.failedByReason },
      elapsedMs: this.startedAt === 0 ? 0 : Date.now() - this.startedAt,
    };
  }

  /** Sends everything the source yields; resolves when every event has an outcome (never rejects). */
  async run(source: EventSource<E>): Promise<SendReport> {
    const { signal } = this.opts;
    this.startedAt = Date.now();
    const bucket = new TokenBucket(this.opts.rate, Math.max(1, Math.min(this.opts.batchSize, this.opts.rate)), this.startedAt);
    const onAbort = (): void => {
      this.stopping = true;
      this.wake();
    };
    if (signal?.aborted) this.stopping = true;
    signal?.addEventListener('abort', onAbort, { once: true });

    let batch: Pending<E>[] = [];
    let openedAt = 0;
    let exhausted = false;
    try {
      for (;;) {
        const now = Date.now();
        while (this.inFlight < this.opts.concurrency && this.hasDueRetry(now)) this.launch(this.takeDueRetries(now));

        const generating = !exhausted && !this.stopping && this.report.aborted === undefined;
        if (generating) {
          bucket.refill(now);
          while (batch.length < this.batchLimit && bucket.tryTake()) {
            const event = source.next(now);
            if (event === undefined) {
              exhausted = true;
              bucket.giveBack();
              break;
            }
            if (batch.length === 0) openedAt = now;
            batch.push({ event, sends: 0, retries: 0, notBefore: 0 });
            this.report.generated += 1;
          }
        }

        if (this.report.aborted !== undefined) {
          for (const p of [...batch, ...this.retryQueue]) this.settle(p, { status: 'failed', reason: this.report.aborted });
          batch = [];
          this.retryQueue = [];
        }

        const noMoreNew = exhausted || this.stopping || this.report.aborted !== undefined;
        const slot = this.inFlight < this.opts.concurrency;
        if (batch.length > 0 && slot && (batch.length >= this.batchLimit || noMoreNew || now - openedAt >= this.opts.lingerMs)) {
          this.launch(batch);
          batch = [];
          continue;
        }
        if (noMoreNew && batch.length === 0 && this.retryQueue.length === 0 && this.inFlight === 0) break;

        let wait = MAX_IDLE_MS;
        if (generating && batch.length < this.batchLimit) wait = Math.min(wait, bucket.msUntilToken());
        if (slot && batch.length > 0) wait = Math.min(wait, openedAt + this.opts.lingerMs - now);
        if (slot) for (const p of this.retryQueue) wait = Math.min(wait, p.notBefore - now);
        await this.sleep(Math.max(1, Math.ceil(wait)));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return this.snapshot();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve();
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private hasDueRetry(now: number): boolean {
    return this.retryQueue.some((p) => p.notBefore <= now);
  }

  private takeDueRetries(now: number): Pending<E>[] {
    const due: Pending<E>[] = [];
    const rest: Pending<E>[] = [];
    for (const p of this.retryQueue) (p.notBefore <= now && due.length < this.batchLimit ? due : rest).push(p);
    this.retryQueue = rest;
    return due;
  }

  private launch(items: Pending<E>[]): void {
    this.inFlight += 1;
    this.report.requests += 1;
    for (const p of items) {
      if (p.sends > 0) this.report.resent += 1;
      p.sends += 1;
    }
    this.post(items)
      .catch((err: unknown) => {
        for (const p of items) this.settle(p, { status: 'failed', reason: `internal: ${(err as Error).message}` });
      })
      .finally(() => {
        this.inFlight -= 1;
        this.wake();
      });
  }

  private settle(p: Pending<E>, outcome: Outcome): void {
    const r = this.report;
    if (outcome.status === 'accepted') r.accepted += 1;
    else if (outcome.status === 'rejected') {
      r.rejected += 1;
      r.rejectedByReason[outcome.reason] = (r.rejectedByReason[outcome.reason] ?? 0) + 1;
    } else {
      r.failed += 1;
      r.failedByReason[outcome.reason] = (r.failedByReason[outcome.reason] ?? 0) + 1;
    }
    this.opts.onOutcome?.(p.event, outcome);
  }

  /**
   * Queues an event for another send, or fails it once its retry budget is spent. `jitter` (in
   * [0.5, 1), drawn once per answer) scales the backoff: the events one answer sends back are due
   * together and go out again together, instead of one small request each (a burst of requests
   * that a throttled API answers with more 429s).
   */
  private retryLater(p: Pending<E>, reason: string, jitter: number): void {
    p.retries += 1;
    if (p.retries > this.opts.maxRetries) {
      this.settle(p, { status: 'failed', reason: `${reason} (gave up after ${this.opts.maxRetries} retries)` });
      return;
    }
    const backoff = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (p.retries - 1));
    p.notBefore = Date.now() + backoff * jitter;
    this.retryQueue.push(p);
  }

  private async post(items: Pending<E>[]): Promise<void> {
    let status: number;
    let text: string;
    try {
      const res = await this.fetchImpl(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': this.opts.apiKey },
        body: JSON.stringify({ events: items.map((p) => p.event.body) }),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const reason = `network: ${cause ?? (err as Error).name ?? 'error'}`;
      const jitter = drawJitter();
      for (const p of items) this.retryLater(p, reason, jitter);
      return;
    }

    const body = parseBody(text);
    if (status === 401 || status === 403 || status === 404) {
      const hint = status === 404 ? 'is the endpoint right?' : 'check --api-key';
      this.report.aborted ??= `HTTP ${status}${body.message !== undefined ? ` ${body.message}` : ''} from ${this.opts.url}: ${hint}`;
      for (const p of items) this.settle(p, { status: 'failed', reason: this.report.aborted });
      return;
    }
    if (status === 413) {
      if (items.length > 1) {
        // Body too large: halve the batch size for the rest of the run and resend the halves.
        this.batchLimit = Math.max(1, Math.min(this.batchLimit, Math.floor(items.length / 2)));
        for (const p of items) {
          p.notBefore = 0;
          this.retryQueue.push(p);
        }
      } else {
        for (const p of items) this.settle(p, { status: 'rejected', reason: 'body: too large (HTTP 413)' });
      }
      return;
    }
    if (body.response !== undefined) {
      this.applyResults(items, body.response.results);
      return;
    }
    if (status === 200) {
      for (const p of items) this.settle(p, { status: 'accepted' });
      return;
    }
    const reason = `HTTP ${status}${body.message !== undefined ? ` ${body.message}` : ''}`;
    if (status === 429 || status >= 500) {
      const jitter = drawJitter();
      for (const p of items) this.retryLater(p, reason, jitter);
    } else {
      for (const p of items) this.settle(p, { status: 'failed', reason });
    }
  }

  /** Per-event results: accepted; rejected and final; or rejected and retryable (resent). */
  private applyResults(items: Pending<E>[], results: readonly EventResult[]): void {
    const outcome: (EventResult | undefined)[] = new Array<EventResult | undefined>(items.length).fill(undefined);
    const byId = new Map<string, number>();
    items.forEach((p, i) => {
      const id = eventIdOf(p.event);
      if (id !== undefined && !byId.has(id)) byId.set(id, i);
    });
    for (const result of results) {
      let i: number | undefined = result.index;
      const indexMatches = i < items.length && (result.eventId === null || eventIdOf((items[i] as Pending<E>).event) === result.eventId);
      if (!indexMatches) i = result.eventId === null ? undefined : byId.get(result.eventId);
      if (i !== undefined && outcome[i] === undefined) outcome[i] = result;
    }
    const jitter = drawJitter();
    items.forEach((p, i) => {
      const result = outcome[i];
      if (result === undefined) this.retryLater(p, 'response: no result for event', jitter);
      else if (result.status === 'accepted') this.settle(p, { status: 'accepted' });
      else if (result.error?.retryable === true) this.retryLater(p, reasonOf(result), jitter);
      else this.settle(p, { status: 'rejected', reason: reasonOf(result) });
    });
  }
}

/** Sends every event of `source` (see Sender); resolves with the final counters. */
export function sendEvents<E extends OutgoingEvent>(source: EventSource<E>, options: SenderOptions<E>): Promise<SendReport> {
  return new Sender(options).run(source);
}
