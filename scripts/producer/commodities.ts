/**
 * The commodity dimension, `dim/commodity.csv` (`commodityId,commodityName,category,unitPrice`):
 * the one source of commodity names and prices for the vending scenario and the reports' truth.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Where the dimension lives in the repository. */
export const COMMODITY_CSV = path.join(__dirname, '..', '..', 'dim', 'commodity.csv');

/** The header the file must start with. */
export const COMMODITY_HEADER = ['commodityId', 'commodityName', 'category', 'unitPrice'] as const;

/** Most rows read from the file (a bound on what a hand-edited file can make us hold). */
export const MAX_COMMODITIES = 10_000;

/** One row of the dimension. */
export interface CommodityRow {
  readonly commodityId: string;
  readonly commodityName: string;
  readonly category: string;
  /** Yuan. */
  readonly unitPrice: number;
}

/** The fields of one CSV record (RFC 4180: quoted fields may hold commas and doubled quotes). Throws on an unterminated quote. */
function splitRecord(line: string, where: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) throw new Error(`${where}: unterminated quoted field`);
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      fields.push(comma < 0 ? line.slice(i) : line.slice(i, comma));
      i = comma < 0 ? line.length : comma;
    }
    if (i >= line.length) return fields;
    if (line[i] !== ',') throw new Error(`${where}: text after a quoted field`);
    i += 1;
  }
}

/** Reads the dimension's CSV text; throws an Error naming the line and field of the first problem. */
export function parseCommodityCsv(text: string, source = 'commodity.csv'): CommodityRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const header = splitRecord(lines[0] ?? '', `${source}:1`);
  if (header.join(',') !== COMMODITY_HEADER.join(',')) throw new Error(`${source}:1: header must be ${COMMODITY_HEADER.join(',')}`);
  if (lines.length - 1 > MAX_COMMODITIES) throw new Error(`${source}: more than ${MAX_COMMODITIES} commodities`);
  const rows: CommodityRow[] = [];
  const seen = new Set<string>();
  lines.slice(1).forEach((line, index) => {
    const where = `${source}:${index + 2}`;
    const fields = splitRecord(line, where);
    if (fields.length !== COMMODITY_HEADER.length)
      throw new Error(`${where}: expected ${COMMODITY_HEADER.length} fields, got ${fields.length}`);
    const [commodityId, commodityName, category, price] = fields as [string, string, string, string];
    if (commodityId.trim() === '') throw new Error(`${where}: commodityId must not be empty`);
    if (seen.has(commodityId)) throw new Error(`${where}: commodityId ${commodityId} appears twice`);
    if (commodityName.trim() === '') throw new Error(`${where}: commodityName must not be empty`);
    const unitPrice = Number(price);
    if (price.trim() === '' || !Number.isFinite(unitPrice) || unitPrice < 0) throw new Error(`${where}: unitPrice must be a number ≥ 0`);
    seen.add(commodityId);
    rows.push({ commodityId, commodityName, category, unitPrice });
  });
  if (rows.length === 0) throw new Error(`${source}: no commodities`);
  return rows;
}

/** The repository's dimension (read once, synchronously). Throws when the file is missing or malformed. */
export function loadCommodities(file = COMMODITY_CSV): CommodityRow[] {
  return parseCommodityCsv(readFileSync(file, 'utf8'), path.basename(file));
}
