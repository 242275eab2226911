/**
 * Pure domain logic of the real-time analyses (no AWS SDK, no handlers): record decoding, the
 * configuration, the filter language, error alerts, tumbling-window thresholds, per-minute KPIs
 * and path sessions. Handlers adapt Lambda events to these functions and write their results.
 */
export * from './config';
export * from './error-alerts';
export * from './filters';
export * from './kpis';
export * from './records';
export { isValidTimeZone, localDay, localMinute, parseIsoUtc } from './time';
export {
  DEFAULT_MAX_WINDOW_STATE_BYTES,
  emptyWindowState,
  foldWindow,
  judgeWindow,
  readWindowState,
  windowAlert,
  windowAlertId,
  windowPartials,
  stateSizeBytes as windowStateSizeBytes,
  type FoldOptions,
  type WindowAlert,
  type WindowGroupState,
  type WindowPartial,
  type WindowState,
} from './windows';
export {
  PATH_ARROW,
  applyEvents,
  edgesOf,
  emptySessionState,
  readSessionState,
  sessionKeyOf,
  stateSizeBytes as sessionStateSizeBytes,
  type ClosedSession,
  type EdgeDelta,
  type PathDelta,
  type PathStats,
  type PathsBatch,
  type SessionEvent,
  type SessionState,
} from './paths';
