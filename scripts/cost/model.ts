/**
 * The cost model: a pure function from what the templates declare ({@link Deployment}), a
 * workload, the price table and the measured per-unit figures to a monthly bill per component,
 * with every line item it adds up. No I/O; the same inputs always give the same bill.
 */
import type { Inputs } from './inputs';
import type { Deployment, FunctionFacts, LoadBalancerFacts, Lifecycle, MappingFacts } from './template';

/** The components of the bill, in the order they are printed. */
export const COMPONENTS = [
  'api',
  'ingestLambda',
  'kinesis',
  'consumers',
  'dynamodb',
  'firehose',
  's3',
  'athena',
  'cloudwatch',
  'cloudfront',
  'cognito',
  'other',
] as const;
export type Component = (typeof COMPONENTS)[number];

/** How each component is titled in tables. */
export const COMPONENT_TITLES: Readonly<Record<Component, string>> = {
  api: 'API',
  ingestLambda: 'ingest Lambda',
  kinesis: 'Kinesis',
  consumers: 'consumers',
  dynamodb: 'DynamoDB',
  firehose: 'Firehose',
  s3: 'S3',
  athena: 'Athena',
  cloudwatch: 'CloudWatch',
  cloudfront: 'CloudFront',
  cognito: 'Cognito',
  other: 'other',
};

/** Traffic to price: requests per second, events per request and their size, and who watches the dashboard. */
export interface Workload {
  readonly name: string;
  readonly requestsPerSecond: number;
  readonly eventsPerRequest: number;
  /** Bytes of one event as the producer sends it (JSON). */
  readonly eventBytes: number;
  /** Dashboard tabs open all day (each polls the read API). */
  readonly dashboardTabs: number;
  /** People who sign in in a month (Cognito monthly active users). */
  readonly dashboardUsers: number;
  /** The published figure of the solution this workload comes from. */
  readonly anchor?: { readonly label: string; readonly usd: number };
  /** The monthly figure this project aims to stay at or below. */
  readonly goalUsd?: number;
}

/** One priced quantity. */
export interface LineItem {
  readonly component: Component;
  readonly item: string;
  /** The quantity priced, in words (e.g. `26.3 M requests`). */
  readonly quantity: string;
  readonly usd: number;
}

/** The monthly bill of one workload. */
export interface Estimate {
  readonly workload: Workload;
  readonly eventsPerSecond: number;
  readonly monthlyUsd: number;
  readonly components: Readonly<Record<Component, number>>;
  readonly items: readonly LineItem[];
  /** What the reader must know about this figure (steps reached, limits, assumptions hit). */
  readonly notes: readonly string[];
}

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
const TIB = 1024 * GIB;
/** Storage is priced in the 12th month of steady traffic (what lifecycle rules and retention hold by then). */
export const STORAGE_HORIZON_DAYS = 365;
/** An on-demand stream starts with 4 MiB/s of write capacity (4 shards) and keeps twice its peak. */
const ON_DEMAND_MIN_SHARDS = 4;
/** Lambda hands a stream consumer at most 6 MB per invocation (base64 adds a third). */
const INVOKE_PAYLOAD_BYTES = 6 * 1000 * 1000;

const fmt = (n: number, unit: string): string => {
  const abs = Math.abs(n);
  const [v, scale] = abs >= 1e9 ? [n / 1e9, ' B'] : abs >= 1e6 ? [n / 1e6, ' M'] : abs >= 1e3 ? [n / 1e3, ' k'] : [n, ''];
  return `${v.toFixed(v >= 100 || Number.isInteger(v) ? 0 : 1)}${scale} ${unit}`;
};
const gb = (bytes: number): string => `${(bytes / GIB).toFixed(bytes / GIB >= 100 ? 0 : 2)} GB`;
const roundUp = (bytes: number, unit: number): number => Math.ceil(bytes / unit) * unit;

/** Shards the stream runs on: the template's count (provisioned), or what on-demand scales to for this load. */
export function shardsFor(deployment: Deployment, eventsPerSecond: number, recordBytes: number): number {
  const stream = deployment.stream;
  if (stream === undefined) return 0;
  if (stream.mode === 'PROVISIONED') return stream.shards ?? 1;
  const needed = Math.max(Math.ceil((eventsPerSecond * roundUp(recordBytes, KIB)) / MIB), Math.ceil(eventsPerSecond / 1000));
  return Math.max(ON_DEMAND_MIN_SHARDS, 2 * needed);
}

