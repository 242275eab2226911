import type { ReportRow } from '../../../lambdas/shared/reports';
import {
  activeUsersLines,
  addDays,
  cellNumber,
  dayRange,
  defaultRange,
  funnelBars,
  isDay,
  rechargeByProvince,
  retentionGrid,
  salesTable,
  sankeyEdgesOf,
  weekMonday,
} from '../../../dashboard/src/reports-shape';

describe('days', () => {
  it('checks, adds and lists calendar days', () => {
    expect(isDay('2024-02-29')).toBe(true);
    expect(isDay('2023-02-29')).toBe(false);
    expect(isDay('2024-5-1')).toBe(false);
    expect(addDays('2024-02-28', 2)).toBe('2024-03-01');
    expect(dayRange('2024-05-30', '2024-06-02')).toEqual(['2024-05-30', '2024-05-31', '2024-06-01', '2024-06-02']);
    expect(dayRange('2024-06-02', '2024-05-30')).toEqual([]);
    expect(dayRange('2024-01-01', '2026-01-01')).toHaveLength(400);
  });

  it('finds the Monday of the ISO week', () => {
    expect(weekMonday('2024-05-27')).toBe('2024-05-27');
    expect(weekMonday('2024-06-02')).toBe('2024-05-27');
    expect(weekMonday('2025-01-01')).toBe('2024-12-30');
  });

  it('reads numbers and numeric text from cells', () => {
    expect(cellNumber(3)).toBe(3);
    expect(cellNumber('62.500000')).toBe(62.5);
    expect(cellNumber('')).toBeNull();
    expect(cellNumber(null)).toBeNull();
    expect(cellNumber('x')).toBeNull();
  });

  it('opens on the 30 days ending at the newest export', () => {
    expect(defaultRange([['2024-05-01', '2024-05-20'], ['2024-05-13']], '2024-06-10')).toEqual({ from: '2024-04-21', to: '2024-05-20' });
    expect(defaultRange([], '2024-06-10')).toEqual({ from: '2024-05-12', to: '2024-06-10' });
  });
});

describe('activeUsersLines', () => {
  it('puts DAU on its day, WAU on every day of its week and MAU on every day of its month, gaps as null', () => {
    const days = dayRange('2024-05-30', '2024-06-03');
    const lines = activeUsersLines(
      days,
      [
        { day: '2024-05-30', users: 5 },
        { day: '2024-06-03', users: 2 },
      ],
      [
        { week: '2024-05-27', users: 9 },
        { week: '2024-06-03', users: 2 },
      ],
      [{ month: '2024-05', users: 20 }],
    );
    expect(lines.map((l) => [l.key, l.data])).toEqual([
      ['dau', [5, null, null, null, 2]],
      ['wau', [9, 9, 9, 9, 2]],
      ['mau', [20, 20, null, null, null]],
    ]);
  });
});

describe('funnelBars', () => {
  it('sums each step over the days and gives conversion from step 1 in %', () => {
    const rows: ReportRow[] = [
      { day: '2024-05-27', funnel: 'purchase', step: 1, action: 'click', users: 60, conversion: 1 },
      { day: '2024-05-27', funnel: 'purchase', step: 2, action: 'cart', users: 20, conversion: 0.3333 },
      { day: '2024-05-27', funnel: 'purchase', step: 3, action: 'buy', users: 5, conversion: 0.0833 },
      { day: '2024-05-28', funnel: 'purchase', step: 3, action: 'buy', users: 1, conversion: 0.025 },
      { day: '2024-05-28', funnel: 'purchase', step: 1, action: 'click', users: 40, conversion: 1 },
      { day: '2024-05-28', funnel: 'purchase', step: 2, action: 'cart', users: 10, conversion: 0.25 },
      { day: '2024-05-28', funnel: 'browse', step: 1, action: 'search', users: 0, conversion: 1 },
    ];
    expect(funnelBars(rows)).toEqual([
      { funnel: 'browse', steps: [{ step: 1, action: 'search', users: 0, conversionPct: 0 }] },
      {
        funnel: 'purchase',
        steps: [
          { step: 1, action: 'click', users: 100, conversionPct: 100 },
          { step: 2, action: 'cart', users: 30, conversionPct: 30 },
          { step: 3, action: 'buy', users: 6, conversionPct: 6 },
        ],
      },
    ]);
  });
});

