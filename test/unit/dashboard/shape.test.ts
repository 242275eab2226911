import {
  foldSmallSlices,
  addMinutes,
  alertRows,
  alignSeries,
  buildTrends,
  distribution,
  DISTRIBUTIONS,
  errorAlertsPerMinute,
  localDate,
  localMinute,
  mergeAlerts,
  mergeMetrics,
  minuteAxis,
  parseStepNode,
  pieLegendLabels,
  TREND_AXES,
  toSankey,
  windowAlertText,
  type Alert,
  type ErrorAlert,
  type MetricBucket,
  type MetricsAnswer,
  type PathEdge,
  type RateBucket,
  type WindowAlert,
} from '../../../dashboard/src/shape';

const TZ = 'Asia/Shanghai';

const edge = (source: string, target: string, weight: number): PathEdge => ({ source, target, weight });

const bucket = (minute: string, count: number, extra: Partial<MetricBucket> = {}): MetricBucket => ({ minute, count, late: 0, ...extra });

function metrics(name: string, series: Array<{ value?: string; buckets: MetricBucket[] }>, dim?: string): MetricsAnswer {
  return {
    name,
    timeZone: TZ,
    from: '2024-05-27T11:00',
    to: '2024-05-27T11:05',
    dim,
    series: series.map((s) => ({ dims: s.value === undefined ? '' : `${dim}=${s.value}`, value: s.value, buckets: s.buckets })),
  };
}

function errorAlert(id: string, createdAt: string, overrides: Partial<ErrorAlert> = {}): ErrorAlert {
  return { kind: 'error', id, eventId: id, action: 'pay', userId: 'u1', createdAt, errorMsg: '[error] gateway timeout', ...overrides };
}

function windowAlert(id: string, createdAt: string, overrides: Partial<WindowAlert> = {}): WindowAlert {
  return {
    kind: 'window',
    id,
    ruleId: 'warnings-per-action',
    action: 'viewDoc',
    createdAt,
    windowStart: '2024-05-27T03:41:00.000Z',
    windowEnd: '2024-05-27T03:42:00.000Z',
    count: 12,
    threshold: 10,
    ...overrides,
  };
}

describe('Sankey shaping', () => {
  const day: PathEdge[] = [
    edge('/home (1)', '/blog (2)', 50),
    edge('/home (1)', '/about (2)', 30),
    edge('/blog (2)', '/about (3)', 20),
    edge('/about (2)', '/contact (3)', 5),
    edge('/about (3)', '/home (4)', 4),
    edge('/home (4)', '/blog (5)', 1),
  ];

  it('parses the step of a node name, pages with spaces and parentheses included', () => {
    expect(parseStepNode('/contact (3)')).toEqual({ page: '/contact', step: 3 });
    expect(parseStepNode('/a (b) (12)')).toEqual({ page: '/a (b)', step: 12 });
    expect(parseStepNode('/contact')).toBeUndefined();
    expect(parseStepNode('/contact (0)')).toBeUndefined();
  });

  it('turns edges into nodes and links, each node pinned to its step column', () => {
    const s = toSankey(day, { topN: 100, minWeight: 1, maxDepth: 10 });
    expect(s.links).toHaveLength(6);
    expect(s.links[0]).toEqual({ source: '/home (1)', target: '/blog (2)', value: 50 });
    expect(s.nodes.map((n) => [n.name, n.label, n.depth])).toEqual([
      ['/home (1)', '/home', 0],
      ['/about (2)', '/about', 1],
      ['/blog (2)', '/blog', 1],
      ['/about (3)', '/about', 2],
      ['/contact (3)', '/contact', 2],
      ['/home (4)', '/home', 3],
      ['/blog (5)', '/blog', 4],
    ]);
    expect(s.hiddenEdges).toBe(0);
    expect(s.entrySessions).toBe(80);
  });

  it('keeps the top N heaviest edges', () => {
    const s = toSankey(day, { topN: 2, minWeight: 1, maxDepth: 10 });
    expect(s.links.map((l) => l.value)).toEqual([50, 30]);
    expect(s.nodes.map((n) => n.name)).toEqual(['/home (1)', '/about (2)', '/blog (2)']);
    expect(s.hiddenEdges).toBe(4);
  });

  it('drops edges below the minimum weight', () => {
    const s = toSankey(day, { topN: 100, minWeight: 5, maxDepth: 10 });
    expect(s.links.map((l) => l.value)).toEqual([50, 30, 20, 5]);
  });

  it('limits the step depth: no edge into a step beyond maxDepth', () => {
    const s = toSankey(day, { topN: 100, minWeight: 1, maxDepth: 3 });
    expect(s.links.map((l) => l.target)).toEqual(['/blog (2)', '/about (2)', '/about (3)', '/contact (3)']);
    expect(Math.max(...s.nodes.map((n) => n.depth))).toBe(2);
  });

  it('applies the filters before top N, and orders equal weights by source then target', () => {
    const edges = [edge('/b (1)', '/x (2)', 7), edge('/a (1)', '/y (2)', 7), edge('/a (1)', '/x (2)', 7), edge('/x (2)', '/z (3)', 9)];
    const s = toSankey(edges, { topN: 2, minWeight: 1, maxDepth: 2 });
    expect(s.links.map((l) => `${l.source}>${l.target}`)).toEqual(['/a (1)>/x (2)', '/a (1)>/y (2)']);
  });

  it('drops edges that would not go forward a step (the chart must stay acyclic)', () => {
    const edges = [edge('/a (2)', '/a (2)', 9), edge('/b (3)', '/c (2)', 9), edge('/nostep', '/c (2)', 9), edge('/a (1)', '/b (2)', 1)];
    const s = toSankey(edges, { topN: 10, minWeight: 1, maxDepth: 10 });
    expect(s.links).toEqual([{ source: '/a (1)', target: '/b (2)', value: 1 }]);
    expect(s.hiddenEdges).toBe(3);
  });

  it('clamps nonsense controls instead of showing nothing', () => {
    const s = toSankey(day, { topN: Number.NaN, minWeight: -3, maxDepth: 0 });
    expect(s.links).toEqual([{ source: '/home (1)', target: '/blog (2)', value: 50 }]);
  });

  it('gives an empty chart for no edges', () => {
    expect(toSankey([], { topN: 10, minWeight: 1, maxDepth: 5 })).toEqual({
      nodes: [],
      links: [],
      totalEdges: 0,
      hiddenEdges: 0,
      entrySessions: 0,
    });
  });
});

