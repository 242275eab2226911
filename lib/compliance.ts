import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/** Runs cdk-nag's AwsSolutions pack on every synth of the app; an unacknowledged finding fails synth. */
export function applyComplianceGate(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
