import { COMMODITY_CSV, loadCommodities, parseCommodityCsv } from '../../../scripts/producer/commodities';

const HEADER = 'commodityId,commodityName,category,unitPrice';

describe('commodity dimension', () => {
  it('reads the repository file: ten commodities with names and prices', () => {
    const rows = loadCommodities();
    expect(COMMODITY_CSV).toMatch(/dim[\\/]commodity\.csv$/);
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual({ commodityId: '1000001', commodityName: 'Mineral water 550ml', category: 'drinks', unitPrice: 2 });
  });

  it('reads quoted fields, CRLF and a byte-order mark', () => {
    const rows = parseCommodityCsv(`\uFEFF${HEADER}\r\n7,"Tea, ""green""",drinks,3.5\r\n`);
    expect(rows).toEqual([{ commodityId: '7', commodityName: 'Tea, "green"', category: 'drinks', unitPrice: 3.5 }]);
  });

  it.each([
    ['id,name,category,price\n1,a,b,2\n', 'x.csv:1: header must be commodityId,commodityName,category,unitPrice'],
    [`${HEADER}\n1,a,b\n`, 'x.csv:2: expected 4 fields, got 3'],
    [`${HEADER}\n1,a,b,2\n1,c,d,3\n`, 'x.csv:3: commodityId 1 appears twice'],
    [`${HEADER}\n1,a,b,free\n`, 'x.csv:2: unitPrice must be a number ≥ 0'],
    [`${HEADER}\n1,,b,2\n`, 'x.csv:2: commodityName must not be empty'],
    [`${HEADER}\n1,"a,b,2\n`, 'x.csv:2: unterminated quoted field'],
    [`${HEADER}\n`, 'x.csv: no commodities'],
  ])('rejects %j', (text, message) => {
    expect(() => parseCommodityCsv(text, 'x.csv')).toThrow(message);
  });
});