describe('time helpers', () => {
  it('gives local minutes and dates in the stage time zone', () => {
    expect(localMinute('2024-05-27T03:41:10.000Z', TZ)).toBe('2024-05-27T11:41');
    expect(localMinute('2024-05-27T16:00:00Z', TZ)).toBe('2024-05-28T00:00');
    expect(localMinute('not a time', TZ)).toBeUndefined();
    expect(localDate(Date.parse('2024-05-27T16:30:00Z'), TZ)).toBe('2024-05-28');
    expect(localDate(Date.parse('2024-05-27T16:30:00Z'), 'UTC')).toBe('2024-05-27');
  });

  it('builds a minute axis, both ends included, across midnight', () => {
    expect(minuteAxis('2024-05-27T23:58', '2024-05-28T00:01')).toEqual([
      '2024-05-27T23:58',
      '2024-05-27T23:59',
      '2024-05-28T00:00',
      '2024-05-28T00:01',
    ]);
    expect(minuteAxis('2024-05-27T12:00', '2024-05-27T11:00')).toEqual([]);
    expect(minuteAxis('x', '2024-05-27T11:00')).toEqual([]);
    expect(minuteAxis('2024-05-27T00:00', '2024-05-27T10:00', 3)).toEqual(['2024-05-27T09:58', '2024-05-27T09:59', '2024-05-27T10:00']);
    expect(addMinutes('2024-05-27T23:59', 1)).toBe('2024-05-28T00:00');
  });
});

