/**
 * The one shape of "this input is wrong": the field (a dotted path such as
 * `windowRules[0].threshold`, an environment variable's name, a query parameter, or `''` for the
 * input as a whole) and why. Request errors, query-parameter errors, event validation errors and
 * configuration errors all use it.
 */
export interface FieldIssue {
  readonly field: string;
  readonly reason: string;
}

/** `field: reason` (just `reason` when the field is `''`). Never throws. */
export const issueText = (issue: FieldIssue): string => (issue.field === '' ? issue.reason : `${issue.field}: ${issue.reason}`);

/**
 * A configuration that cannot be used: `issues` names every bad field, and the message lists
 * them as `invalid <subject>: field: reason; field: reason`.
 */
export class ConfigError extends Error {
  constructor(
    subject: string,
    readonly issues: readonly FieldIssue[],
  ) {
    super(`invalid ${subject}: ${issues.map(issueText).join('; ')}`);
    this.name = 'ConfigError';
  }
}
