import { DateTime } from 'luxon';
import type { TemplateResolver } from '../template/resolver';
import { isJsonObject, type JsonValue } from '../template/types';

/** An `AWS::Scheduler::Schedule` with a Lambda target. */
export interface ScheduleSpec {
  readonly name: string;
  readonly expression: string;
  /** IANA zone of a cron expression. @default UTC */
  readonly timeZone: string;
  readonly enabled: boolean;
  readonly targetArn: string;
  /** The payload the target receives (`Target.Input`, `{}` when absent). */
  readonly input: string;
}

/** Thrown for a schedule expression the local scheduler does not evaluate. */
export class ScheduleExpressionError extends Error {
  constructor(expression: string, reason: string) {
    super(`schedule expression ${expression}: ${reason}`);
    this.name = 'ScheduleExpressionError';
  }
}

const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** The schedules of the templates. */
export function schedulesFromTemplate(resolver: TemplateResolver): ScheduleSpec[] {
  return resolver.resourcesOfType('AWS::Scheduler::Schedule').map((rec) => {
    const p = resolver.resolveProperties(rec);
    const target = isJsonObject(p.Target) ? p.Target : {};
    return {
      name: resolver.physicalName(rec.stackName, rec.logicalId),
      expression: str(p.ScheduleExpression) ?? '',
      timeZone: str(p.ScheduleExpressionTimezone) ?? 'UTC',
      enabled: (str(p.State) ?? 'ENABLED') === 'ENABLED',
      targetArn: str(target.Arn) ?? '',
      input: str(target.Input) ?? '{}',
    };
  });
}

/** The values a cron field allows: `*`/`?` (all), or a comma list of numbers within bounds. */
function field(expression: string, text: string, min: number, max: number, name: string): number[] | 'all' {
  if (text === '*' || text === '?') return 'all';
  const values = text.split(',').map((v) => (/^\d+$/.test(v) ? Number(v) : Number.NaN));
  if (values.some((v) => !Number.isInteger(v) || v < min || v > max)) {
    throw new ScheduleExpressionError(
      expression,
      `the ${name} field ${text} is not supported locally (numbers ${min}-${max}, comma lists, * or ?)`,
    );
  }
  return values;
}

/**
 * The first time after `after` that a schedule fires: `cron(minutes hours day-of-month month
 * day-of-week year)` in `timeZone` (minutes and hours as numbers or lists, the other fields `*`
 * or `?`), or `rate(N unit)` counted from `after`. Throws ScheduleExpressionError for anything else.
 */
export function nextFireTime(expression: string, timeZone: string, after: Date): Date {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const unitMs = rate[2].startsWith('minute') ? 60_000 : rate[2].startsWith('hour') ? 3_600_000 : 86_400_000;
    return new Date(after.getTime() + Number(rate[1]) * unitMs);
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) throw new ScheduleExpressionError(expression, 'only cron(...) and rate(...) run locally');
  const parts = cron[1].trim().split(/\s+/);
  if (parts.length !== 6) throw new ScheduleExpressionError(expression, 'a cron expression has six fields');
  const minutes = field(expression, parts[0], 0, 59, 'minutes');
  const hours = field(expression, parts[1], 0, 23, 'hours');
  for (const [i, name] of [
    [2, 'day-of-month'],
    [3, 'month'],
    [4, 'day-of-week'],
    [5, 'year'],
  ] as const) {
    if (parts[i] !== '*' && parts[i] !== '?') throw new ScheduleExpressionError(expression, `the ${name} field must be * or ? locally`);
  }
  let t = DateTime.fromJSDate(after, { zone: timeZone }).startOf('minute').plus({ minutes: 1 });
  // At most two days of minutes to look through.
  for (let i = 0; i < 2 * 24 * 60 + 1; i += 1, t = t.plus({ minutes: 1 })) {
    if ((minutes === 'all' || minutes.includes(t.minute)) && (hours === 'all' || hours.includes(t.hour))) return t.toJSDate();
  }
  throw new ScheduleExpressionError(expression, 'never fires');
}

/** Running schedules; `stop()` cancels the timers. */
export interface RunningSchedules {
  /** When each schedule fires next. */
  readonly next: ReadonlyMap<string, Date>;
  stop(): void;
}

/**
 * Fires each enabled schedule at its times, as EventBridge Scheduler does: `fire(spec)` is called
 * with the schedule (the runtime invokes the target with its input). Throws
 * ScheduleExpressionError at start for an expression it cannot evaluate.
 */
export function startSchedules(
  specs: readonly ScheduleSpec[],
  fire: (spec: ScheduleSpec) => Promise<void>,
  now: () => Date = () => new Date(),
): RunningSchedules {
  const next = new Map<string, Date>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const arm = (spec: ScheduleSpec) => {
    if (stopped) return;
    const at = nextFireTime(spec.expression, spec.timeZone, now());
    next.set(spec.name, at);
    // setTimeout takes at most 2^31-1 ms; re-arm on the way for longer waits.
    const wait = Math.min(at.getTime() - now().getTime(), 2 ** 31 - 1);
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (now().getTime() + 1000 < at.getTime()) {
          arm(spec);
          return;
        }
        void fire(spec).finally(() => arm(spec));
      },
      Math.max(0, wait),
    );
    timer.unref();
    timers.add(timer);
  };
  for (const spec of specs) if (spec.enabled) arm(spec);
  return {
    next,
    stop: () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