describe('trend shaping', () => {
  const axis = minuteAxis('2024-05-27T11:00', '2024-05-27T11:04');

  it('aligns buckets on the minute axis with gaps as null', () => {
    const answer = metrics('events', [
      { buckets: [bucket('2024-05-27T11:01', 120), bucket('2024-05-27T11:03', 80), bucket('2024-05-27T13:00', 5)] },
    ]);
    expect(alignSeries(axis, answer.series, 'count')).toEqual([null, 120, null, 80, null]);
  });

  it('sums several series per minute and reads sums for measures', () => {
    const answer = metrics(
      'recharge.amount',
      [
        { value: 'a', buckets: [bucket('2024-05-27T11:00', 2, { sum: 30 })] },
        { value: 'b', buckets: [bucket('2024-05-27T11:00', 1, { sum: 50 }), bucket('2024-05-27T11:02', 1, { sum: 10 })] },
      ],
      'x',
    );
    expect(alignSeries(axis, answer.series, 'sum')).toEqual([80, null, 10, null, null]);
    expect(alignSeries(axis, answer.series, 'count')).toEqual([3, null, 1, null, null]);
  });

  it('turns success-rate fractions into percentages', () => {
    const series = [
      {
        dims: '',
        buckets: [
          { minute: '2024-05-27T11:00', rate: 0.9567 },
          { minute: '2024-05-27T11:01', rate: null },
        ] satisfies RateBucket[],
      },
    ];
    expect(alignSeries(axis, series, 'rate')).toEqual([95.67, null, null, null, null]);
  });

  it('counts error alerts per local minute, ignoring window alerts, zero where none', () => {
    const alerts: Alert[] = [
      errorAlert('e1', '2024-05-27T03:01:10.000Z'),
      errorAlert('e2', '2024-05-27T03:01:59.999Z'),
      errorAlert('e3', '2024-05-27T03:04:00.000Z'),
      windowAlert('w1', '2024-05-27T03:02:00.512Z'),
      errorAlert('e4', '2024-05-26T03:02:00.000Z'),
    ];
    expect(errorAlertsPerMinute(alerts, axis, TZ)).toEqual([0, 2, 0, 0, 1]);
  });

  it('leaves error counts unknown (null) before the oldest alert of a list that was cut short', () => {
    const alerts = [errorAlert('e1', '2024-05-27T03:03:10.000Z'), errorAlert('e2', '2024-05-27T03:02:30.000Z')];
    expect(errorAlertsPerMinute(alerts, axis, TZ, '2024-05-27T03:02:30.000Z')).toEqual([null, null, 1, 1, 0]);
  });

  it('builds every line of the trends chart, each unit on its own axis: traffic in the top grid, recharges below', () => {
    const trends = buildTrends({
      from: '2024-05-27T11:00',
      to: '2024-05-27T11:04',
      timeZone: TZ,
      metrics: {
        events: metrics('events', [{ buckets: [bucket('2024-05-27T11:00', 100)] }]),
        recharge: metrics('recharge', [{ buckets: [bucket('2024-05-27T11:00', 10)] }]),
        rechargeAmount: metrics('recharge.amount', [{ buckets: [bucket('2024-05-27T11:00', 9, { sum: 450 })] }]),
        successRate: {
          name: 'recharge.successRate',
          timeZone: TZ,
          from: '',
          to: '',
          series: [{ dims: '', buckets: [{ minute: '2024-05-27T11:00', rate: 0.9 }] }],
        },
      },
      alerts: [errorAlert('e1', '2024-05-27T03:00:30.000Z')],
    });
    expect(trends.axis).toHaveLength(5);
    expect(trends.empty).toBe(false);
    expect(trends.lines.map((l) => [l.key, TREND_AXES[l.yAxisIndex]?.key, l.gridIndex, l.data[0]])).toEqual([
      ['events', 'events', 0, 100],
      ['errorAlerts', 'alerts', 0, 1],
      ['recharge', 'recharges', 1, 10],
      ['rechargeAmount', 'yuan', 1, 450],
      ['successRate', 'percent', 1, 90],
    ]);
    for (const line of trends.lines) expect(TREND_AXES[line.yAxisIndex]?.grid).toBe(line.gridIndex);
  });

  it('is empty when nothing has been counted yet', () => {
    const trends = buildTrends({ from: '2024-05-27T11:00', to: '2024-05-27T11:04', timeZone: TZ, metrics: {}, alerts: [] });
    expect(trends.empty).toBe(true);
    expect(trends.lines.every((l) => l.data.length === 5)).toBe(true);
    expect(trends.lines.find((l) => l.key === 'errorAlerts')?.data).toEqual([0, 0, 0, 0, 0]);
  });

  it('leaves the error line unknown (null) while the alerts could not be loaded', () => {
    const trends = buildTrends({ from: '2024-05-27T11:00', to: '2024-05-27T11:02', timeZone: TZ, metrics: {}, alerts: undefined });
    expect(trends.lines.find((l) => l.key === 'errorAlerts')?.data).toEqual([null, null, null]);
    expect(trends.empty).toBe(true);
  });
});

