-- The event days (createdAt in the stage time zone) of one arrival day's raw partitions.
-- params: arrival_day
SELECT DISTINCT CAST(CAST(from_iso8601_timestamp(createdAt) AT TIME ZONE '{{time_zone}}' AS date) AS varchar) AS event_day
FROM raw_events
WHERE dt = ?
ORDER BY event_day