describe('retentionGrid', () => {
  it('gives a cell per cohort and offset in % of the cohort, unknown (null) after the last day', () => {
    const rows: ReportRow[] = [
      { cohort_day: '2024-05-02', day_offset: 1, cohort_users: 3, users: 1 },
      { cohort_day: '2024-05-01', day_offset: 1, cohort_users: 4, users: 2 },
      { cohort_day: '2024-05-01', day_offset: 2, cohort_users: 4, users: 1 },
      { cohort_day: '2024-05-01', day_offset: 30, cohort_users: 4, users: 0 },
    ];
    const grid = retentionGrid(rows, '2024-05-03');
    expect(grid.cohorts).toEqual(['2024-05-01', '2024-05-02']);
    expect(grid.cohortUsers).toEqual([4, 3]);
    expect(grid.offsets).toEqual([1, 2, 3, 4, 5, 6, 7, 14, 30]);
    const cell = (cohort: number, offset: number): number | null | undefined =>
      grid.cells.find(([x, y]) => y === cohort && grid.offsets[x] === offset)?.[2];
    expect(cell(0, 1)).toBe(50);
    expect(cell(0, 2)).toBe(25);
    expect(cell(0, 3)).toBeNull(); // 2024-05-04 is after the last day
    expect(cell(0, 30)).toBeNull();
    expect(cell(1, 1)).toBe(33.3);
    expect(grid.cells).toHaveLength(18);
  });
});

describe('salesTable', () => {
  it('sums per machine and commodity over the days with the names, largest amount first', () => {
    const rows: ReportRow[] = [
      {
        day: '2024-05-27',
        machine_id: '12',
        commodity_id: '1000001',
        commodity_name: 'Mineral water 550ml',
        orders: 3,
        quantity: 4,
        amount: 8,
      },
      {
        day: '2024-05-28',
        machine_id: '12',
        commodity_id: '1000001',
        commodity_name: 'Mineral water 550ml',
        orders: 1,
        quantity: 1,
        amount: 2,
      },
      {
        day: '2024-05-27',
        machine_id: '1',
        commodity_id: '1000010',
        commodity_name: 'Energy drink 250ml',
        orders: 1,
        quantity: 2,
        amount: 16,
      },
      { day: '2024-05-27', machine_id: '2', commodity_id: '77', commodity_name: null, orders: 1, quantity: 1, amount: '10.000000' },
      { day: '2024-05-27', machine_id: '1', commodity_id: '77', commodity_name: null, orders: 1, quantity: 1, amount: 10 },
    ];
    expect(salesTable(rows)).toEqual([
      { machineId: '1', commodityId: '1000010', commodityName: 'Energy drink 250ml', orders: 1, quantity: 2, amount: 16 },
      { machineId: '1', commodityId: '77', commodityName: '77', orders: 1, quantity: 1, amount: 10 },
      { machineId: '2', commodityId: '77', commodityName: '77', orders: 1, quantity: 1, amount: 10 },
      { machineId: '12', commodityId: '1000001', commodityName: 'Mineral water 550ml', orders: 4, quantity: 5, amount: 10 },
    ]);
  });
});

describe('rechargeByProvince', () => {
  it('sums notifications, successes and amount per province; the success rate over the range', () => {
    const rows: ReportRow[] = [
      { day: '2024-05-27', province_code: '100', notifications: 10, successes: 9, amount: 450, success_rate: 0.9 },
      { day: '2024-05-28', province_code: '100', notifications: 10, successes: 8, amount: 300, success_rate: 0.8 },
      { day: '2024-05-27', province_code: '571', notifications: 3, successes: 1, amount: 1000, success_rate: 0.3333 },
      { day: '2024-05-27', province_code: null, notifications: 1, successes: 0, amount: 0, success_rate: 0 },
    ];
    expect(rechargeByProvince(rows)).toEqual([
      { provinceCode: '571', notifications: 3, successes: 1, amount: 1000, successRatePct: 33.3 },
      { provinceCode: '100', notifications: 20, successes: 17, amount: 750, successRatePct: 85 },
      { provinceCode: 'unknown', notifications: 1, successes: 0, amount: 0, successRatePct: 0 },
    ]);
  });
});

describe('sankeyEdgesOf', () => {
  it('sums the weights of one day per edge over the full paths', () => {
    const rows: ReportRow[] = [
      { day: '2024-05-27', source: '/home (1)', target: '/blog (2)', weight: 3, full_path: '/home -> /blog' },
      { day: '2024-05-27', source: '/home (1)', target: '/blog (2)', weight: 2, full_path: '/home -> /blog -> /faq' },
      { day: '2024-05-27', source: '/blog (2)', target: '/faq (3)', weight: 2, full_path: '/home -> /blog -> /faq' },
      { day: '2024-05-28', source: '/home (1)', target: '/blog (2)', weight: 7, full_path: '/home -> /blog' },
    ];
    expect(sankeyEdgesOf(rows, '2024-05-27')).toEqual([
      { source: '/home (1)', target: '/blog (2)', weight: 5 },
      { source: '/blog (2)', target: '/faq (3)', weight: 2 },
    ]);
  });
});
