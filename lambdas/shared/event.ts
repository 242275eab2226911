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
  .strict();

export type EventInput = z.infer<typeof eventInputSchema>;
export type PropValue = z.infer<typeof propValue>;

/**
 * The event as it travels on the stream and lands in the lake: `createdAt` normalised to
 * ISO 8601 UTC (`…Z`, millisecond precision) and `receivedAt` added by ingest.
 */
export interface StreamEvent extends EventInput {
  readonly receivedAt: string;
}
