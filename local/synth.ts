import { createHash } from 'crypto';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** Inputs whose change makes a synthesized assembly stale. */
const INPUT_DIRS = ['bin', 'lib', 'lambdas', 'dashboard/src'];
const INPUT_FILES = ['cdk.json', 'package-lock.json', 'tsconfig.json', 'dashboard/csp.ts', 'dashboard/build.ts'];
const STAMP = '.uba-synth.json';

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Hash of the app's sources and the stage: equal hashes mean an equal cloud assembly. */
export function sourceHash(root: string, stage: string): string {
  const hash = createHash('sha256').update(`stage=${stage}\n`);
  const files = [...INPUT_DIRS.flatMap((d) => listFiles(path.join(root, d))), ...INPUT_FILES.map((f) => path.join(root, f))]
    .filter((f) => fs.existsSync(f))
    .sort();
  for (const file of files) {
    hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** True when `outdir` holds an assembly synthesized from exactly the current sources for `stage`. */
export function isUpToDate(root: string, outdir: string, stage: string): boolean {
  const stampFile = path.join(outdir, STAMP);
  if (!fs.existsSync(stampFile) || !fs.existsSync(path.join(outdir, 'manifest.json'))) return false;
  try {
    const stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8')) as { hash?: string };
    return stamp.hash === sourceHash(root, stage);
  } catch {
    return false;
  }
}

/**
 * Synthesizes the app for `stage` into `outdir` with the project's pinned CDK CLI (with the
 * compliance gate, as `cdk synth` does), unless the assembly there is already up to date.
 * Rejects with the CLI's output when synth fails.
 */
export async function ensureSynth(
  root: string,
  outdir: string,
  stage: string,
  log: (line: string) => void,
): Promise<'reused' | 'synthesized'> {
  if (isUpToDate(root, outdir, stage)) return 'reused';
  const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
  log(`synthesizing stage ${stage} into ${path.relative(root, outdir) || outdir} …`);
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(cdk, ['synth', '--quiet', '-c', `stage=${stage}`, '--output', outdir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`cdk synth -c stage=${stage} failed (exit ${code}):\n${output.join('')}`);
  fs.writeFileSync(
    path.join(outdir, STAMP),
    JSON.stringify({ stage, hash: sourceHash(root, stage), at: new Date().toISOString() }, null, 2),
  );
  return 'synthesized';
}
