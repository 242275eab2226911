export { KinesisEventSourceMapping, createLocalKinesisClient } from './kinesis-esm';
export type { EsmTiming, KinesisEventSourceMappingOptions, ShardStatus } from './kinesis-esm';
export { FileCheckpointStore, MemoryCheckpointStore, checkpointFileName, writeFileAtomic } from './checkpoint-store';
export type { CheckpointStore } from './checkpoint-store';
export { JsonLinesFailureDestination, MemoryFailureDestination, destinationName, jsonLinesDestinationFor } from './failure-destination';
export type { FailureDestination } from './failure-destination';
export * from './core';
export type * from './types';
