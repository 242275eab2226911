/**
 * One Lambda function of the running local runtime, started in this process from the cloud
 * assembly `npm start` runs (its bundled asset, its template environment, the local endpoints),
 * for scripts that invoke a function directly (`npm run report -- run`, `npm run ops -- redrive`).
 */
import * as path from 'path';
import { LocalFunction } from '../local/lambda';
import { functionServiceEnvironment, type LocalEndpoints } from '../local/runtime';
import { LOCAL_REGION } from '../local/services/clients';
import { lambdaFunctions, loadCloudAssembly, TemplateResolver } from '../local/template';

/**
 * The function named `functionName` in the assembly at `cdkOut`, ready to invoke (one execution
 * environment, its output to `log`); undefined when the assembly has no such function or it has
 * no bundled asset. The caller stops it.
 */
export function localFunctionOf(
  cdkOut: string,
  functionName: string,
  endpoints: LocalEndpoints,
  log: (line: string) => void,
): LocalFunction | undefined {
  const resolver = TemplateResolver.fromAssembly(loadCloudAssembly(path.resolve(cdkOut)), { region: LOCAL_REGION });
  const spec = lambdaFunctions(resolver).find((f) => f.functionName === functionName);
  if (!spec?.assetDir || !spec.handler) return undefined;
  return new LocalFunction({
    name: spec.functionName,
    assetDir: spec.assetDir,
    handler: spec.handler,
    environment: { ...spec.environment, ...functionServiceEnvironment(endpoints) },
    timeoutMs: spec.timeoutSeconds * 1000,
    memoryMb: spec.memoryMb,
    concurrency: 1,
    functionArn: spec.functionArn,
    log,
  });
}