/** Invocations per second of a stream mapping and the events in each, from its batch size, window and the shards. */
export function batching(
  mapping: MappingFacts,
  shards: number,
  eventsPerSecond: number,
  recordBytes: number,
): { invocationsPerSecond: number; eventsPerBatch: number } {
  const lanes = Math.max(1, shards) * Math.max(1, mapping.parallelizationFactor);
  const perLane = eventsPerSecond / lanes;
  const byPayload = Math.max(1, Math.floor(INVOKE_PAYLOAD_BYTES / ((recordBytes * 4) / 3 + 200)));
  const limit = Math.min(mapping.batchSize, byPayload);
  // Lambda polls each shard about once a second; the batching window holds a batch open up to its length.
  const window = Math.max(1, mapping.maxBatchingWindowS);
  const eventsPerBatch = perLane <= 0 ? 0 : Math.min(limit, Math.max(1, perLane * window));
  const batches = eventsPerBatch === 0 ? 0 : (perLane / eventsPerBatch) * lanes;
  const finals = mapping.tumblingWindowS !== undefined && mapping.tumblingWindowS > 0 ? lanes / mapping.tumblingWindowS : 0;
  return { invocationsPerSecond: batches + finals, eventsPerBatch };
}

/** What one LCU of an Application Load Balancer provides per dimension (Elastic Load Balancing pricing page). */
export const LCU = {
  newConnectionsPerSecond: 25,
  activeConnectionsPerMinute: 3000,
  /** Processed bytes an hour for Lambda targets (1 GB an hour for EC2, IP and container targets). */
  lambdaBytesPerHour: 0.4 * 1000 ** 3,
  ruleEvaluationsPerSecond: 1000,
  freeRules: 10,
} as const;

/**
 * The LCUs an Application Load Balancer with Lambda targets uses at a steady `requestsPerSecond`:
 * the largest of its four dimensions, and which one that is. Producers keep connections alive
 * (`requestsPerConnection` requests over `connectionSeconds`); processed bytes count request and
 * response, headers included. Never fails.
 */
export function albLcus(
  lb: Pick<LoadBalancerFacts, 'rules'>,
  traffic: { requestsPerSecond: number; bytesPerRequest: number; requestsPerConnection: number; connectionSeconds: number },
): { lcu: number; dimension: 'new connections' | 'active connections' | 'processed bytes' | 'rule evaluations' } {
  const newConnections = traffic.requestsPerSecond / Math.max(1, traffic.requestsPerConnection);
  const dimensions = {
    'new connections': newConnections / LCU.newConnectionsPerSecond,
    'active connections': (newConnections * traffic.connectionSeconds) / LCU.activeConnectionsPerMinute,
    'processed bytes': (traffic.requestsPerSecond * traffic.bytesPerRequest * 3600) / LCU.lambdaBytesPerHour,
    'rule evaluations': (traffic.requestsPerSecond * Math.max(0, lb.rules - LCU.freeRules)) / LCU.ruleEvaluationsPerSecond,
  } as const;
  let dimension: keyof typeof dimensions = 'new connections';
  for (const [name, value] of Object.entries(dimensions) as Array<[keyof typeof dimensions, number]>) {
    if (value > dimensions[dimension]) dimension = name;
  }
  return { lcu: dimensions[dimension], dimension };
}

/**
 * The lowest request rate (requests/s) in [`low`, `high`] at which a monthly cost `b(r)` is below
 * `a(r)`: scanned in 2 % steps, then narrowed by bisection; undefined when `b` is not below `a`
 * anywhere in the range. Never fails.
 */
export function breakEven(a: (r: number) => number, b: (r: number) => number, low = 0.01, high = 10_000): number | undefined {
  if (b(low) < a(low)) return low;
  let previous = low;
  for (let r = low * 1.02; r <= high * 1.02; r *= 1.02) {
    const at = Math.min(r, high);
    if (b(at) < a(at)) {
      let lo = previous;
      let hi = at;
      for (let i = 0; i < 40; i++) {
        const mid = (lo + hi) / 2;
        if (b(mid) < a(mid)) hi = mid;
        else lo = mid;
      }
      return hi;
    }
    previous = at;
  }
  return undefined;
}

/**
 * The monthly bill of `workload` on `deployment`. Throws CostInputError when a price or a
 * measured figure it needs is missing (e.g. a consumer with no measured WRU).
 */
