import type { Workload } from './model';

/**
 * Event size of the Clickstream workloads. Clickstream Analytics on AWS publishes its cost per
 * request rate with 10 events per request but no event size; 250 bytes of JSON is a typical web
 * event with a few attributes (assumed: say so wherever it is used).
 */
export const CLICKSTREAM_EVENT_BYTES = 250;

/** One dashboard tab open all day and the four demo users signing in. */
const WATCHERS = { dashboardTabs: 1, dashboardUsers: 4 } as const;

const clickstream = (rps: number, usd: number): Workload => ({
  name: `clickstream-${rps}`,
  requestsPerSecond: rps,
  eventsPerRequest: 10,
  eventBytes: CLICKSTREAM_EVENT_BYTES,
  ...WATCHERS,
  anchor: { label: 'Clickstream Analytics on AWS, ingestion only', usd },
  goalUsd: usd,
});

/**
 * The built-in workloads: the three request rates Clickstream Analytics on AWS prices its
 * ingestion at (10 events per request), and the Game Analytics Pipeline's 100 events/s of 1 KB
 * (sent 100 per request), whose published figure with real-time analytics is $92 + $771.
 */
export const WORKLOADS: readonly Workload[] = [
  clickstream(10, 191.8),
  clickstream(100, 294.8),
  clickstream(1000, 1449.8),
  {
    name: 'gap-100',
    requestsPerSecond: 1,
    eventsPerRequest: 100,
    eventBytes: 1024,
    ...WATCHERS,
    anchor: { label: 'Game Analytics Pipeline with real-time analytics ($92 lake + $771)', usd: 863 },
    goalUsd: 80,
  },
];

/** The built-in workload `name`, or undefined. */
export const workloadNamed = (name: string): Workload | undefined => WORKLOADS.find((w) => w.name === name);

/** A workload of the given traffic, with the built-ins' dashboard watchers. */
export function customWorkload(requestsPerSecond: number, eventsPerRequest: number, eventBytes: number): Workload {
  return {
    name: `${requestsPerSecond} req/s × ${eventsPerRequest} events × ${eventBytes} B`,
    requestsPerSecond,
    eventsPerRequest,
    eventBytes,
    ...WATCHERS,
  };
}
