import { CURATED_PREFIX, PARTITION_COLUMN } from './job';

/**
 * The lake's tables as Glue declares them (the CDK construct builds them from this, the local
 * Athena reads them back from the template). Column names are lower case, as Glue keeps them.
 */

/** One Glue column: name and Hive type. */
export interface TableColumn {
  readonly name: string;
  readonly type: 'string' | 'bigint' | 'double';
}

const s = (name: string): TableColumn => ({ name, type: 'string' });

/** The raw event as ingest writes it (gzip JSON lines), and the JSON key of each column. */
export const RAW_TABLE = {
  name: 'raw_events',
  prefix: 'raw/',
  columns: ['eventId', 'action', 'userId', 'createdAt', 'receivedAt', 'sessionId', 'objectId', 'bizId', 'path', 'errorMsg', 'props'].map(
    (key) => ({ ...s(key.toLowerCase()), key }),
  ),
  /** Partitions Firehose writes: arrival day and hour in the stage time zone. */
  partitionKeys: [s('dt'), s('hour')],
} as const;

/** The curated events (Parquet, one partition per event day, one row per eventId and day). */
export const CURATED_TABLE = {
  name: 'events',
  prefix: CURATED_PREFIX,
  columns: [
    'event_id',
    'action',
    'user_id',
    'created_at',
    'received_at',
    'session_id',
    'object_id',
    'biz_id',
    'path',
    'error_msg',
    'props',
  ].map(s),
  partitionKeys: [s(PARTITION_COLUMN)],
} as const;

/** The commodity dimension: `dim/commodity.csv` of the repository, deployed under `dim/commodity/`. */
export const COMMODITY_TABLE = {
  name: 'commodity',
  prefix: 'dim/commodity/',
  columns: ['commodityid', 'commodityname', 'category', 'unitprice'].map(s),
  partitionKeys: [],
} as const;
