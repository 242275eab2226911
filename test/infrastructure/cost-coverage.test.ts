import { addStage } from '../../lib/analytics-app';
import { STAGE_NAMES, stageConfig } from '../../lib/config/stage-config';
import { loadCloudAssembly } from '../../local/template/assembly';
import { Inputs, loadInputs } from '../../scripts/cost/inputs';
import { COMPONENTS, estimate } from '../../scripts/cost/model';
import { readDeployment, unpricedTypes } from '../../scripts/cost/template';
import { WORKLOADS } from '../../scripts/cost/workloads';
import { builtDashboard, testApp } from './stage-app';

/** The stacks of `stage` as `cdk synth` writes them (Lambda code not bundled). */
function synthesized(stage: (typeof STAGE_NAMES)[number]) {
  const app = testApp();
  addStage(app, stageConfig(stage), builtDashboard());
  return loadCloudAssembly(app.synth().directory).stacks;
}

describe.each(STAGE_NAMES)('cost model coverage of the %s stage', (stage) => {
  const stacks = synthesized(stage);

  it('prices or lists as free every resource type the templates hold', () => {
    // A new resource type billed per use must be priced in scripts/cost/model.ts, or listed as free with the reason.
    expect(unpricedTypes(stacks)).toEqual([]);
  });

  it('finds the front door: requests drive the ingest function, through a load balancer only with ingest.frontDoor alb', () => {
    const config = stageConfig(stage);
    const alb = config.ingest.frontDoor.kind === 'alb';
    const deployment = readDeployment(stacks);
    expect(deployment.functions.filter((f) => f.driver === 'ingest').map((f) => f.service)).toEqual(['ingest']);
    expect(deployment.loadBalancers).toEqual(alb ? [{ internetFacing: true, availabilityZones: 2, rules: 1, webAclRules: 4 }] : []);
    expect(deployment.producerKeys).toEqual(
      alb && config.ingest.frontDoor.kind === 'alb'
        ? { producers: config.ingest.producers.length, cacheSeconds: config.ingest.frontDoor.keyCacheTtl.toSeconds() }
        : undefined,
    );
    const { prices, measured } = loadInputs();
    const bill = estimate(deployment, WORKLOADS[0], new Inputs(prices, measured));
    expect(bill.items.some((i) => i.item === 'load balancer hours')).toBe(alb);
    expect(bill.items.some((i) => i.item.startsWith('REST API requests (ingest'))).toBe(!alb);
  });

  it('prices every built-in workload with the checked-in prices and figures', () => {
    const { prices, measured } = loadInputs();
    const inputs = new Inputs(prices, measured);
    const deployment = readDeployment(stacks);
    for (const workload of WORKLOADS) {
      const bill = estimate(deployment, workload, inputs);
      expect(bill.monthlyUsd).toBeGreaterThan(0);
      for (const c of COMPONENTS) expect(bill.components[c]).toBeGreaterThanOrEqual(0);
      // Every component the stage has resources for is priced above zero (no Cognito pool yet; 'other' holds a secret).
      for (const c of COMPONENTS.filter((name) => name !== 'cognito')) expect(bill.components[c]).toBeGreaterThan(0);
    }
  });
});
