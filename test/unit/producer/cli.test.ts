import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { CliExit, DEFAULT_DURATION_S, HISTORY_RATE, parseArgs } from '../../../scripts/producer/cli';

/** The CliExit message of a failing parse (fails the test if the parse succeeds). */
function usageError(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (err) {
    if (err instanceof CliExit) {
      expect(err.exitCode).toBe(2);
      return err.message;
    }
    throw err;
  }
  throw new Error(`parseArgs(${argv.join(' ')}) did not fail`);
}

describe('produce CLI arguments', () => {
  it('applies the defaults', () => {
    expect(parseArgs(['--scenario', 'web'])).toMatchObject({
      scenario: 'web',
      rate: 10,
      durationS: DEFAULT_DURATION_S,
      batch: 100,
      timeZone: 'Asia/Shanghai',
      invalidRatio: 0,
      concurrency: 4,
      maxRetries: 5,
      quiet: false,
      dryRun: false,
    });
  });

  it('reads every option', () => {
    const o = parseArgs([
      '--scenario',
      'recharge',
      '--rate',
      '200',
      '--count',
      '5000',
      '--batch',
      '500',
      '--endpoint',
      'http://127.0.0.1:8787',
      '--api-key',
      'k',
      '--seed',
      '42',
      '--start-time',
      '2024-05-27T11:40:00',
      '--time-zone',
      'Asia/Shanghai',
      '--truth',
      'out/truth.json',
      '--invalid-ratio',
      '0.05',
      '--concurrency',
      '8',
      '--max-retries',
      '3',
      '--quiet',
    ]);
    expect(o).toMatchObject({
      scenario: 'recharge',
      rate: 200,
      count: 5000,
      batch: 500,
      endpoint: 'http://127.0.0.1:8787',
      apiKey: 'k',
      seed: 42,
      truth: 'out/truth.json',
      invalidRatio: 0.05,
      concurrency: 8,
      maxRetries: 3,
      quiet: true,
    });
    expect(o.durationS).toBeUndefined();
    // an offset-less --start-time is read in --time-zone
    expect(o.startTimeMs).toBe(Date.parse('2024-05-27T03:40:00Z'));
  });

  it('reads --days with --count', () => {
    expect(parseArgs(['--scenario', 'taobao', '--days', '30', '--count', '50000'])).toMatchObject({ days: 30, count: 50000 });
    expect(parseArgs(['--scenario', 'taobao']).days).toBeUndefined();
  });

  it('sends history in full batches at the history rate unless --rate or --batch are given', () => {
    expect(parseArgs(['--scenario', 'taobao', '--days', '30', '--count', '50000'])).toMatchObject({ rate: HISTORY_RATE, batch: 500 });
    expect(parseArgs(['--scenario', 'taobao', '--days', '30', '--count', '50', '--rate', '7', '--batch', '20'])).toMatchObject({
      rate: 7,
      batch: 20,
    });
    expect(parseArgs(['--scenario', 'taobao', '--count', '50'])).toMatchObject({ rate: 10, batch: 100 });
  });

  it('rejects an unknown scenario, listing the valid ones', () => {
    expect(usageError(['--scenario', 'shop'])).toContain(
      'unknown scenario "shop"; valid scenarios: web, taobao, recharge, vending, alerts',
    );
    expect(usageError([])).toContain("required option '--scenario <name>' not specified");
  });

  it.each([
    [['--rate', '0'], "'--rate <events-per-s>' argument '0' is invalid. must be a positive integer"],
    [['--rate', '2.5'], 'must be a positive integer'],
    [['--rate', 'fast'], 'must be a positive integer'],
    [['--count', '-3'], 'must be a positive integer'],
    [['--batch', '501'], 'must be an integer from 1 to 500'],
    [['--batch', '0'], 'must be an integer from 1 to 500'],
    [['--duration', '0'], 'must be a positive number of seconds'],
    [['--count', '10', '--duration', '5'], 'cannot be used with option'],
    [['--invalid-ratio', '1.5'], 'must be a number from 0 to 1'],
    [['--seed', '-1'], 'must be an integer from 0 to 4294967295'],
    [['--start-time', 'yesterday'], 'must be an ISO 8601 time'],
    [['--time-zone', 'Mars/Olympus'], 'must be an IANA time zone'],
    [['--endpoint', 'ftp://x'], 'must be an http(s) URL'],
    [['--endpoint', 'http://127.0.0.1:8787'], 'needs --api-key'],
    [['--stage', 'Prod!'], 'must be a stage name'],
    [['--bogus'], "unknown option '--bogus'"],
    [['--days', '30'], "option '--days <n>' needs --count <n>"],
    [['--days', '0', '--count', '10'], 'must be an integer from 1 to 400'],
    [['--days', '3', '--count', '10', '--start-time', '2024-05-27T03:40:00Z'], 'cannot be used with option'],
    [['--days', '3', '--duration', '10'], 'cannot be used with option'],
  ])('rejects %j', (args, message) => {
    expect(usageError(['--scenario', 'web', ...args])).toContain(message);
  });

  it('exits with code 2 and the message on stderr when run', () => {
    const root = path.resolve(__dirname, '../../..');
    const result = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/produce.ts', '--scenario', 'nope'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('valid scenarios: web, taobao, recharge, vending, alerts');
  });
});
