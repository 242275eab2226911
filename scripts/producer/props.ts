/** Reading `props` values the way the pipeline's SQL and analyses do. */
import type { PropValue } from '../../lambdas/shared/event';

/** The value as text (a JSON scalar as SQL reads it), or undefined when absent or null. */
export function propText(value: PropValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  return String(value);
}

/** The value as a number (numbers and numeric strings), or undefined. */
export function propNumber(value: PropValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}
