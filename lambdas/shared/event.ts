import { z } from 'zod';

/** Limits of the v1 event (see the README, "The event (v1)"). */
export const EVENT_LIMITS = {
  idLength: 64,
  actionLength: 256,
  pathLength: 1024,
  errorMsgLength: 1024,
  propsKeys: 100,
  propKeyLength: 128,
  propStringLength: 1024,
  /** Highest `step` (position of a page view in its session, from 1). */
  maxStep: 1000,
} as const;

const boundedId = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const propValue = z.union(
  [
    z.string().max(EVENT_LIMITS.propStringLength, `must be at most ${EVENT_LIMITS.propStringLength} characters`),
    z.number().refine(Number.isFinite, 'must be a finite number'),
    z.boolean(),
    z.null(),
  ],
  { error: 'must be a string, number, boolean or null' },
);

/**
 * The v1 event as a producer sends it. Unknown top-level fields are rejected (strict), so a
 * misspelt field name is reported instead of silently dropped.
 */
export const eventInputSchema = z
  .object({
    eventId: boundedId(EVENT_LIMITS.idLength),
    action: boundedId(EVENT_LIMITS.actionLength),
    userId: boundedId(EVENT_LIMITS.idLength),
    createdAt: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
    sessionId: boundedId(EVENT_LIMITS.idLength).optional(),
    objectId: boundedId(EVENT_LIMITS.idLength).optional(),
    bizId: boundedId(EVENT_LIMITS.idLength).optional(),
    path: z
      .string()
      .min(1, 'must not be empty')
      .max(EVENT_LIMITS.pathLength, `must be at most ${EVENT_LIMITS.pathLength} characters`)
      .optional(),
    step: z
      .int()
      .min(1, 'must be at least 1 (the first page view of a session)')
      .max(EVENT_LIMITS.maxStep, `must be at most ${EVENT_LIMITS.maxStep}`)
      .optional(),
    prevPath: z
      .string()
      .min(1, 'must not be empty')
      .max(EVENT_LIMITS.pathLength, `must be at most ${EVENT_LIMITS.pathLength} characters`)
      .optional(),
    errorMsg: z.string().max(EVENT_LIMITS.errorMsgLength, `must be at most ${EVENT_LIMITS.errorMsgLength} characters`).optional(),
    props: z
      .record(
        z
          .string()
          .min(1, 'keys must not be empty')
          .max(EVENT_LIMITS.propKeyLength, `keys must be at most ${EVENT_LIMITS.propKeyLength} characters`),
        propValue,
      )
      .refine((p) => Object.keys(p).length <= EVENT_LIMITS.propsKeys, `must have at most ${EVENT_LIMITS.propsKeys} keys`)
      .optional(),
  })
  .strict()
  .superRefine((event, ctx) => {
    for (const issue of stepIssues(event)) ctx.addIssue({ code: 'custom', path: [issue.field], message: issue.reason });
  });

/**
 * What is inconsistent between `path`, `step` and `prevPath` (empty when nothing): a step names a
 * page view, so it needs `path`; the first page view (`step` 1) has no previous page, every later
 * one names it in `prevPath`, and `prevPath` only comes with a `step`. Never throws.
 */
export function stepIssues(event: {
  readonly path?: string | undefined;
  readonly step?: number | undefined;
  readonly prevPath?: string | undefined;
}): { readonly field: 'step' | 'prevPath'; readonly reason: string }[] {
  const issues: { readonly field: 'step' | 'prevPath'; readonly reason: string }[] = [];
  if (event.step !== undefined && event.path === undefined)
    issues.push({ field: 'step', reason: 'is only allowed with path (a page view)' });
  if (event.prevPath !== undefined && event.step === undefined)
    issues.push({ field: 'prevPath', reason: 'is only allowed with step (the previous page of that step)' });
  if (event.step === 1 && event.prevPath !== undefined)
    issues.push({ field: 'prevPath', reason: 'must be absent at step 1 (the first page view has no previous page)' });
  if (event.step !== undefined && event.step > 1 && event.prevPath === undefined)
    issues.push({ field: 'prevPath', reason: 'is required when step is above 1 (the page viewed at step - 1)' });
  return issues;
}

export type EventInput = z.infer<typeof eventInputSchema>;
export type PropValue = z.infer<typeof propValue>;

/**
 * The event as it travels on the stream and lands in the lake: `createdAt` normalised to
 * ISO 8601 UTC (`…Z`, millisecond precision) and `receivedAt` added by ingest.
 */
export interface StreamEvent extends EventInput {
  readonly receivedAt: string;
}
