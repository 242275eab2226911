import type { EventInput } from '../../../lambdas/shared/event';
import type { Audience } from '../history';
import type { Rng } from '../rng';
import { isoUtc } from '../time';
import { audienceOf, newEventId, pickUser, type Scenario, type ScenarioContext, type ScenarioGenerator } from './types';

/** The pages of the path-analysis sample's site. */
export const WEB_PAGES = ['/home', '/blog', '/about', '/services', '/contact', '/faq'] as const;
export type WebPage = (typeof WEB_PAGES)[number];

const EXIT = 'exit' as const;
type Next = WebPage | typeof EXIT;

/** Where sessions start (landing pages). */
const ENTRY: readonly { readonly page: WebPage; readonly weight: number }[] = [
  { page: '/home', weight: 55 },
  { page: '/blog', weight: 25 },
  { page: '/services', weight: 10 },
  { page: '/about', weight: 5 },
  { page: '/faq', weight: 5 },
];

/** Next-page weights per page: a Markov chain, so the Sankey has a recognisable shape. */
export const WEB_TRANSITIONS: Readonly<Record<WebPage, readonly { readonly next: Next; readonly weight: number }[]>> = {
  '/home': [
    { next: '/blog', weight: 35 },
    { next: '/services', weight: 30 },
    { next: '/about', weight: 12 },
    { next: '/faq', weight: 8 },
    { next: '/contact', weight: 5 },
    { next: EXIT, weight: 10 },
  ],
  '/blog': [
    { next: '/blog', weight: 20 },
    { next: '/about', weight: 15 },
    { next: '/services', weight: 15 },
    { next: '/home', weight: 15 },
    { next: '/contact', weight: 5 },
    { next: EXIT, weight: 30 },
  ],
  '/about': [
    { next: '/contact', weight: 30 },
    { next: '/services', weight: 25 },
    { next: '/home', weight: 15 },
    { next: '/blog', weight: 10 },
    { next: EXIT, weight: 20 },
  ],
  '/services': [
    { next: '/contact', weight: 35 },
    { next: '/faq', weight: 25 },
    { next: '/about', weight: 10 },
    { next: '/home', weight: 10 },
    { next: EXIT, weight: 20 },
  ],
  '/contact': [
    { next: '/faq', weight: 15 },
    { next: '/services', weight: 10 },
    { next: '/home', weight: 10 },
    { next: EXIT, weight: 65 },
  ],
  '/faq': [
    { next: '/contact', weight: 30 },
    { next: '/services', weight: 15 },
    { next: '/home', weight: 10 },
    { next: '/faq', weight: 5 },
    { next: EXIT, weight: 40 },
  ],
};

/** Longest session, in page views; a session reaching it ends. */
export const WEB_MAX_STEPS = 12;
/** Share of events that are a click on the current page instead of a move. */
const CLICK_SHARE = 0.15;
const USERS = 300;
const ELEMENTS = ['nav', 'cta', 'link', 'button', 'search'] as const;
const DEVICES = [
  { device: 'desktop', weight: 55 },
  { device: 'mobile', weight: 40 },
  { device: 'tablet', weight: 5 },
] as const;

interface Session {
  readonly sessionId: string;
  readonly userId: string;
  readonly device: string;
  page: WebPage | undefined;
  steps: number;
  lastMs: number;
}

/** Number of concurrently open sessions for a target rate (each advances about every 2 s). */
export function webActiveSessions(rate: number): number {
  return Math.max(4, Math.min(200, Math.round(rate * 2)));
}

class WebGenerator implements ScenarioGenerator {
  private readonly rng: Rng;
  private readonly audience: Audience;
  private readonly users: readonly string[];
  /** Open sessions; a slot is filled when first chosen, so its user is chosen at that time. */
  private readonly sessions: (Session | undefined)[];
  private readonly steps: boolean;

  constructor(ctx: ScenarioContext) {
    this.rng = ctx.rng;
    this.steps = ctx.steps ?? true;
    this.audience = audienceOf(ctx);
    this.users = Array.from({ length: USERS }, () => `user-${this.rng.hex(10)}`);
    this.sessions = Array.from({ length: webActiveSessions(ctx.rate) }, () => undefined);
  }

  next(nowMs: number): EventInput {
    const index = this.rng.int(0, this.sessions.length - 1);
    let session = this.sessions[index] ?? this.newSession(nowMs);
    this.sessions[index] = session;
    if (session.page !== undefined && this.rng.chance(CLICK_SHARE)) return this.click(session, nowMs);

    const next: Next = session.page === undefined ? this.rng.weighted(ENTRY).page : this.rng.weighted(WEB_TRANSITIONS[session.page]).next;
    if (next === EXIT || session.steps >= WEB_MAX_STEPS) {
      session = this.newSession(nowMs);
      this.sessions[index] = session;
      return this.pageView(session, this.rng.weighted(ENTRY).page, nowMs);
    }
    return this.pageView(session, next, nowMs);
  }

  private newSession(nowMs: number): Session {
    return {
      sessionId: `sess-${this.rng.hex(16)}`,
      userId: pickUser(this.audience, this.users, nowMs),
      device: this.rng.weighted(DEVICES).device,
      page: undefined,
      steps: 0,
      lastMs: Number.NEGATIVE_INFINITY,
    };
  }

  /** Event time: the clock, but strictly after the session's previous event (no ties inside a session). */
  private tick(session: Session, nowMs: number): string {
    const ms = Math.max(Math.floor(nowMs), session.lastMs + 1);
    session.lastMs = ms;
    return isoUtc(ms);
  }

  private pageView(session: Session, page: WebPage, nowMs: number): EventInput {
    const referrer = session.page ?? null;
    session.page = page;
    session.steps += 1;
    return {
      eventId: newEventId(this.rng, 'web'),
      action: 'page_view',
      userId: session.userId,
      createdAt: this.tick(session, nowMs),
      sessionId: session.sessionId,
      path: page,
      ...(this.steps ? { step: session.steps, ...(referrer === null ? {} : { prevPath: referrer }) } : {}),
      props: { device: session.device, referrer },
    };
  }

  private click(session: Session, nowMs: number): EventInput {
    const page = session.page as WebPage;
    const element = this.rng.pick(ELEMENTS);
    return {
      eventId: newEventId(this.rng, 'web'),
      action: 'click',
      userId: session.userId,
      createdAt: this.tick(session, nowMs),
      sessionId: session.sessionId,
      objectId: `${page.slice(1)}-${element}`,
      props: { device: session.device, page, element },
    };
  }
}

/** Web sessions walking the path-analysis sample's pages (page views carry `path`, and `step` and `prevPath` unless the context says not; clicks carry none). */
export const webScenario: Scenario = {
  name: 'web',
  description: 'web sessions walking /home /blog /about /services /contact /faq (page_view, click)',
  dimensions: ['device', 'page'],
  create: (ctx) => new WebGenerator(ctx),
};
