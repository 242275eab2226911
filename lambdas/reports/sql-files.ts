import * as fs from 'fs';
import * as path from 'path';
import { QUERY_NAMES, renderQuerySql, type QueryConstants, type QueryName } from './queries';

/** Directory of the SQL files. */
export const SQL_DIR = path.join(__dirname, 'sql');

/** The text of one query's SQL file (for synth, the `report` command and tests); throws when it is missing. */
export const readQuerySql = (name: QueryName): string => fs.readFileSync(path.join(SQL_DIR, `${name}.sql`), 'utf8');

/** Every query's SQL, by name, with the stage's constants written in. Throws when a file is missing. */
export function readAllQuerySql(constants: QueryConstants): Record<QueryName, string> {
  const out = {} as Record<QueryName, string>;
  for (const name of QUERY_NAMES) out[name] = renderQuerySql(readQuerySql(name), constants);
  return out;
}