describe('distribution shaping', () => {
  const spec = (key: string) => {
    const s = DISTRIBUTIONS.find((d) => d.key === key);
    if (!s) throw new Error(key);
    return s;
  };

  it('sums each value over the range and sorts provinces by value, largest first', () => {
    const answer = metrics(
      'events',
      [
        { value: '浙江', buckets: [bucket('2024-05-27T11:00', 5), bucket('2024-05-27T11:01', 7)] },
        { value: '广东', buckets: [bucket('2024-05-27T11:00', 30)] },
        { value: '西藏', buckets: [bucket('2024-05-27T11:00', 0)] },
        { value: '北京', buckets: [bucket('2024-05-27T11:02', 12)] },
      ],
      'props.province',
    );
    expect(distribution(answer, spec('province'))).toEqual([
      ['广东', 30],
      ['北京', 12],
      ['浙江', 12],
    ]);
  });

  it('labels age ranges and genders (Taobao scenario codes) in code order', () => {
    const ages = metrics(
      'events',
      [
        { value: '7', buckets: [bucket('2024-05-27T11:00', 3)] },
        { value: '10', buckets: [bucket('2024-05-27T11:00', 1)] },
        { value: '0', buckets: [bucket('2024-05-27T11:00', 4)] },
        { value: '2', buckets: [bucket('2024-05-27T11:00', 9)] },
      ],
      'props.ageRange',
    );
    expect(distribution(ages, spec('ageRange'))).toEqual([
      ['unknown', 4],
      ['20–24', 9],
      ['≥50', 3],
      ['10', 1],
    ]);
    const genders = metrics(
      'events',
      [
        { value: '1', buckets: [bucket('2024-05-27T11:00', 3)] },
        { value: '0', buckets: [bucket('2024-05-27T11:00', 5)] },
      ],
      'props.gender',
    );
    expect(distribution(genders, spec('gender'))).toEqual([
      ['female', 5],
      ['male', 3],
    ]);
  });

  it('reads the value from dims when the answer has no value field', () => {
    const answer: MetricsAnswer = {
      name: 'events',
      timeZone: TZ,
      from: '',
      to: '',
      dim: 'action',
      series: [{ dims: 'action=click', buckets: [bucket('2024-05-27T11:00', 2)] }],
    };
    expect(distribution(answer, spec('action'))).toEqual([['click', 2]]);
  });

  it('is empty for no series or no answer', () => {
    expect(distribution(metrics('events', [], 'action'), spec('action'))).toEqual([]);
    expect(distribution(undefined, spec('action'))).toEqual([]);
  });
});

describe('alerts feed shaping', () => {
  it('lists newest first, window alerts as count vs threshold, errors with their message', () => {
    const rows = alertRows(
      [
        errorAlert('e-123', '2024-05-27T03:41:10.000Z'),
        windowAlert('w1', '2024-05-27T03:42:00.512Z'),
        windowAlert('w2', '2024-05-27T03:40:00.100Z', {
          groupBy: 'props.provinceCode',
          action: '11',
          count: 30,
          threshold: 20,
          windowStart: '2024-05-27T03:35:00Z',
          windowEnd: '2024-05-27T03:40:00Z',
        }),
      ],
      TZ,
    );
    expect(rows).toEqual([
      { id: 'w1', kind: 'window', time: '2024-05-27 11:42:00', subject: 'viewDoc', text: '12 / 10 in 1 min window' },
      { id: 'e-123', kind: 'error', time: '2024-05-27 11:41:10', subject: 'pay', text: '[error] gateway timeout' },
      { id: 'w2', kind: 'window', time: '2024-05-27 11:40:00', subject: 'props.provinceCode = 11', text: '30 / 20 in 5 min window' },
    ]);
  });

  it('writes sub-minute windows in seconds', () => {
    expect(windowAlertText({ count: 3, threshold: 2, windowStart: '2024-05-27T03:41:00Z', windowEnd: '2024-05-27T03:41:30Z' })).toBe(
      '3 / 2 in 30 s window',
    );
  });

  it('drops duplicates (the same alert on two pages) and keeps at most the limit', () => {
    const a = errorAlert('e1', '2024-05-27T03:41:10.000Z');
    const rows = alertRows([a, a, errorAlert('e2', '2024-05-27T03:41:11.000Z'), errorAlert('e3', '2024-05-27T03:41:12.000Z')], TZ, 2);
    expect(rows.map((r) => r.id)).toEqual(['e3', 'e2']);
    expect(alertRows([], TZ)).toEqual([]);
  });
});