export function estimate(deployment: Deployment, workload: Workload, inputs: Inputs): Estimate {
  const items: LineItem[] = [];
  const notes: string[] = [];
  const add = (component: Component, item: string, quantity: string, usd: number) => {
    if (usd > 0 || quantity !== '') items.push({ component, item, quantity, usd });
  };
  const fig = (name: string) => inputs.figure(name);
  const secondsPerMonth = inputs.prices.hoursPerMonth * 3600;
  const daysPerMonth = inputs.prices.hoursPerMonth / 24;

  // ---------------------------------------------------------------- traffic
  const R = workload.requestsPerSecond;
  const k = workload.eventsPerRequest;
  const E = R * k;
  const requests = R * secondsPerMonth;
  const events = E * secondsPerMonth;
  const recordBytes = workload.eventBytes + fig('stream.overheadBytesPerEvent');
  const refreshSeconds = deployment.distributions > 0 ? deployment.dashboardRefreshSeconds : undefined;
  const readRequests =
    refreshSeconds === undefined ? 0 : (workload.dashboardTabs * fig('dashboard.apiCallsPerRefresh') * secondsPerMonth) / refreshSeconds;
  const shards = shardsFor(deployment, E, recordBytes);

  // ---------------------------------------------------------------- Lambda, shared by every function
  const lambdaCost = (fn: FunctionFacts, invocations: number, msEach: number, component: Component, item: string) => {
    const billedMs = Math.max(1, Math.ceil(msEach));
    const gbSeconds = (invocations * billedMs * fn.memoryMb) / 1024 / 1000;
    const usd = (invocations / 1e6) * inputs.usd('lambda.requests') + gbSeconds * inputs.usd(`lambda.${fn.architecture}.gbSecond`);
    add(
      component,
      `${item} (${fn.memoryMb} MB ${fn.architecture}, ${billedMs} ms each)`,
      `${fmt(invocations, 'invocations')}, ${fmt(gbSeconds, 'GB-s')}`,
      usd,
    );
    if (msEach > fn.timeoutS * 1000)
      notes.push(`${fn.service}: ${Math.round(msEach)} ms per invocation exceeds its ${fn.timeoutS} s timeout`);
  };
  const cpuScale = (fn: FunctionFacts) => Math.max(1, fig('lambda.vcpuAtMb') / fn.memoryMb);
  const logBytes = new Map<string, number>();
  const logged = (writer: string, bytes: number) => logBytes.set(writer, (logBytes.get(writer) ?? 0) + bytes);
  const platformLog = fig('lambda.platformLogBytesPerInvocation');
  let wru = 0; // DynamoDB request units, added by the functions that use the results table
  let rru = 0;

  // ---------------------------------------------------------------- API (API Gateway, load balancer, WAF, data out)
  const restApis = deployment.apis.filter((a) => a.kind === 'REST');
  const httpApis = deployment.apis.filter((a) => a.kind === 'HTTP');
  const ingestOnHttp = httpApis.length > 0;
  const ingestOnAlb = deployment.loadBalancers.length > 0;
  const restRequests = (ingestOnHttp || ingestOnAlb ? 0 : requests) + (restApis.length > 0 ? readRequests : 0);
  if (restApis.length > 0)
    add(
      'api',
      ingestOnHttp || ingestOnAlb ? 'REST API requests (dashboard reads)' : 'REST API requests (ingest and dashboard reads)',
      fmt(restRequests, 'requests'),
      inputs.tieredUsd('apigateway.rest.requests', restRequests, 1e6),
    );
  if (ingestOnHttp) {
    const bodyBytes = k * workload.eventBytes;
    const units = requests * Math.max(1, Math.ceil(bodyBytes / (512 * KIB))) + (restApis.length === 0 ? readRequests : 0);
    add(
      'api',
      'HTTP API requests (ingest, in 512 KB units)',
      fmt(units, 'requests'),
      inputs.tieredUsd('apigateway.http.requests', units, 1e6),
    );
  }
  const responseBytesPerRequest = fig('ingest.responseBytesPerRequest') + k * fig('ingest.responseBytesPerEvent');
  const responseBytes = requests * responseBytesPerRequest;
  add('api', 'ingest answers out to the internet', gb(responseBytes), (responseBytes / GIB) * inputs.usd('dataTransfer.internetOut'));

  // The load balancer front door: hours, LCUs, one public IPv4 address per Availability Zone.
  const hoursPerMonth = inputs.prices.hoursPerMonth;
  const albTraffic = (r: number) => ({
    requestsPerSecond: r,
    bytesPerRequest: fig('alb.requestHeaderBytes') + k * workload.eventBytes + responseBytesPerRequest,
    requestsPerConnection: fig('alb.requestsPerConnection'),
    connectionSeconds: fig('alb.connectionSeconds'),
  });
  const albUsd = (lb: LoadBalancerFacts, r: number) =>
    hoursPerMonth *
    (inputs.usd('elb.application.hour') +
      albLcus(lb, albTraffic(r)).lcu * inputs.usd('elb.application.lcuHour') +
      (lb.internetFacing ? lb.availabilityZones * inputs.usd('vpc.publicIpv4.hour') : 0));
  for (const lb of deployment.loadBalancers) {
    const { lcu, dimension } = albLcus(lb, albTraffic(R));
    add('api', 'load balancer hours', `${hoursPerMonth} h`, hoursPerMonth * inputs.usd('elb.application.hour'));
    add(
      'api',
      `load balancer LCUs (bound by ${dimension}; keep-alive: ${fig('alb.requestsPerConnection')} requests a connection)`,
      `${lcu.toFixed(2)} LCU`,
      hoursPerMonth * lcu * inputs.usd('elb.application.lcuHour'),
    );
    if (lb.internetFacing)
      add(
        'api',
        'public IPv4 addresses of the load balancer (one per Availability Zone)',
        `${lb.availabilityZones} addresses`,
        hoursPerMonth * lb.availabilityZones * inputs.usd('vpc.publicIpv4.hour'),
      );
  }
  // Producer keys the ingest function reads itself: current and previous value per producer, per container, per cache TTL.
  const ingestFn = deployment.functions.find((f) => f.driver === 'ingest');
  const ingestMsEach =
    ingestFn === undefined
      ? 0
      : (fig('ingest.cpuMsPerRequest') + k * fig('ingest.cpuMsPerEvent')) * cpuScale(ingestFn) +
        Math.ceil(k / 500) * fig('ingest.putRecordsMs');
  const keyReadsUsd = (r: number) => {
    const keys = deployment.producerKeys;
    if (keys === undefined) return 0;
    const containers = Math.max(1, Math.ceil((r * ingestMsEach) / 1000));
    const calls = containers * keys.producers * 2 * (secondsPerMonth / keys.cacheSeconds);
    return (calls / 10_000) * inputs.usd('secretsmanager.calls');
  };
  if (deployment.producerKeys !== undefined) {
    const containers = Math.max(1, Math.ceil((R * ingestMsEach) / 1000));
    const calls = containers * deployment.producerKeys.producers * 2 * (secondsPerMonth / deployment.producerKeys.cacheSeconds);
    add(
      'other',
      `producer key reads (${containers} ingest containers, every ${deployment.producerKeys.cacheSeconds} s)`,
      fmt(calls, 'calls'),
      keyReadsUsd(R),
    );
  }
  if (deployment.waf.webAcls > 0) {
    const inspected = requests + readRequests;
    add(
      'api',
      `WAF: ${deployment.waf.webAcls} web ACL, ${deployment.waf.rules} rules`,
      'per month',
      deployment.waf.webAcls * inputs.usd('waf.webAcl') + deployment.waf.rules * inputs.usd('waf.rule'),
    );
    add('api', 'WAF requests inspected', fmt(inspected, 'requests'), (inspected / 1e6) * inputs.usd('waf.requests'));
  }
  const accessLogLineBytes = (format: string) => {
    const values = (format.match(/\$context\.[A-Za-z.]+/g) ?? []).length;
    return format.replace(/\$context\.[A-Za-z.]+/g, '').length + values * fig('api.accessLogValueBytes') + 1;
  };
  // REST against the load balancer for ingest alone, at this workload's request size: where the load balancer gets cheaper.
  const [lb] = deployment.loadBalancers;
  const restFormat = restApis[0]?.accessLogFormat;
  if (lb !== undefined && restFormat !== undefined) {
    const restIngestUsd = (r: number) => {
      const q = r * secondsPerMonth;
      return (
        inputs.tieredUsd('apigateway.rest.requests', q + readRequests, 1e6) -
        inputs.tieredUsd('apigateway.rest.requests', readRequests, 1e6) +
        ((q * accessLogLineBytes(restFormat)) / GIB) * inputs.usd('cloudwatch.logs.ingest')
      );
    };
    // Its own web ACL (the REST API's covers both front doors otherwise) and the producers' secrets come with the load balancer.
    const albIngestUsd = (r: number) =>
      albUsd(lb, r) +
      (lb.webAclRules > 0 ? inputs.usd('waf.webAcl') + lb.webAclRules * inputs.usd('waf.rule') : 0) +
      (deployment.producerKeys?.producers ?? 0) * inputs.usd('secretsmanager.secret') +
      keyReadsUsd(r);
    const from = breakEven(restIngestUsd, albIngestUsd);
    notes.push(
      `front door: ingest through the load balancer costs $${albIngestUsd(R).toFixed(2)} a month here, through the REST API it would cost $${restIngestUsd(R).toFixed(2)} (requests and access logs); ` +
        (from === undefined
          ? 'the load balancer is not cheaper at any rate'
          : `the load balancer is cheaper from ${from.toFixed(1)} requests/s of ${k} events`),
    );
  }
  for (const api of deployment.apis) {
    if (api.accessLogFormat === undefined) continue;
    logged('api-access', (api.kind === 'HTTP' ? requests : restRequests) * accessLogLineBytes(api.accessLogFormat));
  }

  // ---------------------------------------------------------------- functions by what drives them
  for (const fn of deployment.functions) {
    if (fn.driver === 'ingest') {
      const cpuMs = (fig('ingest.cpuMsPerRequest') + k * fig('ingest.cpuMsPerEvent')) * cpuScale(fn);
      const ms = cpuMs + Math.ceil(k / 500) * fig('ingest.putRecordsMs');
      lambdaCost(fn, requests, ms, 'ingestLambda', 'ingest function');
      logged(fn.service, requests * (fig('ingest.logBytesPerRequest') + platformLog));
    } else if (fn.driver === 'read') {
      lambdaCost(fn, readRequests, fig('query.msPerRequest'), 'other', 'read API function (dashboard polling)');
      logged(fn.service, readRequests * (fig('query.logBytesPerRequest') + platformLog));
      rru += readRequests * fig('query.rruPerRequest');
    } else if (fn.driver === 'schedule') {
      const runs = deployment.schedules.filter((s) => s.service === fn.service).reduce((n, s) => n + s.runsPerMonth, 0);
      lambdaCost(fn, runs, fig(`${fn.service}.msPerRun`), 'other', `${fn.service} job`);
      logged(fn.service, runs * (fig(`${fn.service}.logBytesPerRun`) + platformLog));
    } else if (fn.driver === 'unknown') {
      notes.push(`function ${fn.id} (${fn.service}): nothing in the templates drives it; priced at no traffic`);
    }
  }
  for (const m of deployment.mappings) {
    const fn = deployment.functions.find((f) => f.service === m.service && f.driver === 'stream');
    if (fn === undefined) continue;
    const { invocationsPerSecond, eventsPerBatch } = batching(m, shards, E, recordBytes);
    const invocations = invocationsPerSecond * secondsPerMonth;
    const calls = fig(`${m.service}.callsPerBatch`) + eventsPerBatch * fig(`${m.service}.callsPerEvent`);
    const cpuMs = (fig(`${m.service}.cpuMsPerBatch`) + eventsPerBatch * fig(`${m.service}.cpuMsPerEvent`)) * cpuScale(fn);
    const ms = cpuMs + Math.ceil(calls / fig('consumers.requestsInFlight')) * fig('dynamodb.requestMs');
    lambdaCost(fn, invocations, ms, 'consumers', `${m.service} consumer, ${Math.round(eventsPerBatch)} events per batch`);
    logged(fn.service, invocations * (fig(`${m.service}.logBytesPerBatch`) + platformLog));
    wru += invocations * fig(`${m.service}.wruPerBatch`) + events * fig(`${m.service}.wruPerEvent`);
    rru += invocations * fig(`${m.service}.rruPerBatch`) + events * fig(`${m.service}.rruPerEvent`);
    const design = inputs.measured.figures[`${m.service}.wruPerBatch`]?.design;
    if (design !== undefined && !notes.some((n) => n.includes(design))) notes.push(`consumer figures: ${design}`);
  }

  // ---------------------------------------------------------------- Kinesis
  const stream = deployment.stream;
  if (stream !== undefined) {
    const billedIn = events * roundUp(recordBytes, KIB);
    const extraHours = Math.max(0, Math.min(stream.retentionHours, 168) - 24);
    if (stream.mode === 'ON_DEMAND') {
      add(
        'kinesis',
        'on-demand stream hours',
        `${inputs.prices.hoursPerMonth} h`,
        inputs.prices.hoursPerMonth * inputs.usd('kinesis.onDemand.streamHour'),
      );
      add(
        'kinesis',
        `data in (each ${Math.round(recordBytes)} B record billed as ${roundUp(recordBytes, KIB)} B)`,
        gb(billedIn),
        (billedIn / GIB) * inputs.usd('kinesis.onDemand.dataIn'),
      );
      const billedOut = billedIn * stream.sharedReaders;
      add(
        'kinesis',
        `data out (${stream.sharedReaders} readers)`,
        gb(billedOut),
        (billedOut / GIB) * inputs.usd('kinesis.onDemand.dataOut'),
      );
      if (extraHours > 0) {
        const stored = (billedIn / secondsPerMonth) * extraHours * 3600;
        add(
          'kinesis',
          `retention beyond 24 h (${stream.retentionHours} h)`,
          `${gb(stored)}-month`,
          (stored / GIB) * inputs.usd('kinesis.onDemand.extendedRetention'),
        );
      }
      notes.push(`on-demand stream: ${shards} shards at this load (4 to start, twice the peak after)`);
    } else {
      add(
        'kinesis',
        `${shards} provisioned shards`,
        `${shards * inputs.prices.hoursPerMonth} shard-h`,
        shards * inputs.prices.hoursPerMonth * inputs.usd('kinesis.provisioned.shardHour'),
      );
      const units = events * Math.ceil(recordBytes / (25 * KIB));
      add('kinesis', 'PUT payload units', fmt(units, 'units'), (units / 1e6) * inputs.usd('kinesis.provisioned.putPayloadUnits'));
      if (extraHours > 0)
        add(
          'kinesis',
          `retention beyond 24 h (${stream.retentionHours} h)`,
          `${shards * inputs.prices.hoursPerMonth} shard-h`,
          shards * inputs.prices.hoursPerMonth * inputs.usd('kinesis.provisioned.extendedRetention'),
        );
      const writeNeed = Math.max((E * recordBytes) / MIB, E / 1000);
      const readNeed = (E * recordBytes * stream.sharedReaders) / (2 * MIB);
      if (writeNeed > shards || readNeed > shards) {
        notes.push(
          `provisioned stream too small: ${shards} shards, this load needs ${Math.ceil(Math.max(writeNeed, readNeed))} (writes ${writeNeed.toFixed(2)}, shared reads ${readNeed.toFixed(2)} shard-equivalents)`,
        );
      }
    }
    if (stream.enhancedFanOutConsumers > 0) {
      const n = stream.enhancedFanOutConsumers;
      add(
        'kinesis',
        `enhanced fan-out (${n} consumers)`,
        `${n * shards * inputs.prices.hoursPerMonth} consumer-shard-h`,
        n * shards * inputs.prices.hoursPerMonth * inputs.usd('kinesis.enhancedFanOut.consumerShardHour') +
          n * ((events * recordBytes) / GIB) * inputs.usd('kinesis.enhancedFanOut.dataOut'),
      );
    }
  }

  /** Storage of `bytesPerDay` kept under `life` (Standard, then IA, then Glacier IR, until expiry), in the 12th month. */
  const storage = (what: string, bytesPerDay: number, life: Lifecycle) => {
    const horizon = Math.min(STORAGE_HORIZON_DAYS, life.expireAfterDays ?? STORAGE_HORIZON_DAYS);
    const iaFrom = Math.min(horizon, life.standardIaAfterDays ?? horizon);
    const glacierFrom = Math.min(horizon, life.glacierIrAfterDays ?? horizon);
    const classes: Array<[string, number, string]> = [
      ['Standard', iaFrom, 's3.standard.storage'],
      ['Standard-IA', Math.max(0, glacierFrom - iaFrom), 's3.standardIa.storage'],
      ['Glacier Instant Retrieval', Math.max(0, horizon - glacierFrom), 's3.glacierIr.storage'],
    ];
    for (const [cls, days, price] of classes) {
      if (days > 0 || cls === 'Standard')
        add('s3', `${what}, ${cls} (${days} days)`, `${gb(bytesPerDay * days)}-month`, ((bytesPerDay * days) / GIB) * inputs.usd(price));
    }
    return { iaDays: classes[1][1], glacierDays: classes[2][1] };
  };

  // ---------------------------------------------------------------- Firehose and the lake
  const lakeRaw = events * recordBytes;
  const compressed = deployment.firehoses.some((f) => f.compression === 'GZIP');
  const lakeBytesPerMonth = compressed ? lakeRaw * fig('lake.gzipRatio') : lakeRaw;
  const lakeBytesPerDay = lakeBytesPerMonth / daysPerMonth;
  for (const f of deployment.firehoses) {
    const billed = events * roundUp(recordBytes, 5 * KIB);
    add(
      'firehose',
      `ingestion (each ${Math.round(recordBytes)} B record billed as 5 KB)`,
      gb(billed),
      (billed / GIB) * inputs.usd('firehose.ingest'),
    );
    if (f.formatConversion) add('firehose', 'format conversion', gb(billed), (billed / GIB) * inputs.usd('firehose.formatConversion'));
    if (f.dynamicPartitioning)
      add(
        'firehose',
        'dynamic partitioning',
        gb(lakeBytesPerMonth),
        (lakeBytesPerMonth / GIB) * inputs.usd('firehose.dynamicPartitioning'),
      );
    const objectsPerSecond = E === 0 ? 0 : Math.max(1 / f.bufferIntervalS, (E * recordBytes) / (f.bufferMiB * MIB));
    const objects = objectsPerSecond * secondsPerMonth;
    add(
      's3',
      `lake objects written (buffer ${f.bufferMiB} MiB / ${f.bufferIntervalS} s)`,
      fmt(objects, 'PUTs'),
      (objects / 1000) * inputs.usd('s3.put'),
    );
    const { iaDays, glacierDays } = storage('lake (raw gzip JSON)', lakeBytesPerDay, deployment.lakeLifecycle);
    // In steady state, each month's objects move once to each later class.
    const perThousand = (iaDays > 0 ? inputs.usd('s3.transitionIa') : 0) + (glacierDays > 0 ? inputs.usd('s3.transitionGlacierIr') : 0);
    if (perThousand > 0) add('s3', 'lifecycle transitions', fmt(objects, 'objects'), (objects / 1000) * perThousand);
  }

  // ---------------------------------------------------------------- the daily reports
  if (deployment.athenaWorkgroups > 0 && lakeBytesPerDay > 0) {
    storage('curated Parquet', lakeBytesPerDay * fig('lake.parquetPerLakeByte'), deployment.curatedLifecycle);
    const runs = deployment.schedules.reduce((n, s) => n + s.runsPerMonth, 0);
    const minimum = 10 * 1000 * 1000;
    const reportNames = Object.keys(inputs.measured.figures)
      .filter((n) => n.startsWith('athena.') && n.endsWith('.ofLakeDay'))
      .map((n) => n.slice('athena.'.length, -'.ofLakeDay'.length));
    let scanned = 0;
    for (const name of reportNames) {
      const days = name === 'compaction' ? 1 : fig(`athena.${name}.days`);
      scanned += Math.max(minimum, lakeBytesPerDay * fig(`athena.${name}.ofLakeDay`) * days);
    }
    scanned += minimum * Math.max(0, fig('athena.queriesPerRun') - reportNames.length);
    add(
      'athena',
      `daily reports: ${fmt(runs, 'runs')} of ${fig('athena.queriesPerRun')} queries`,
      `${gb(scanned * runs)} scanned`,
      ((scanned * runs) / TIB) * inputs.usd('athena.scanned'),
    );
  }

  // ---------------------------------------------------------------- DynamoDB
  // The consumers and the read API use one table: the results table.
  const results = deployment.tables[0];
  if (deployment.tables.length > 1)
    notes.push(`${deployment.tables.length} tables: the request units are priced once, on the results table`);
  if (results !== undefined) {
    const t = results;
    if (t.billing !== 'PAY_PER_REQUEST') notes.push('a provisioned table is priced at on-demand rates (the app has none)');
    add('dynamodb', 'write request units', fmt(wru, 'WRU'), (wru / 1e6) * inputs.usd('dynamodb.onDemand.wru'));
    add('dynamodb', 'read request units', fmt(rru, 'RRU'), (rru / 1e6) * inputs.usd('dynamodb.onDemand.rru'));
    const retention = deployment.resultRetentionDays ?? STORAGE_HORIZON_DAYS;
    const stored = fig('results.storedBytesPerMinute') * (E > 0 ? 1 : 0) * 1440 * Math.min(retention, STORAGE_HORIZON_DAYS);
    add(
      'dynamodb',
      `storage (${Math.min(retention, STORAGE_HORIZON_DAYS)} days of results)`,
      `${gb(stored)}-month`,
      (stored / GIB) * inputs.usd('dynamodb.storage'),
    );
    if (t.pitr) add('dynamodb', 'point-in-time recovery', `${gb(stored)}-month`, (stored / GIB) * inputs.usd('dynamodb.pitr'));
  }

  // ---------------------------------------------------------------- CloudWatch
  let ingested = 0;
  let storedGbMonths = 0;
  for (const g of deployment.logGroups) {
    const bytes = logBytes.get(g.writer) ?? 0;
    logBytes.delete(g.writer);
    ingested += bytes;
    const keptDays = Math.min(g.retentionDays ?? STORAGE_HORIZON_DAYS, STORAGE_HORIZON_DAYS);
    storedGbMonths += ((bytes * fig('logs.storedPerIngestedByte')) / GIB) * (keptDays / daysPerMonth);
  }
  add('cloudwatch', 'log ingestion', gb(ingested), (ingested / GIB) * inputs.usd('cloudwatch.logs.ingest'));
  add(
    'cloudwatch',
    'log storage (by each group’s retention)',
    `${storedGbMonths.toFixed(2)} GB-month`,
    storedGbMonths * inputs.usd('cloudwatch.logs.storage'),
  );
  for (const [writer] of logBytes) notes.push(`logs of ${writer} go to a log group the templates do not declare; not priced`);
  add(
    'cloudwatch',
    `${deployment.alarms} alarms`,
    `${deployment.alarmMetrics} alarm metrics`,
    deployment.alarmMetrics * inputs.usd('cloudwatch.alarm'),
  );
  if (deployment.dashboards > 0)
    add(
      'cloudwatch',
      `${deployment.dashboards} dashboards`,
      `${deployment.dashboards} dashboards`,
      deployment.dashboards * inputs.usd('cloudwatch.dashboard'),
    );
  const detailed =
    deployment.apis.filter((a) => a.detailedMetrics).reduce((n, a) => n + a.methods, 0) *
    inputs.usd('apigateway.rest.detailedMetricsPerMethod');
  const metrics = detailed + deployment.metricFilters + fig('cloudwatch.businessMetrics');
  add(
    'cloudwatch',
    'custom metrics (API detailed metrics, metric filters, business metrics)',
    `${Math.round(metrics)} metrics`,
    metrics * inputs.usd('cloudwatch.metrics'),
  );

  // ---------------------------------------------------------------- CloudFront and Cognito
  if (deployment.distributions > 0 && refreshSeconds !== undefined) {
    add(
      'cloudfront',
      'dashboard requests (API calls through the distribution)',
      fmt(readRequests, 'requests'),
      (readRequests / 10_000) * inputs.usd('cloudfront.requests'),
    );
    const out = (readRequests / fig('dashboard.apiCallsPerRefresh')) * fig('dashboard.bytesPerRefresh');
    add('cloudfront', 'dashboard data out', gb(out), (out / GIB) * inputs.usd('cloudfront.dataOut'));
  }
  for (const pool of deployment.userPools) {
    const name = `cognito.${pool.tier.toLowerCase()}.mau`;
    const billable = Math.max(0, workload.dashboardUsers - (inputs.price(name).freeUnits ?? 0));
    add(
      'cognito',
      `user pool (${pool.tier.toLowerCase()})`,
      `${workload.dashboardUsers} monthly active users`,
      billable * inputs.usd(name),
    );
  }

  // ---------------------------------------------------------------- other
  if (deployment.secrets > 0)
    add(
      'other',
      `${deployment.secrets} secrets`,
      `${deployment.secrets} secrets`,
      deployment.secrets * inputs.usd('secretsmanager.secret'),
    );
  if (deployment.kmsKeys > 0)
    add('other', `${deployment.kmsKeys} KMS keys`, `${deployment.kmsKeys} keys`, deployment.kmsKeys * inputs.usd('kms.key'));
  if (deployment.topics > 0) add('other', `${deployment.topics} SNS topics`, 'publishes on alerts and alarms only', 0);
  if (deployment.queues > 0) add('other', `${deployment.queues} SQS dead-letter queues`, 'requests on failures only', 0);
  const scheduled = deployment.schedules.reduce((n, s) => n + s.runsPerMonth, 0);
  if (scheduled > 0) {
    const free = inputs.price('scheduler.invocations').freeUnits ?? 0;
    add(
      'other',
      'scheduled invocations',
      fmt(scheduled, 'invocations'),
      (Math.max(0, scheduled - free) / 1e6) * inputs.usd('scheduler.invocations'),
    );
  }

  const components = Object.fromEntries(COMPONENTS.map((c) => [c, 0])) as Record<Component, number>;
  for (const i of items) components[i.component] += i.usd;
  const monthlyUsd = Object.values(components).reduce((a, b) => a + b, 0);
  return { workload, eventsPerSecond: E, monthlyUsd, components, items, notes };
}
