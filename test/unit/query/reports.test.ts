import { createHandler } from '../../../lambdas/query/handler';
import { bucketsInRange, parseReportRequest, readReport, REPORT_LIMITS, ReportTooLargeError } from '../../../lambdas/query/reports';
import { exportKey, REPORT_NAMES, type ReportAnswer } from '../../../lambdas/shared/reports';
import { aLogger, inMemoryExports, InMemoryReads, someDeps } from './factories';

const NOW = new Date('2024-05-28T04:00:00Z'); // 12:00 on the 28th in Asia/Shanghai

const answer = (report: ReportAnswer['report'], from: string, to: string, rows: ReportAnswer['rows']): string =>
  JSON.stringify({ report, from, to, columns: [], rows });

const request = (resource: string, path: string, query: Record<string, string> = {}, name?: string) =>
  ({
    httpMethod: 'GET',
    resource,
    path,
    queryStringParameters: query,
    multiValueQueryStringParameters: null,
    pathParameters: name === undefined ? null : { name },
    // An analyst's token, as API Gateway's Cognito authorizer passes its claims on.
    requestContext: { requestId: 'r1', authorizer: { claims: { 'cognito:groups': 'analyst' } } },
  }) as unknown as Parameters<ReturnType<typeof createHandler>>[0];

describe('report request parameters', () => {
  it('defaults to the 30 days up to today in the stage zone', () => {
    expect(parseReportRequest('dau', {}, NOW, 'Asia/Shanghai')).toEqual({
      ok: true,
      value: { name: 'dau', from: '2024-04-29', to: '2024-05-28', format: 'json' },
    });
  });

  it('names the bad parameter', () => {
    expect(parseReportRequest('nope', {}, NOW, 'UTC')).toMatchObject({ ok: false, error: { field: 'name' } });
    expect(parseReportRequest('dau', { from: '2024-02-30' }, NOW, 'UTC')).toMatchObject({
      ok: false,
      error: { field: 'from', reason: 'must be a day written YYYY-MM-DD' },
    });
    expect(parseReportRequest('dau', { from: '2024-05-02', to: '2024-05-01' }, NOW, 'UTC')).toMatchObject({
      ok: false,
      error: { field: 'from', reason: 'must not be after to' },
    });
    expect(parseReportRequest('dau', { from: '2020-01-01', to: '2024-05-01' }, NOW, 'UTC')).toMatchObject({
      ok: false,
      error: { field: 'to' },
    });
    expect(parseReportRequest('dau', { format: 'xml' }, NOW, 'UTC')).toMatchObject({
      ok: false,
      error: { field: 'format', reason: 'must be json or csv' },
    });
    expect(parseReportRequest('dau', { form: '2024-05-01' }, NOW, 'UTC')).toMatchObject({
      ok: false,
      error: { field: 'form', reason: 'is not a parameter of this route (from, to, format)' },
    });
    expect(parseReportRequest('dau', { from: '', format: '' }, NOW, 'UTC')).toMatchObject({
      ok: true,
      value: { from: '2024-04-29', format: 'json' },
    });
  });

  it('selects the weeks and months that overlap the range', () => {
    expect(bucketsInRange('dau', '2024-05-30', '2024-06-01')).toEqual(['2024-05-30', '2024-05-31', '2024-06-01']);
    expect(bucketsInRange('wau', '2024-05-29', '2024-06-04')).toEqual(['2024-05-27', '2024-06-03']);
    expect(bucketsInRange('mau', '2024-05-29', '2024-06-04')).toEqual(['2024-05-01', '2024-06-01']);
  });
});

