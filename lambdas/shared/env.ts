import { z } from 'zod';
import { ConfigError, type FieldIssue } from './issues';

/** The environment as Lambda passes it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A variable that must be set to something other than blanks (trimmed). */
export const requiredString = z.string({ error: 'is required' }).trim().min(1, 'is required');

/**
 * A whole number in `min..max` given as a decimal string (surrounding blanks ignored). Without
 * `fallback` the variable is required; with it, an unset or empty variable gives `fallback`.
 */
export const integerString = (min: number, max: number, fallback?: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') {
        if (fallback !== undefined) return fallback;
        ctx.addIssue({ code: 'custom', message: value === undefined ? 'is required' : 'must be a whole number' });
        return z.NEVER;
      }
      if (!/^\d+$/.test(value.trim())) {
        ctx.addIssue({ code: 'custom', message: 'must be a whole number' });
        return z.NEVER;
      }
      return Number(value.trim());
    })
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** Zod's issues as `{field, reason}`, the field being the variable's name. */
export const envIssues = (error: z.ZodError): FieldIssue[] =>
  error.issues.map((issue) => ({ field: issue.path.join('.'), reason: issue.message }));

/**
 * Parses `env` with `schema`. Throws {@link ConfigError} (`invalid <subject>: NAME: reason; …`)
 * naming every bad variable.
 */
export function parseEnv<T>(schema: z.ZodType<T>, env: Env, subject: string): T {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(subject, envIssues(parsed.error));
  return parsed.data;
}
