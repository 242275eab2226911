import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { builtDashboard, testApp } from './stage-app';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { addStage } from '../../lib/analytics-app';
import { applyComplianceGate } from '../../lib/compliance';
import { STAGE_NAMES, stageConfig } from '../../lib/config/stage-config';

interface ValidationReport {
  pluginReports: Array<{ pluginName: string; conclusion: string; violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
}

function synthWithGate(build: (app: App) => void): { error?: Error; report?: ValidationReport } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-nag-'));
  const app = testApp({ outdir });
  build(app);
  applyComplianceGate(app);
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    error = e as Error;
  }
  const reportFile = path.join(outdir, 'validation-report.json');
  const report = fs.existsSync(reportFile) ? (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as ValidationReport) : undefined;
  fs.rmSync(outdir, { recursive: true, force: true });
  return { error, report };
}

describe('compliance gate (cdk-nag AwsSolutions)', () => {
  it.each(STAGE_NAMES)('%s synthesizes with no unacknowledged finding', (stage) => {
    const { error, report } = synthWithGate((app) => addStage(app, stageConfig(stage), builtDashboard()));
    const violations = (report?.pluginReports ?? []).flatMap((p) =>
      p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)),
    );
    expect(violations).toEqual([]);
    expect(error).toBeUndefined();
  });

  it('fails synth on a finding nobody acknowledged', () => {
    const { error, report } = synthWithGate((app) => new s3.Bucket(new Stack(app, 'Careless'), 'OpenBucket'));
    expect(error?.message).toMatch(/AwsSolutions-S1/);
    const rules = report?.pluginReports.flatMap((p) => p.violations.map((v) => v.ruleName));
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});
