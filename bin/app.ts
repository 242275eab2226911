#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addStage } from '../lib/analytics-app';
import { applyComplianceGate } from '../lib/compliance';
import { stageConfig, UnknownStageError } from '../lib/config/stage-config';
import { buildDashboardSync, DASHBOARD_DIST } from '../dashboard/build';

const app = new App();
const requested: unknown = app.node.tryGetContext('stage');
try {
  const config = stageConfig(typeof requested === 'string' ? requested : undefined);
  // The dashboard deployment hashes the built files: build them first (esbuild, ~0.5 s).
  buildDashboardSync(DASHBOARD_DIST);
  addStage(app, config, DASHBOARD_DIST);
} catch (error) {
  if (error instanceof UnknownStageError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
applyComplianceGate(app);
app.synth();
