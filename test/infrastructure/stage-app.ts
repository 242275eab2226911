import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AppProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addStage, StageStacks } from '../../lib/analytics-app';
import { applyComplianceGate } from '../../lib/compliance';
import { stageConfig, StageName } from '../../lib/config/stage-config';
import { buildDashboardSync } from '../../dashboard/build';
import { tempDir } from '../support/temp-dirs';

/** Synthesized templates of one stage, built without bundling Lambda code (intent tests need no assets). */
export interface StageTemplates {
  readonly stacks: StageStacks;
  readonly data: Template;
  readonly analytics: Template;
  readonly api: Template;
}

/**
 * A fresh app with the same feature flags as `cdk synth` (cdk.json's context), without bundling
 * Lambda code (intent tests need no assets), synthesizing into a temporary folder removed after
 * the test file unless `props.outdir` says otherwise.
 */
export function testApp(props: AppProps = {}): App {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return new App({
    outdir: tempDir('cdk.out-'),
    ...props,
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...props.context },
  });
}

let dashboardDist: string | undefined;

/** The dashboard, built once per test file into a temporary directory. */
export function builtDashboard(): string {
  dashboardDist ??= buildDashboardSync(tempDir('dashboard-')).outDir;
  return dashboardDist;
}

/** Builds the named stage into a fresh app and returns its templates. */
export function synthStage(stage: StageName): StageTemplates {
  const app = testApp();
  const stacks = addStage(app, stageConfig(stage), builtDashboard());
  return {
    stacks,
    data: Template.fromStack(stacks.data),
    analytics: Template.fromStack(stacks.analytics),
    api: Template.fromStack(stacks.api),
  };
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** All IAM policy statements of the resources of the given type in a template, flattened. */
export function policyStatements(template: Template, type = 'AWS::IAM::Policy'): Array<Record<string, Json>> {
  const out: Array<Record<string, Json>> = [];
  for (const resource of Object.values(template.findResources(type))) {
    const doc = (resource.Properties as { PolicyDocument: { Statement: Array<Record<string, Json>> } }).PolicyDocument;
    out.push(...doc.Statement);
  }
  return out;
}

/** A statement's actions as an array. */
export function actionsOf(statement: Record<string, Json>): string[] {
  const a = statement.Action;
  return (Array.isArray(a) ? a : [a]).map(String);
}

interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    conclusion: string;
    violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
  }>;
}

/**
 * Builds an app with `build`, runs the compliance gate and synthesizes it as `cdk synth` does:
 * the synth error, if any, and every finding as `<rule> at <construct path>`.
 */
export function synthWithGate(build: (app: App) => void): { error?: Error; findings: string[] } {
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
  const findings = (report?.pluginReports ?? []).flatMap((p) =>
    p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)),
  );
  return { error, findings };
}
