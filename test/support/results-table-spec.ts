import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ResultsTable } from '../../lib/constructs/results-table';
import { dynamoTableSpec, type DynamoTableSpec } from '../../local/services/dynamodb';
import { TemplateResolver } from '../../local/template';
import type { CfnTemplate } from '../../local/template/types';

/**
 * The results table exactly as the `ResultsTable` construct declares it (keys, `byTime` index,
 * TTL), synthesized into `outdir` and converted by the local runtime's own template reader, under
 * the given name. Free of jest (benches use it too); the caller removes `outdir`.
 */
export function resultsTableSpecIn(name: string, outdir: string): DynamoTableSpec {
  const stack = new Stack(new App({ outdir }), 'ResultsTableUnderTest');
  new ResultsTable(stack, 'Results');
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const resolver = new TemplateResolver([
    {
      stackName: stack.stackName,
      artifactId: stack.artifactId,
      displayName: stack.stackName,
      templatePath: '',
      assemblyDir: '',
      dependencies: [],
      template,
    },
  ]);
  const [record] = resolver.resourcesOfType('AWS::DynamoDB::Table');
  const spec = dynamoTableSpec(resolver, record);
  return { ...spec, name, input: { ...spec.input, TableName: name } };
}