describe('incremental refresh', () => {
  it('replaces the refetched minutes, keeps older ones, and drops those that left the range', () => {
    // prepare: the cache of 11:00..11:05 and a refetch of 11:04 onwards (11:04 grew, 11:06 is new, a new series appeared)
    const cached = metrics(
      'events',
      [
        { value: 'click', buckets: [bucket('2024-05-27T11:00', 1), bucket('2024-05-27T11:03', 3), bucket('2024-05-27T11:04', 4)] },
        { value: 'buy', buckets: [bucket('2024-05-27T11:01', 9)] },
      ],
      'action',
    );
    const fresh = metrics(
      'events',
      [
        { value: 'click', buckets: [bucket('2024-05-27T11:04', 6), bucket('2024-05-27T11:06', 2)] },
        { value: 'cart', buckets: [bucket('2024-05-27T11:05', 5)] },
      ],
      'action',
    );

    // act: the range now starts at 11:01
    const merged = mergeMetrics(cached, fresh, '2024-05-27T11:04', '2024-05-27T11:01');

    // assess
    const byValue = Object.fromEntries(merged.series.map((s) => [s.value, s.buckets.map((b) => `${b.minute.slice(11)}=${b.count}`)]));
    expect(byValue).toEqual({ click: ['11:03=3', '11:04=6', '11:06=2'], buy: ['11:01=9'], cart: ['11:05=5'] });
    expect(merged.from).toBe('2024-05-27T11:01');
  });

  it('takes a first load as it is (within the range)', () => {
    const fresh = metrics('events', [{ buckets: [bucket('2024-05-27T10:59', 1), bucket('2024-05-27T11:00', 2)] }]);
    expect(mergeMetrics(undefined, fresh, '2024-05-27T11:00', '2024-05-27T11:00').series).toEqual([
      { dims: '', buckets: [bucket('2024-05-27T11:00', 2)] },
    ]);
  });

  it('merges alerts: older cached ones kept, refetched ones replaced, none twice, out-of-range dropped, newest first', () => {
    const cached = [
      errorAlert('e1', '2024-05-27T03:00:00Z'),
      errorAlert('e2', '2024-05-27T03:08:00Z'),
      errorAlert('e0', '2024-05-27T02:00:00Z'),
    ];
    const fresh = [errorAlert('e2', '2024-05-27T03:08:00Z', { errorMsg: '[error] updated' }), errorAlert('e3', '2024-05-27T03:09:00Z')];
    const merged = mergeAlerts(cached, fresh, '2024-05-27T03:05:00Z', '2024-05-27T02:30:00Z');
    expect(merged.map((a) => a.id)).toEqual(['e3', 'e2', 'e1']);
    expect(merged[1].kind === 'error' && merged[1].errorMsg).toBe('[error] updated');
  });
});

describe('pieLegendLabels', () => {
  it('gives every slice its full name and share, so two names with one prefix stay apart', () => {
    const labels = pieLegendLabels([
      ['search', 30],
      ['sendPayReq', 10],
      ['page_view', 60],
    ]);
    expect([...labels.values()]).toEqual(['search  30.0%', 'sendPayReq  10.0%', 'page_view  60.0%']);
  });

  it('copes with an empty or all-zero pie', () => {
    expect(pieLegendLabels([]).size).toBe(0);
    expect(pieLegendLabels([['a', 0]]).get('a')).toBe('a  0.0%');
  });
});

describe('foldSmallSlices', () => {
  it('keeps the largest slices and sums the rest into one "other" slice', () => {
    const rows: Array<[string, number]> = [
      ['a', 50],
      ['b', 20],
      ['c', 10],
      ['d', 5],
      ['e', 3],
    ];
    expect(foldSmallSlices(rows, 2)).toEqual([
      ['a', 50],
      ['b', 20],
      ['other', 18],
    ]);
  });

  it('folds nothing when at most one slice would go into "other"', () => {
    expect(
      foldSmallSlices(
        [
          ['a', 5],
          ['b', 4],
          ['c', 1],
        ],
        2,
      ),
    ).toEqual([
      ['a', 5],
      ['b', 4],
      ['c', 1],
    ]);
    expect(foldSmallSlices([], 7)).toEqual([]);
  });
});
