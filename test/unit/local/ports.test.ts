import * as net from 'net';
import {
  DEFAULT_EPHEMERAL_RANGE,
  MIN_CHOSEN_PORT,
  currentEphemeralRange,
  ephemeralPortRange,
  findFreePortBlock,
  listen,
  portBlockSpan,
} from '../../../local/services/ports';

describe('ephemeralPortRange', () => {
  it('reads the range /proc gives', () => {
    expect(ephemeralPortRange('32768\t60999\n')).toEqual([32768, 60999]);
    expect(ephemeralPortRange('1024 5000')).toEqual([1024, 5000]);
  });

  it.each([undefined, '', 'x y', '60999 32768', '0 70000', '40000'])('falls back to the Linux default for %p', (text) => {
    expect(ephemeralPortRange(text)).toEqual(DEFAULT_EPHEMERAL_RANGE);
  });
});

describe('portBlockSpan', () => {
  it('places a block below the ephemeral range when there is room', () => {
    expect(portBlockSpan(10, [32768, 60999])).toEqual({ first: MIN_CHOSEN_PORT, last: 32758 });
  });

  it('places it above the range when the range starts low', () => {
    expect(portBlockSpan(10, [5000, 40000])).toEqual({ first: 40001, last: 65526 });
  });

  it('has no span when the range covers everything', () => {
    expect(portBlockSpan(10, [1024, 65535])).toBeUndefined();
  });
});

describe('findFreePortBlock', () => {
  it('finds consecutive ports that can all be bound, none in the range the kernel serves port 0 from', async () => {
    const [low, high] = currentEphemeralRange();
    for (let round = 0; round < 5; round++) {
      const base = await findFreePortBlock(10);
      const servers: net.Server[] = [];
      try {
        for (let i = 0; i < 10; i++) {
          const port = base + i;
          expect(port < low || port > high).toBe(true);
          const server = net.createServer();
          servers.push(server);
          expect(await listen(server, port, `port ${i}`)).toBe(port);
        }
        // What the kernel hands out for port 0 meanwhile never lands in the block.
        for (let i = 0; i < 50; i++) {
          const server = net.createServer();
          servers.push(server);
          const got = await listen(server, 0, 'any');
          expect(got >= base && got < base + 10).toBe(false);
        }
      } finally {
        await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      }
    }
  });
});
