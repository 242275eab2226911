import { TemplateResolver } from '../template/resolver';
import { kinesisStreamNameFromArn } from '../template/resources';
import { JsonObject, JsonValue, isJsonObject } from '../template/types';
import { BufferingHints, bufferingHints } from './buffer';

/** One `AWS::KinesisFirehose::DeliveryStream` (Kinesis source, S3 destination) as the stand-in needs it. */
export interface DeliveryStreamSpec {
  readonly name: string;
  readonly stackName?: string;
  readonly logicalId?: string;
  readonly sourceStreamArn: string;
  readonly sourceStreamName: string;
  readonly bucketArn: string;
  readonly bucketName: string;
  readonly prefix?: string;
  readonly errorOutputPrefix?: string;
  readonly buffering: BufferingHints;
  readonly compression: 'GZIP' | 'UNCOMPRESSED';
  /** IANA zone for prefix timestamps and the object name; UTC when omitted. */
  readonly customTimeZone?: string;
  readonly fileExtension?: string;
  /** Configured features the stand-in does not perform (records are delivered as read). */
  readonly unsupported: readonly string[];
}

/** A delivery stream of the template the stand-in cannot run, and why. */
export interface SkippedDeliveryStream {
  readonly stackName: string;
  readonly logicalId: string;
  readonly name: string;
  readonly reason: string;
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function enabled(v: JsonValue | undefined): boolean {
  return isJsonObject(v) && (v.Enabled === true || v.Enabled === 'true');
}

/** Bucket name from an S3 bucket ARN (`arn:aws:s3:::name`). */
export function bucketNameFromArn(arn: string): string | undefined {
  const m = /^arn:[^:]+:s3:::([^/]+)$/.exec(arn);
  return m ? m[1] : undefined;
}

/** Turns resolved delivery-stream properties into a spec, or the reason it cannot run locally. */
export function deliveryStreamSpecFromProperties(name: string, props: JsonObject): DeliveryStreamSpec | { reason: string } {
  const type = str(props.DeliveryStreamType) ?? 'DirectPut';
  if (type !== 'KinesisStreamAsSource') {
    return {
      reason: `DeliveryStreamType ${type}: only KinesisStreamAsSource is stood in for locally (PutRecord/PutRecordBatch are not served)`,
    };
  }
  const source = props.KinesisStreamSourceConfiguration;
  const sourceArn = isJsonObject(source) ? str(source.KinesisStreamARN) : undefined;
  const sourceName = sourceArn === undefined ? undefined : kinesisStreamNameFromArn(sourceArn);
  if (sourceArn === undefined || sourceName === undefined)
    return { reason: 'KinesisStreamSourceConfiguration.KinesisStreamARN is missing or not a Kinesis stream ARN' };
  const extended = props.ExtendedS3DestinationConfiguration;
  const plain = props.S3DestinationConfiguration;
  const dest = isJsonObject(extended) ? extended : isJsonObject(plain) ? plain : undefined;
  if (!dest) {
    const other = Object.keys(props).find((k) => k.endsWith('DestinationConfiguration'));
    return { reason: `${other ?? 'no destination'}: only S3 destinations are stood in for locally` };
  }
  const bucketArn = str(dest.BucketARN);
  const bucketName = bucketArn === undefined ? undefined : bucketNameFromArn(bucketArn);
  if (bucketArn === undefined || bucketName === undefined) return { reason: 'BucketARN is missing or not an S3 bucket ARN' };
  const compression = str(dest.CompressionFormat) ?? 'UNCOMPRESSED';
  if (compression !== 'GZIP' && compression !== 'UNCOMPRESSED') {
    return { reason: `CompressionFormat ${compression}: only GZIP and UNCOMPRESSED are stood in for locally` };
  }
  const hints = isJsonObject(dest.BufferingHints) ? dest.BufferingHints : {};
  const num = (v: JsonValue | undefined): number | undefined => (v === undefined || v === null ? undefined : Number(v));
  const unsupported: string[] = [];
  if (enabled(dest.ProcessingConfiguration))
    unsupported.push('ProcessingConfiguration (Lambda record transformation is not run; records are delivered untransformed)');
  if (enabled(dest.DataFormatConversionConfiguration))
    unsupported.push('DataFormatConversionConfiguration (no Parquet/ORC conversion; objects contain the records as read)');
  if (enabled(dest.DynamicPartitioningConfiguration)) unsupported.push('DynamicPartitioningConfiguration (no dynamic partitioning)');
  if (str(dest.S3BackupMode) === 'Enabled') unsupported.push('S3BackupMode Enabled (no backup copy is written)');
  return {
    name,
    sourceStreamArn: sourceArn,
    sourceStreamName: sourceName,
    bucketArn,
    bucketName,
    prefix: str(dest.Prefix),
    errorOutputPrefix: str(dest.ErrorOutputPrefix),
    buffering: bufferingHints(num(hints.SizeInMBs), num(hints.IntervalInSeconds)),
    compression,
    customTimeZone: str(dest.CustomTimeZone) || undefined,
    fileExtension: str(dest.FileExtension) || undefined,
    unsupported,
  };
}

/** Specs for every `AWS::KinesisFirehose::DeliveryStream` of the app, and those it cannot run. */
export function deliveryStreamsFromTemplate(resolver: TemplateResolver): {
  streams: DeliveryStreamSpec[];
  skipped: SkippedDeliveryStream[];
} {
  const streams: DeliveryStreamSpec[] = [];
  const skipped: SkippedDeliveryStream[] = [];
  for (const rec of resolver.resourcesOfType('AWS::KinesisFirehose::DeliveryStream')) {
    const name = resolver.physicalName(rec.stackName, rec.logicalId);
    const spec = deliveryStreamSpecFromProperties(name, resolver.resolveProperties(rec));
    if ('reason' in spec) skipped.push({ stackName: rec.stackName, logicalId: rec.logicalId, name, reason: spec.reason });
    else streams.push({ ...spec, stackName: rec.stackName, logicalId: rec.logicalId });
  }
  return { streams, skipped };
}
