import type { StackTemplate } from '../../local/template';
import type { CfnTemplate } from '../../local/template/types';

/** `template` as the one stack `stackName` of a cloud assembly, for the template reader in unit tests. */
export const asStackTemplate = (template: CfnTemplate, stackName = 'uba-test-api'): StackTemplate => ({
  stackName,
  artifactId: stackName,
  displayName: stackName,
  templatePath: `/tmp/${stackName}.template.json`,
  assemblyDir: '/tmp',
  dependencies: [],
  template,
});
