/**
 * Synthesizes every stage with the compliance gate, each into its own cloud assembly
 * (`cdk.out.<stage>`), exactly as `cdk synth -c stage=<stage>` does. Exits non-zero if any
 * stage fails to synthesize or has an unacknowledged cdk-nag finding.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { STAGE_NAMES } from '../lib/config/stage-config';

const root = path.join(__dirname, '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
let failed = 0;
for (const stage of STAGE_NAMES) {
  const started = Date.now();
  const run = spawnSync(cdk, ['synth', '--quiet', '-c', `stage=${stage}`, '--output', `cdk.out.${stage}`], { cwd: root, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (run.status === 0) {
    console.log(`synth ${stage}: ok in ${seconds} s (cdk.out.${stage})`);
  } else {
    failed += 1;
    console.error(`synth ${stage}: FAILED (exit ${run.status ?? run.signal}) after ${seconds} s`);
  }
}
process.exit(failed === 0 ? 0 : 1);
