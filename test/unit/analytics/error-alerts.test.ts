import { DEFAULT_ERROR_PATTERNS } from '../../../lambdas/analytics/config';
import { findErrorAlerts, MAX_SUBJECT_LENGTH, summarizeForNotification, type ErrorAlert } from '../../../lambdas/analytics/error-alerts';
import { aStreamEvent } from './factories';

/** `count` error alerts for `action`, ids `<action>-<i>`. */
const someAlerts = (count: number, action: string, errorMsg = '[error] database connection refused'): ErrorAlert[] =>
  findErrorAlerts(
    Array.from({ length: count }, (_, i) => aStreamEvent({ eventId: `${action}-${i}`, action, errorMsg })),
    DEFAULT_ERROR_PATTERNS,
  );

describe('findErrorAlerts', () => {
  it('alerts on errorMsg containing a pattern, case-sensitively, with the first pattern that matched', () => {
    // prepare
    const events = [
      aStreamEvent({ eventId: 'a', action: 'viewDoc', errorMsg: 'x [PANIC] nil pointer [error]', objectId: 'doc-1', bizId: '100' }),
      aStreamEvent({ eventId: 'b', errorMsg: '[Error] mixed case is no marker' }),
      aStreamEvent({ eventId: 'c', errorMsg: '[warn] slow' }),
      aStreamEvent({ eventId: 'd' }),
      aStreamEvent({ eventId: 'e', action: 'login', errorMsg: '[panic] boom' }),
    ];

    // act
    const alerts = findErrorAlerts(events, DEFAULT_ERROR_PATTERNS);

    // assess
    expect(alerts).toEqual([
      {
        kind: 'error',
        eventId: 'a',
        action: 'viewDoc',
        userId: 'user-1',
        createdAt: events[0]?.createdAt,
        errorMsg: 'x [PANIC] nil pointer [error]',
        matched: '[error]',
        objectId: 'doc-1',
        bizId: '100',
      },
      {
        kind: 'error',
        eventId: 'e',
        action: 'login',
        userId: 'user-1',
        createdAt: events[4]?.createdAt,
        errorMsg: '[panic] boom',
        matched: '[panic]',
      },
    ]);
  });

  it('alerts once per eventId within a batch (a producer retry does not alert twice)', () => {
    // prepare
    const event = aStreamEvent({ eventId: 'same', errorMsg: '[ERROR] once' });

    // act
    const alerts = findErrorAlerts([event, { ...event, receivedAt: '2024-05-27T03:41:00.000Z' }], DEFAULT_ERROR_PATTERNS);

    // assess
    expect(alerts.map((a) => a.eventId)).toEqual(['same']);
  });

  it('alerts on nothing without patterns', () => {
    expect(findErrorAlerts([aStreamEvent({ errorMsg: '[error] x' })], [])).toEqual([]);
  });
});

describe('summarizeForNotification', () => {
  it('gives no notification for no alerts', () => {
    expect(summarizeForNotification([])).toBeUndefined();
  });

  it('summarizes a batch in one message: counts per action, most first, then the first examples', () => {
    // prepare
    const alerts = [...someAlerts(2, 'login'), ...someAlerts(12, 'viewDoc')];

    // act
    const notification = summarizeForNotification(alerts, 'prod', { maxExamples: 3 });

    // assess
    expect(notification?.subject).toBe('[prod] 14 error events: viewDoc 12, login 2');
    expect(notification?.message).toContain('14 error events in 2 actions (stage prod).');
    expect(notification?.message).toContain('By action:\n  viewDoc: 12\n  login: 2\n');
    expect(notification?.message).toContain('First 3 of 14:');
    expect(notification?.message).toContain('event=login-0 user=user-1 matched [error]: [error] database connection refused');
    expect(notification?.message).not.toContain('login-2');
    expect(notification?.message.match(/ matched /g)).toHaveLength(3);
  });

  it('keeps the subject printable ASCII and under 100 characters, whatever the actions are called', () => {
    // prepare
    const alerts = [...someAlerts(3, '充值通知'), ...someAlerts(2, 'a'.repeat(256)), ...someAlerts(1, 'line\nbreak')];

    // act
    const notification = summarizeForNotification(alerts, 'uat');

    // assess
    expect(notification?.subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(notification?.subject).toMatch(/^[\x21-\x7e][\x20-\x7e]*$/);
    expect(notification?.subject.startsWith('[uat] 6 error events: ????')).toBe(true);
  });

  it('stays under the SNS message limit for a huge batch', () => {
    // prepare: 10 000 alerts over 5 000 actions with long names and long messages
    const alerts = Array.from({ length: 5000 }, (_, i) =>
      someAlerts(2, `${'action'.repeat(40)}-${i}`, `[error] ${'x'.repeat(1000)}`),
    ).flat();

    // act
    const notification = summarizeForNotification(alerts, 'prod', { maxExamples: 500 });

    // assess
    expect(Buffer.byteLength(notification?.message ?? '')).toBeLessThanOrEqual(256 * 1024);
    expect(notification?.message).toContain('… and 4950 more actions with 9900 events');
  });

  it('cuts a message that exceeds its byte budget and says so', () => {
    const notification = summarizeForNotification(someAlerts(50, 'viewDoc', `[error] ${'y'.repeat(1000)}`), undefined, {
      maxExamples: 50,
      maxMessageBytes: 2000,
    });
    expect(Buffer.byteLength(notification?.message ?? '')).toBeLessThanOrEqual(2000);
    expect(notification?.message.endsWith('… (truncated)')).toBe(true);
  });
});
