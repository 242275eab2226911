/**
 * Synthesizes every stage with the compliance gate, each into its own cloud assembly
 * (`cdk.out.<stage>`), exactly as `cdk synth -c stage=<stage>` does; an assembly whose sources
 * have not changed is reused. Exits non-zero if any stage fails to synthesize or has an
 * unacknowledged cdk-nag finding. Stage names as arguments synthesize only those
 * (`npm run synth:all -- dev uat`).
 */
import * as path from 'path';
import { STAGE_NAMES } from '../lib/config/stage-config';
import { ensureSynth } from '../local/synth';

async function main(): Promise<number> {
  const root = path.join(__dirname, '..');
  const asked = process.argv.slice(2);
  const unknown = asked.filter((s) => !(STAGE_NAMES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    console.error(`synth: unknown stage ${unknown.join(', ')}; valid stages: ${STAGE_NAMES.join(', ')}`);
    return 2;
  }
  let failed = 0;
  for (const stage of asked.length > 0 ? asked : STAGE_NAMES) {
    const started = Date.now();
    try {
      const how = await ensureSynth(root, path.join(root, `cdk.out.${stage}`), stage, console.log);
      console.log(`synth ${stage}: ok (${how}) in ${((Date.now() - started) / 1000).toFixed(1)} s -> cdk.out.${stage}`);
    } catch (error) {
      failed += 1;
      console.error(`synth ${stage}: FAILED after ${((Date.now() - started) / 1000).toFixed(1)} s\n${(error as Error).message}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

void main().then((code) => {
  process.exitCode = code;
});
