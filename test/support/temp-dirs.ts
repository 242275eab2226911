import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

let root: string | undefined;

/**
 * A fresh folder under this test file's own temporary root (synth output, a dashboard build),
 * so CDK never falls back to its own `cdk.out*` folders in the system temp directory. The root,
 * with everything in it, is removed after the file's tests.
 */
export function tempDir(prefix: string): string {
  root ??= fs.mkdtempSync(path.join(os.tmpdir(), 'uba-test-'));
  return fs.mkdtempSync(path.join(root, prefix));
}

afterAll(() => {
  if (root !== undefined) fs.rmSync(root, { recursive: true, force: true });
  root = undefined;
});
