import { App, Tags } from 'aws-cdk-lib';
import type { StageConfig } from './config/stage-config';
import { DataStack } from './stacks/data-stack';
import { IngestStack } from './stacks/ingest-stack';

/** The stacks of one stage, as synthesized into the app. */
export interface StageStacks {
  readonly data: DataStack;
  readonly ingest: IngestStack;
}

/**
 * Adds the stacks of one stage to the app, named `<prefix>-<part>` (e.g. `uba-dev-data`), all
 * tagged with the stage's tags. Stacks are top-level so `cdk deploy --all` selects them.
 */
export function addStage(app: App, config: StageConfig): StageStacks {
  const stack = (part: string) => ({ stackName: `${config.prefix}-${part}`, description: `User-behaviour analytics (${config.stage}): ${part}` });
  const data = new DataStack(app, `${config.prefix}-data`, { ...stack('data'), config });
  const ingest = new IngestStack(app, `${config.prefix}-ingest`, {
    ...stack('ingest'),
    config,
    stream: data.events.stream,
    pseudonymKey: data.pseudonymKey,
  });
  for (const [key, value] of Object.entries(config.tags)) Tags.of(app).add(key, value);
  return { data, ingest };
}
