/** The local Athena and Glue stand-in: the templates' catalog, DuckDB as the engine, Athena's API. */
export * from './catalog';
export * from './engine';
export * from './server';
export * from './translate';
