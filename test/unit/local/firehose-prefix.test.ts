import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  FileCheckpointStore,
  FirehosePrefixError,
  MemoryCheckpointStore,
  assertTimeZone,
  bufferingHints,
  checkpointFilePath,
  compilePrefixes,
  deliveryStreamSpecFromProperties,
  evaluatePrefix,
  flushReason,
  formatJavaDate,
  msUntilIntervalFlush,
  objectExtension,
  objectKeySuffix,
} from '../../../local/firehose';

// 2024-03-09 23:30:15.123 UTC — 07:30 on the 10th in Shanghai, 18:30 on the 9th in New York.
const T = Date.UTC(2024, 2, 9, 23, 30, 15, 123);

function evalPrefix(prefix: string | undefined, timeZone?: string, errorOutputPrefix?: string): string {
  return evaluatePrefix(compilePrefixes(prefix, errorOutputPrefix).prefix, { time: T, timeZone });
}

describe('Java DateTimeFormatter subset', () => {
  it('formats the common fields, literals and escapes', () => {
    expect(formatJavaDate('yyyy/MM/dd/HH/mm/ss', T)).toBe('2024/03/09/23/30/15');
    expect(formatJavaDate("'year='yyyy'/month='MM", T)).toBe('year=2024/month=03');
    expect(formatJavaDate("yyyy''MM", T)).toBe("2024'03");
    expect(formatJavaDate("'it''s' d", T)).toBe("it's 9");
    expect(formatJavaDate('yy M d H', T)).toBe('24 3 9 23');
    expect(formatJavaDate('yyyy-MM-dd[ HH]', T)).toBe('2024-03-09 23');
  });

  it.each(['MMM', 'MMMM', 'EEE', 'SSS', 'D', 'hh', 'a', 'XXX', 'Z', 'u', 'L', 'k', 'K', 'x', 'VV'])(
    'names %s, which the app does not use, as not supported',
    (pattern) => {
      expect(() => formatJavaDate(pattern, T)).toThrow(FirehosePrefixError);
      expect(() => formatJavaDate(pattern, T)).toThrow(/is not supported by the local Firehose stand-in/);
    },
  );

  it('rejects patterns Java rejects or the subset lacks', () => {
    expect(() => formatJavaDate('ddd', T)).toThrow(/too many pattern letters: d/);
    expect(() => formatJavaDate("'open", T)).toThrow(/unterminated quote/);
    expect(() => formatJavaDate('GGGG', T)).toThrow(/pattern letter 'G' is not supported/);
    expect(() => formatJavaDate('yyyy{', T)).toThrow(/reserved/);
  });
});

