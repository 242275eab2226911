-- sankey-daily: the path-analysis CSV rows (source, target, weight, full_path) of the sessions that
-- start on each day. A session is one (userId, sessionId), or, without sessionId, a user's events
-- split where two consecutive ones are more than 1,800 s apart; ordered by createdAt, receivedAt,
-- eventId. Sessions are read from the day before `from` to the day after `to`.
-- params: load_from, load_to, from, to
WITH p AS (
  SELECT event_day, user_id, session_id, path, created_at, received_at, event_id, from_iso8601_timestamp(created_at) AS ts
  FROM events
  WHERE path IS NOT NULL AND event_day BETWEEN ? AND ?
),
o AS (
  SELECT *, lag(ts) OVER (PARTITION BY user_id, session_id ORDER BY created_at, received_at, event_id) AS prev_ts
  FROM p
),
s AS (
  SELECT *, sum(CASE WHEN session_id IS NULL AND (prev_ts IS NULL OR date_diff('millisecond', prev_ts, ts) > 1800000) THEN 1 ELSE 0 END)
    OVER (PARTITION BY user_id, session_id ORDER BY created_at, received_at, event_id ROWS UNBOUNDED PRECEDING) AS seg
  FROM o
),
n AS (
  SELECT
    user_id, session_id, seg, path,
    row_number() OVER (PARTITION BY user_id, session_id, seg ORDER BY created_at, received_at, event_id) AS step,
    first_value(event_day) OVER (PARTITION BY user_id, session_id, seg ORDER BY created_at, received_at, event_id) AS session_day,
    count(*) OVER (PARTITION BY user_id, session_id, seg) AS steps
  FROM s
),
sessions AS (
  SELECT user_id, session_id, seg, session_day, array_join(array_agg(path ORDER BY step), ' -> ') AS full_path
  FROM n
  WHERE steps >= 2 AND session_day BETWEEN ? AND ?
  GROUP BY user_id, session_id, seg, session_day
),
edges AS (
  SELECT
    f.session_day AS day, a.step,
    a.path || ' (' || CAST(a.step AS varchar) || ')' AS source,
    b.path || ' (' || CAST(b.step AS varchar) || ')' AS target,
    f.full_path
  FROM sessions f
  JOIN n a ON a.user_id = f.user_id AND a.session_id IS NOT DISTINCT FROM f.session_id AND a.seg = f.seg
  JOIN n b ON b.user_id = a.user_id AND b.session_id IS NOT DISTINCT FROM a.session_id AND b.seg = a.seg AND b.step = a.step + 1
)
SELECT day, source, target, count(*) AS weight, full_path
FROM edges
GROUP BY day, step, source, target, full_path
ORDER BY day, weight DESC, full_path, step
