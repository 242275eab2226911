import { CommanderError } from 'commander';
import { parseCostArgs } from '../../../scripts/cost';
import { WORKLOADS } from '../../../scripts/cost/workloads';

describe('npm run cost: command line', () => {
  it('prices the prod stage at the four built-in workloads by default, as a table', () => {
    const options = parseCostArgs([]);
    expect(options.stage).toBe('prod');
    expect(options.format).toBe('table');
    expect(options.workloads.map((w) => w.name)).toEqual(['clickstream-10', 'clickstream-100', 'clickstream-1000', 'gap-100']);
  });

  it('takes one built-in workload, a stage and JSON output', () => {
    const options = parseCostArgs(['--stage', 'dev', '--workload', 'gap-100', '--format', 'json']);
    expect(options).toEqual({ stage: 'dev', format: 'json', workloads: [WORKLOADS[3]], levers: false });
  });

  it('builds a workload from --rps, --events-per-request and --event-bytes', () => {
    const [w] = parseCostArgs(['--rps', '50', '--events-per-request', '20', '--event-bytes', '400']).workloads;
    expect(w).toMatchObject({ requestsPerSecond: 50, eventsPerRequest: 20, eventBytes: 400 });
  });

  it('prices the levers instead when asked', () => {
    expect(parseCostArgs(['--levers']).levers).toBe(true);
  });

  it.each([
    [['--rps', '0'], /--rps <n>.*must be a number above 0/],
    [['--rps', 'ten'], /must be a number above 0/],
    [['--events-per-request', '10'], /--events-per-request and --event-bytes need --rps/],
    [
      ['--workload', 'clickstream-5'],
      /--workload.*clickstream-5.*Allowed choices are clickstream-10, clickstream-100, clickstream-1000, gap-100/,
    ],
    [['--stage', 'qa'], /--stage.*qa.*Allowed choices are dev, uat, prod/],
    [['--workload', 'gap-100', '--rps', '5'], /--workload.*cannot be used with option '--rps/],
  ])('refuses %j naming the option and the reason', (argv, message) => {
    expect(() => parseCostArgs(argv)).toThrow(CommanderError);
    expect(() => parseCostArgs(argv)).toThrow(message);
  });
});
