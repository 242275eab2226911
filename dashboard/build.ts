/**
 * Builds the static dashboard (dashboard/src) into a directory the local server serves and CDK
 * deploys to S3: `app.js` (+ source map; TypeScript and ECharts bundled, minified, ES2020, IIFE),
 * `styles.css` and `index.html`. `config.json` is not part of the build: it is written at deploy
 * time (CDK) or served by the local dashboard server.
 *
 * Run directly (`npx tsx dashboard/build.ts [outDir]`) it builds into dashboard/dist and
 * prints the bundle size.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { build, buildSync, type BuildOptions } from 'esbuild';

/** The dashboard's sources. */
export const DASHBOARD_SRC = path.join(__dirname, 'src');
/** Where the build goes unless told otherwise (gitignored). */
export const DASHBOARD_DIST = path.join(__dirname, 'dist');

/** Files copied as they are next to the bundle. */
const STATIC_FILES = ['index.html', 'styles.css'] as const;

/** One file of the build and its size. */
export interface BuiltFile {
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** What a build produced. */
export interface DashboardBuild {
  readonly outDir: string;
  readonly files: readonly BuiltFile[];
}

function esbuildOptions(outDir: string): BuildOptions {
  return {
    entryPoints: [path.join(DASHBOARD_SRC, 'main.ts')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    minify: true,
    sourcemap: true,
    target: 'es2020',
    format: 'iife',
    platform: 'browser',
    tsconfig: path.join(DASHBOARD_SRC, '..', 'tsconfig.json'),
    // ECharts guards its development warnings with process.env.NODE_ENV; `process` does not exist in a browser.
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'linked',
    logLevel: 'silent',
  };
}

function prepare(outDir: string): void {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
}

function finish(outDir: string): DashboardBuild {
  for (const name of STATIC_FILES) fs.copyFileSync(path.join(DASHBOARD_SRC, name), path.join(outDir, name));
  const files = fs
    .readdirSync(outDir)
    .sort()
    .map((name) => {
      const content = fs.readFileSync(path.join(outDir, name));
      return { name, bytes: content.length, gzipBytes: zlib.gzipSync(content).length };
    });
  return { outDir, files };
}

/** Builds the dashboard into `outDir` (emptied first); rejects with esbuild's errors if the sources do not compile. */
export async function buildDashboard(outDir: string = DASHBOARD_DIST): Promise<DashboardBuild> {
  prepare(outDir);
  await build(esbuildOptions(outDir));
  return finish(outDir);
}

/** Synchronous `buildDashboard`, for CDK app code that cannot await; throws on build errors. */
export function buildDashboardSync(outDir: string = DASHBOARD_DIST): DashboardBuild {
  prepare(outDir);
  buildSync(esbuildOptions(outDir));
  return finish(outDir);
}

/** `app.js  412.3 KiB (gzip 140.2 KiB)` lines of a build. */
export function formatBuild(result: DashboardBuild): string {
  const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
  const width = Math.max(...result.files.map((f) => f.name.length));
  return result.files.map((f) => `${f.name.padEnd(width)}  ${kib(f.bytes).padStart(10)} (gzip ${kib(f.gzipBytes)})`).join('\n');
}

if (require.main === module) {
  const outDir = path.resolve(process.argv[2] ?? DASHBOARD_DIST);
  const started = Date.now();
  buildDashboard(outDir).then(
    (result) => {
      console.log(
        `dashboard built into ${path.relative(process.cwd(), outDir) || '.'} in ${Date.now() - started} ms\n${formatBuild(result)}`,
      );
    },
    (error: unknown) => {
      console.error(`dashboard build failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