describe('prefix evaluation', () => {
  it('evaluates timestamp namespaces in UTC by default', () => {
    expect(evalPrefix('raw/dt=!{timestamp:yyyy-MM-dd}/h=!{timestamp:HH}/', undefined, 'errors/!{firehose:error-output-type}/')).toBe(
      'raw/dt=2024-03-09/h=23/',
    );
  });

  it('evaluates in CustomTimeZone, across midnight', () => {
    expect(evalPrefix('raw/dt=!{timestamp:yyyy-MM-dd}/h=!{timestamp:HH}/', 'Asia/Shanghai', 'e/!{firehose:error-output-type}')).toBe(
      'raw/dt=2024-03-10/h=07/',
    );
    expect(evalPrefix('dt=!{timestamp:yyyy-MM-dd}/', 'America/New_York', 'e/!{firehose:error-output-type}')).toBe('dt=2024-03-09/');
    // the day after the US switch to daylight time: UTC-4
    expect(formatJavaDate('yyyy-MM-dd HH:mm', Date.UTC(2024, 2, 11, 3, 59), 'America/New_York')).toBe('2024-03-10 23:59');
  });

  it('applies the default time prefix when none or no timestamp is given', () => {
    expect(evalPrefix(undefined)).toBe('2024/03/09/23/');
    expect(evalPrefix('')).toBe('2024/03/09/23/');
    expect(evalPrefix('raw/')).toBe('raw/2024/03/09/23/');
    expect(evalPrefix('raw/', 'Asia/Shanghai')).toBe('raw/2024/03/10/07/');
    expect(evalPrefix('r=!{firehose:random-string}/', undefined, 'e/!{firehose:error-output-type}/')).toMatch(
      /^r=[0-9a-f]{8}-[0-9a-f]{2}\/2024\/03\/09\/23\/$/,
    );
  });

  it('gives every random-string its own value and every timestamp the same instant', () => {
    let n = 0;
    const p = compilePrefixes(
      '!{firehose:random-string}/!{firehose:random-string}/!{timestamp:ss}/!{timestamp:ss}',
      'e/!{firehose:error-output-type}',
    ).prefix;
    expect(evaluatePrefix(p, { time: T, randomString: () => `r${n++}` })).toBe('r0/r1/15/15');
  });

  it('evaluates ErrorOutputPrefix with the error output type', () => {
    const { errorOutputPrefix } = compilePrefixes(
      'raw/!{timestamp:yyyy}/',
      'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
    );
    expect(evaluatePrefix(errorOutputPrefix, { time: T, errorOutputType: 'processing-failed' })).toBe(
      'errors/processing-failed/2024/03/09/',
    );
    const dflt = compilePrefixes('myPrefix/').errorOutputPrefix;
    expect(evaluatePrefix(dflt, { time: T, errorOutputType: 'processing-failed' })).toBe('myPrefix/processing-failed/2024/03/09/23/');
  });

  it('rejects prefixes Firehose rejects at creation', () => {
    expect(() => compilePrefixes('!{timestamp:yyyy}/')).toThrow(/ErrorOutputPrefix can't be empty when Prefix/);
    expect(() => compilePrefixes('a/!{firehose:error-output-type}/', 'e/!{firehose:error-output-type}')).toThrow(
      /only be used in ErrorOutputPrefix/,
    );
    expect(() => compilePrefixes('a/!{timestamp:yyyy}/', 'e/!{timestamp:yyyy}/')).toThrow(/must include !\{firehose:error-output-type\}/);
    expect(() => compilePrefixes('a/!{nope:x}/', 'e/!{firehose:error-output-type}')).toThrow(/unknown namespace "nope"/);
    expect(() => compilePrefixes('a/!{firehose:other}/', 'e/!{firehose:error-output-type}')).toThrow(/unknown firehose namespace value/);
    expect(() => compilePrefixes('a/!{timestamp:yyyy', 'e/!{firehose:error-output-type}')).toThrow(/the sequence !\{ may only start/);
    expect(() => compilePrefixes('a/!{partitionKeyFromQuery:k}/', 'e/!{firehose:error-output-type}')).toThrow(/dynamic partitioning/);
    expect(() => compilePrefixes('a/!{timestamp:ddd}/', 'e/!{firehose:error-output-type}')).toThrow(FirehosePrefixError);
    const long = compilePrefixes(`${'x'.repeat(520)}/`).prefix;
    expect(() => evaluatePrefix(long, { time: T })).toThrow(/at most 512/);
    expect(() => assertTimeZone('Mars/Olympus')).toThrow(/unknown time zone/);
  });
});

describe('object naming', () => {
  it('names objects <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>', () => {
    const uuid = '0b7b1c3e-1111-4222-8333-444455556666';
    expect(objectKeySuffix({ deliveryStreamName: 'uba-dev-lake', time: T, uuid, extension: '.gz' })).toBe(
      `uba-dev-lake-1-2024-03-09-23-30-15-${uuid}.gz`,
    );
    expect(objectKeySuffix({ deliveryStreamName: 's', version: 3, time: T, timeZone: 'Asia/Shanghai', uuid })).toBe(
      `s-3-2024-03-10-07-30-15-${uuid}`,
    );
    expect(objectKeySuffix({ deliveryStreamName: 's', time: T })).toMatch(/^s-1-2024-03-09-23-30-15-[0-9a-f-]{36}$/);
    expect(objectExtension('GZIP')).toBe('.gz');
    expect(objectExtension('UNCOMPRESSED')).toBe('');
    expect(objectExtension('GZIP', '.json.gz')).toBe('.json.gz');
  });
});

describe('buffering decision', () => {
  const hints = bufferingHints(1, 60);
  it('flushes on size or interval, whichever comes first', () => {
    expect(hints).toEqual({ sizeBytes: 1048576, intervalMs: 60000 });
    expect(bufferingHints()).toEqual({ sizeBytes: 5 * 1048576, intervalMs: 300000 });
    expect(flushReason({ bytes: 0, records: 0 }, hints, 1e12)).toBeUndefined();
    expect(flushReason({ bytes: 1048575, records: 10, firstBufferedAt: 1000 }, hints, 60999)).toBeUndefined();
    expect(flushReason({ bytes: 1048576, records: 10, firstBufferedAt: 1000 }, hints, 1001)).toBe('size');
    expect(flushReason({ bytes: 10, records: 1, firstBufferedAt: 1000 }, hints, 61000)).toBe('interval');
    expect(msUntilIntervalFlush({ bytes: 10, records: 1, firstBufferedAt: 1000 }, hints, 31000)).toBe(30000);
    expect(msUntilIntervalFlush({ bytes: 10, records: 1, firstBufferedAt: 1000 }, hints, 99000)).toBe(0);
    expect(msUntilIntervalFlush({ bytes: 0, records: 0 }, hints, 1)).toBeUndefined();
  });
});

describe('configuration from template properties', () => {
  it('reads a Kinesis-sourced extended S3 delivery stream', () => {
    const spec = deliveryStreamSpecFromProperties('uba-dev-lake', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/events', RoleARN: 'x' },
      ExtendedS3DestinationConfiguration: {
        BucketARN: 'arn:aws:s3:::raw-bucket',
        Prefix: 'raw/dt=!{timestamp:yyyy-MM-dd}/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
        CompressionFormat: 'GZIP',
        CustomTimeZone: 'Asia/Shanghai',
        ProcessingConfiguration: { Enabled: true, Processors: [] },
      },
    });
    expect(spec).toMatchObject({
      sourceStreamName: 'events',
      bucketName: 'raw-bucket',
      compression: 'GZIP',
      customTimeZone: 'Asia/Shanghai',
      buffering: { sizeBytes: 1048576, intervalMs: 60000 },
    });
    expect('unsupported' in spec && spec.unsupported[0]).toMatch(/ProcessingConfiguration/);
    expect(deliveryStreamSpecFromProperties('d', { DeliveryStreamType: 'DirectPut' })).toMatchObject({
      reason: expect.stringMatching(/DirectPut/),
    });
  });
});

describe('checkpoint stores', () => {
  it('keep checkpoints in memory or in a JSON file written atomically', async () => {
    const mem = new MemoryCheckpointStore();
    expect(await mem.load()).toEqual({});
    await mem.save({ a: '1' });
    expect(await mem.load()).toEqual({ a: '1' });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-cp-'));
    try {
      const file = checkpointFilePath(dir, 'uba-dev-lake');
      const store = new FileCheckpointStore(file, { deliveryStream: 'uba-dev-lake' });
      expect(await store.load()).toEqual({});
      await store.save({ 'shardId-000000000000': '4960' });
      expect(await new FileCheckpointStore(file).load()).toEqual({ 'shardId-000000000000': '4960' });
      expect(fs.readdirSync(path.dirname(file))).toEqual([path.basename(file)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
