import { csvField, pathsToRows, rowsToCsv, type PathCount } from '../../../lambdas/query/csv';

/** The CSV of full paths, as the daily report writes it. */
const pathsToCsv = (paths: readonly PathCount[], options?: Parameters<typeof rowsToCsv>[1]) => rowsToCsv(pathsToRows(paths), options);

const path = (fullPath: string, count: number): PathCount => ({ steps: fullPath.split(' -> '), count });

/** Parses RFC 4180 text into records (enough for these tests: quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else field += c;
  }
  return records;
}

describe('pathsToRows and rowsToCsv', () => {
  it('writes the rows of the path-analysis sample for its two example paths', () => {
    // prepare: the path-analysis system's example, two sessions each
    const paths = [path('/contact -> /services -> /faq -> /contact', 2), path('/contact -> /faq -> /faq', 2)];

    // act
    const csv = pathsToCsv(paths, { lineEnding: '\n' });

    // assess: the path-analysis system's header and rows (ties in weight are ordered by full path)
    expect(csv).toBe(
      [
        'source,target,weight,full_path',
        '/contact (1),/faq (2),2,/contact -> /faq -> /faq',
        '/faq (2),/faq (3),2,/contact -> /faq -> /faq',
        '/contact (1),/services (2),2,/contact -> /services -> /faq -> /contact',
        '/services (2),/faq (3),2,/contact -> /services -> /faq -> /contact',
        '/faq (3),/contact (4),2,/contact -> /services -> /faq -> /contact',
        '',
      ].join('\n'),
    );
    // every row the path-analysis system shows is there
    for (const seedRow of [
      '/contact (1),/services (2),2,/contact -> /services -> /faq -> /contact',
      '/services (2),/faq (3),2,/contact -> /services -> /faq -> /contact',
      '/faq (3),/contact (4),2,/contact -> /services -> /faq -> /contact',
      '/contact (1),/faq (2),2,/contact -> /faq -> /faq',
    ]) {
      expect(csv.split('\n')).toContain(seedRow);
    }
  });

  it('gives a page visited twice a node per step', () => {
    const rows = pathsToRows([path('/contact -> /faq -> /contact', 1)]);
    expect(rows).toEqual([
      { source: '/contact (1)', target: '/faq (2)', weight: 1, fullPath: '/contact -> /faq -> /contact' },
      { source: '/faq (2)', target: '/contact (3)', weight: 1, fullPath: '/contact -> /faq -> /contact' },
    ]);
  });

  it('quotes fields with a comma or a quote (RFC 4180) and ends records with CRLF by default', () => {
    // prepare: page names a producer could send
    const paths = [{ steps: ['/search?q=a,b', '/say "hi"'], count: 3 }];

    // act
    const csv = pathsToCsv(paths);

    // assess: raw text, then what a CSV reader gets back
    expect(csv).toBe('source,target,weight,full_path\r\n"/search?q=a,b (1)","/say ""hi"" (2)",3,"/search?q=a,b -> /say ""hi"""\r\n');
    expect(parseCsv(csv)).toEqual([
      ['source', 'target', 'weight', 'full_path'],
      ['/search?q=a,b (1)', '/say "hi" (2)', '3', '/search?q=a,b -> /say "hi"'],
    ]);
  });

  it('quotes a field holding a line break', () => {
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField('plain /page (1)')).toBe('plain /page (1)');
  });

  it.each([
    ['=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ['@SUM(A1:A2)', '"\'@SUM(A1:A2)"'],
    ['+1+1', '"\'+1+1"'],
    ['-2+3', '"\'-2+3"'],
    ['\tcmd', '"\'\tcmd"'],
    ['\rcmd', '"\'\rcmd"'],
  ])('neutralizes a cell that starts like a formula: %j', (value, written) => {
    expect(csvField(value)).toBe(written);
  });

  it('keeps paths and other text that cannot start a formula as they are', () => {
    expect(['/home', 'home=1', 'a-b', '中文', "'quoted"].map(csvField)).toEqual(['/home', 'home=1', 'a-b', '中文', "'quoted"]);
  });

  it("neutralizes injected page names in every text column of a path's rows", () => {
    // prepare: a session whose first page is a formula
    const paths = [{ steps: ['=HYPERLINK("http://evil")', '@SUM(1)', '/ok'], count: 2 }];

    // act
    const records = parseCsv(pathsToCsv(paths));

    // assess: a CSV reader gets each cell back with the quote in front, numbers stay numbers
    expect(records.slice(1)).toEqual([
      ['\'=HYPERLINK("http://evil") (1)', "'@SUM(1) (2)", '2', '\'=HYPERLINK("http://evil") -> @SUM(1) -> /ok'],
      ["'@SUM(1) (2)", '/ok (3)', '2', '\'=HYPERLINK("http://evil") -> @SUM(1) -> /ok'],
    ]);
    expect(records.flat().every((cell) => !/^[=+\-@\t\r]/.test(cell))).toBe(true);
  });

  it("sorts by weight, heaviest first, then by full path, keeping each path's edges in step order", () => {
    const rows = pathsToRows([path('/b -> /c', 1), path('/z -> /y -> /x', 5), path('/a -> /c', 1)]);
    expect(rows.map((r) => `${r.source}>${r.target}:${r.weight}`)).toEqual([
      '/z (1)>/y (2):5',
      '/y (2)>/x (3):5',
      '/a (1)>/c (2):1',
      '/b (1)>/c (2):1',
    ]);
  });

  it('writes no row for a single-step path, and only the header for no paths', () => {
    expect(pathsToCsv([path('/home', 7)])).toBe('source,target,weight,full_path\r\n');
    expect(pathsToCsv([])).toBe('source,target,weight,full_path\r\n');
  });
});
