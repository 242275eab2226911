import type { DynamoTableSpec } from '../../local/services/dynamodb';
import { resultsTableSpecIn } from './results-table-spec';
import { tempDir } from './temp-dirs';

/**
 * The results table exactly as the `ResultsTable` construct declares it (keys, `byTime` index,
 * TTL), converted by the local runtime's own template reader, under the given name: tests that
 * run against DynamoDB Local use the real definition, not a copy of it.
 */
export const resultsTableSpec = (name: string): DynamoTableSpec => resultsTableSpecIn(name, tempDir('cdk.out-'));
