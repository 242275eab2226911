import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { AppLogger } from './logger';

/** A handler as the entry point calls it: the event, and Lambda's context when the runtime gives one. */
export type LiveHandler<E, R> = (event: E, context?: Context) => Promise<R>;

/**
 * The Lambda entry point of every function: one Powertools logger per container, the invoke's
 * context added to it, and the handler built by `build` on the first invoke (where the
 * configuration is read from the environment and checked). When `build` throws, the error is
 * logged with its stack and rethrown; the next invoke tries again.
 */
export function lambdaEntry<E, R>(build: (logger: AppLogger) => LiveHandler<E, R>): LiveHandler<E, R> {
  const logger = new Logger();
  let live: LiveHandler<E, R> | undefined;
  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    if (live === undefined) {
      try {
        live = build(logger);
      } catch (error) {
        logger.error('invalid configuration', { error });
        throw error;
      }
    }
    return live(event, context);
  };
}
