import type { TemplateResolver } from '../template/resolver';
import { isJsonObject, type JsonValue } from '../template/types';

/** One column of a Glue table. */
export interface GlueColumn {
  readonly name: string;
  /** Hive type as Glue stores it: `string`, `bigint`, `double`, … */
  readonly type: string;
}

/** The facts of an `AWS::Glue::Table` the local Athena needs to read it. */
export interface GlueTableSpec {
  readonly database: string;
  readonly name: string;
  readonly bucket: string;
  /** Key prefix of the table's location, ending in `/` (or empty). */
  readonly prefix: string;
  readonly columns: readonly GlueColumn[];
  readonly partitionKeys: readonly GlueColumn[];
  readonly format: 'json' | 'parquet' | 'csv';
  /** JSON SerDe `mapping.<column>` parameters: column → JSON key (case-insensitive match otherwise). */
  readonly jsonKeys: Readonly<Record<string, string>>;
  /** `compressionType` of the table (`gzip` for Firehose's objects). */
  readonly compression?: 'gzip';
  /** `skip.header.line.count`. */
  readonly skipHeaderLines: number;
  /** `projection.*` table parameters, when `projection.enabled` is true. */
  readonly projection?: Readonly<Record<string, string>>;
}

/** An `AWS::Athena::NamedQuery`. */
export interface NamedQuerySpec {
  readonly id: string;
  readonly name: string;
  readonly database: string;
  readonly workGroup?: string;
  readonly queryString: string;
}

/** An `AWS::Athena::WorkGroup`'s configuration. */
export interface WorkGroupSpec {
  readonly name: string;
  readonly enforce: boolean;
  readonly bytesScannedCutoff?: number;
  /** `s3://bucket/prefix/` results go to. */
  readonly outputLocation?: string;
}

/** The parts of Athena and Glue the templates declare. */
export interface AthenaCatalog {
  readonly tables: readonly GlueTableSpec[];
  readonly namedQueries: readonly NamedQuerySpec[];
  readonly workGroups: readonly WorkGroupSpec[];
}

const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const obj = (v: JsonValue | undefined) => (isJsonObject(v) ? v : {});
const columnsOf = (v: JsonValue | undefined): GlueColumn[] =>
  Array.isArray(v)
    ? v.filter(isJsonObject).map((c) => ({ name: (str(c.Name) ?? '').toLowerCase(), type: (str(c.Type) ?? 'string').toLowerCase() }))
    : [];
const stringMap = (v: JsonValue | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(obj(v))) {
    const s = str(value);
    if (s !== undefined) out[k] = s;
  }
  return out;
};

/** Splits `s3://bucket/prefix` into its bucket and key prefix (ending in `/`). Throws for anything else. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new Error(`not an s3:// location: ${url}`);
  const prefix = m[2] === '' || m[2].endsWith('/') ? m[2] : `${m[2]}/`;
  return { bucket: m[1], prefix };
}

/** The storage format of a table, from its SerDe and input format. */
function formatOf(serde: string, inputFormat: string): GlueTableSpec['format'] {
  const s = `${serde} ${inputFormat}`.toLowerCase();
  if (s.includes('parquet')) return 'parquet';
  if (s.includes('json')) return 'json';
  if (s.includes('csv') || s.includes('lazysimpleserde')) return 'csv';
  throw new Error(`unsupported table format (SerDe ${serde}, input ${inputFormat})`);
}

/** The Glue tables, named queries and workgroups of the templates. Throws for a table the local Athena cannot read. */
export function athenaCatalogFromTemplate(resolver: TemplateResolver): AthenaCatalog {
  const tables = resolver.resourcesOfType('AWS::Glue::Table').map((rec): GlueTableSpec => {
    const props = resolver.resolveProperties(rec);
    const input = obj(props.TableInput);
    const sd = obj(input.StorageDescriptor);
    const serde = obj(sd.SerdeInfo);
    const serdeParams = stringMap(serde.Parameters);
    const params = stringMap(input.Parameters);
    const location = parseS3Url(str(sd.Location) ?? '');
    const jsonKeys: Record<string, string> = {};
    for (const [k, v] of Object.entries(serdeParams)) if (k.startsWith('mapping.')) jsonKeys[k.slice('mapping.'.length).toLowerCase()] = v;
    const projection: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) if (k.startsWith('projection.')) projection[k.slice('projection.'.length)] = v;
    return {
      database: str(props.DatabaseName) ?? '',
      name: (str(input.Name) ?? resolver.physicalName(rec.stackName, rec.logicalId)).toLowerCase(),
      bucket: location.bucket,
      prefix: location.prefix,
      columns: columnsOf(sd.Columns),
      partitionKeys: columnsOf(input.PartitionKeys),
      format: formatOf(str(serde.SerializationLibrary) ?? '', str(sd.InputFormat) ?? ''),
      jsonKeys,
      compression: (params.compressionType ?? '').toLowerCase() === 'gzip' ? 'gzip' : undefined,
      skipHeaderLines: Number(params['skip.header.line.count'] ?? serdeParams['skip.header.line.count'] ?? 0) || 0,
      projection: projection.enabled === 'true' ? projection : undefined,
    };
  });
  const namedQueries = resolver.resourcesOfType('AWS::Athena::NamedQuery').map((rec): NamedQuerySpec => {
    const props = resolver.resolveProperties(rec);
    return {
      id: resolver.ref(rec.stackName, rec.logicalId),
      name: str(props.Name) ?? rec.logicalId,
      database: str(props.Database) ?? '',
      workGroup: str(props.WorkGroup),
      queryString: str(props.QueryString) ?? '',
    };
  });
  const workGroups = resolver.resourcesOfType('AWS::Athena::WorkGroup').map((rec): WorkGroupSpec => {
    const props = resolver.resolveProperties(rec);
    const config = obj(props.WorkGroupConfiguration);
    const cutoff = config.BytesScannedCutoffPerQuery;
    return {
      name: resolver.physicalName(rec.stackName, rec.logicalId),
      enforce: config.EnforceWorkGroupConfiguration === true || config.EnforceWorkGroupConfiguration === 'true',
      bytesScannedCutoff: cutoff === undefined ? undefined : Number(cutoff),
      outputLocation: str(obj(config.ResultConfiguration).OutputLocation),
    };
  });
  return { tables, namedQueries, workGroups };
}
