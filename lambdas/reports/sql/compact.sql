-- One arrival day's raw events merged with the curated partitions of the event days they touch,
-- one row per (event day, eventId): the copy received first. The daily job UNLOADs this to a
-- staging prefix partitioned by event_day, then replaces those partitions' objects.
-- params: arrival_day, first_day, last_day
WITH incoming AS (
  SELECT
    eventId AS event_id, action, userId AS user_id, createdAt AS created_at, receivedAt AS received_at,
    sessionId AS session_id, objectId AS object_id, bizId AS biz_id, path, errorMsg AS error_msg, props,
    CAST(CAST(from_iso8601_timestamp(createdAt) AT TIME ZONE '{{time_zone}}' AS date) AS varchar) AS event_day
  FROM raw_events
  WHERE dt = ?
),
merged AS (
  SELECT * FROM incoming
  UNION ALL
  SELECT
    event_id, action, user_id, created_at, received_at, session_id, object_id, biz_id, path, error_msg, props, event_day
  FROM events
  WHERE event_day BETWEEN ? AND ? AND event_day IN (SELECT event_day FROM incoming)
),
ranked AS (
  SELECT *, row_number() OVER (
    PARTITION BY event_day, event_id
    ORDER BY received_at, created_at, action, user_id, session_id, path, props
  ) AS copy
  FROM merged
)
SELECT event_id, action, user_id, created_at, received_at, session_id, object_id, biz_id, path, error_msg, props, event_day
FROM ranked
WHERE copy = 1
