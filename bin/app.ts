#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addStage } from '../lib/analytics-app';
import { applyComplianceGate } from '../lib/compliance';
import { stageConfig, UnknownStageError } from '../lib/config/stage-config';

const app = new App();
const requested: unknown = app.node.tryGetContext('stage');
try {
  addStage(app, stageConfig(typeof requested === 'string' ? requested : undefined));
} catch (error) {
  if (error instanceof UnknownStageError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
applyComplianceGate(app);
app.synth();
