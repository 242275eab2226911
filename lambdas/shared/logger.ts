/** Structured attributes of one log line. */
export type LogAttributes = Record<string, unknown>;

/**
 * What the Lambda handlers log through. Powertools' `Logger` fits it; tests pass a recording
 * fake. Log an error by passing the error object among the attributes (`{ error }`), never only
 * its message: Powertools then writes its name, stack and `cause`.
 */
export interface AppLogger {
  info(message: string, ...attributes: LogAttributes[]): void;
  warn(message: string, ...attributes: LogAttributes[]): void;
  error(message: string, ...attributes: LogAttributes[]): void;
}
