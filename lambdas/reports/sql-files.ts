import * as fs from 'fs';
import * as path from 'path';
import { QUERY_NAMES, type QueryName } from './queries';

/** Directory of the SQL files. */
export const SQL_DIR = path.join(__dirname, 'sql');

/** The text of one query's SQL file (for synth, the `report` command and tests); throws when it is missing. */
export const readQuerySql = (name: QueryName): string => fs.readFileSync(path.join(SQL_DIR, `${name}.sql`), 'utf8');

/** Every query's SQL, by name. Throws when a file is missing. */
export function readAllQuerySql(): Record<QueryName, string> {
  const out = {} as Record<QueryName, string>;
  for (const name of QUERY_NAMES) out[name] = readQuerySql(name);
  return out;
}