describe('GET /v1/reports', () => {
  const exports = inMemoryExports({
    [exportKey('dau', '2024-05-26', 'json')]: answer('dau', '2024-05-26', '2024-05-26', [{ day: '2024-05-26', users: 3 }]),
    [exportKey('dau', '2024-05-26', 'csv')]: 'day,users\r\n2024-05-26,3\r\n',
    [exportKey('dau', '2024-05-27', 'json')]: answer('dau', '2024-05-27', '2024-05-27', [{ day: '2024-05-27', users: 5 }]),
    [exportKey('wau', '2024-05-20', 'json')]: answer('wau', '2024-05-20', '2024-05-26', [{ week: '2024-05-20', users: 7 }]),
    'exports/dau/readme.txt': 'not an export',
  });
  const handle = createHandler(someDeps(new InMemoryReads([]), aLogger(), NOW, exports));

  it('lists every report with the days it has exports for', async () => {
    const res = await handle(request('/v1/reports', '/v1/reports'));
    const body = JSON.parse(res.body) as { reports: Array<{ name: string; days: string[] }> };
    expect(body.reports.map((r) => r.name)).toEqual([...REPORT_NAMES]);
    expect(body.reports.find((r) => r.name === 'dau')?.days).toEqual(['2024-05-26', '2024-05-27']);
    expect(body.reports.find((r) => r.name === 'wau')?.days).toEqual(['2024-05-20']);
    expect(body.reports.find((r) => r.name === 'funnel')?.days).toEqual([]);
  });

  it('serves a range from the exports, as JSON and as CSV', async () => {
    const res = await handle(request('/v1/reports/{name}', '/v1/reports/dau', { from: '2024-05-25', to: '2024-05-27' }, 'dau'));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      report: 'dau',
      from: '2024-05-25',
      to: '2024-05-27',
      columns: ['day', 'users'],
      rows: [
        { day: '2024-05-26', users: 3 },
        { day: '2024-05-27', users: 5 },
      ],
    });
    const csv = await handle(
      request('/v1/reports/{name}', '/v1/reports/dau', { from: '2024-05-27', to: '2024-05-27', format: 'csv' }, 'dau'),
    );
    expect(csv.headers?.['content-disposition']).toBe('attachment; filename="dau-2024-05-27-2024-05-27.csv"');
    expect(csv.body).toBe('day,users\r\n2024-05-27,5\r\n');
  });

  it('includes the week that starts before the range', async () => {
    const res = await handle(request('/v1/reports/{name}', '/v1/reports/wau', { from: '2024-05-22', to: '2024-05-22' }, 'wau'));
    expect((JSON.parse(res.body) as ReportAnswer).rows).toEqual([{ week: '2024-05-20', users: 7 }]);
  });

  it('answers 404 naming the report and 400 naming a bad parameter', async () => {
    const unknown = await handle(request('/v1/reports/{name}', '/v1/reports/nope', {}, 'nope'));
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ field: 'name' });
    const bad = await handle(request('/v1/reports/{name}', '/v1/reports/dau', { to: 'yesterday' }, 'dau'));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ field: 'to' });
  });
});

describe('a report range too large for one answer', () => {
  const exports = inMemoryExports({
    [exportKey('dau', '2024-05-26', 'json')]: answer('dau', '2024-05-26', '2024-05-26', [{ day: '2024-05-26', users: 3 }]),
    [exportKey('dau', '2024-05-27', 'json')]: answer('dau', '2024-05-27', '2024-05-27', [{ day: '2024-05-27', users: 5 }]),
  });

  it('is refused with ReportTooLargeError once the exports read pass the byte limit', async () => {
    const oneExport = Buffer.byteLength(answer('dau', '2024-05-26', '2024-05-26', [{ day: '2024-05-26', users: 3 }]));
    const request = { name: 'dau' as const, from: '2024-05-26', to: '2024-05-27' };
    await expect(readReport(exports, request, { maxAnswerBytes: oneExport + 1, readConcurrency: 1 })).rejects.toBeInstanceOf(
      ReportTooLargeError,
    );
    await expect(readReport(exports, request, { maxAnswerBytes: 2 * oneExport + 10, readConcurrency: 2 })).resolves.toMatchObject({
      rows: [
        { day: '2024-05-26', users: 3 },
        { day: '2024-05-27', users: 5 },
      ],
    });
  });

  it('answers 400 naming `to` on the route', async () => {
    const big = inMemoryExports(
      Object.fromEntries(
        ['2024-05-26', '2024-05-27'].map((day) => [
          exportKey('dau', day, 'json'),
          answer('dau', day, day, [{ day, users: 'x'.repeat(REPORT_LIMITS.maxAnswerBytes / 2 + 1) }]),
        ]),
      ),
    );
    const handle = createHandler(someDeps(new InMemoryReads([]), aLogger(), NOW, big));
    const res = await handle(request('/v1/reports/{name}', '/v1/reports/dau', { from: '2024-05-26', to: '2024-05-27' }, 'dau'));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ field: 'to' });
  });
});
