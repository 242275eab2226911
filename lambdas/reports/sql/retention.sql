-- retention: a user's cohort day is the first day they were seen in the whole table; for each
-- cohort day in range and each offset, the cohort's size and how many of it were active on
-- cohort day + offset (0 when none). The offsets are RETENTION_OFFSETS of lambdas/shared/reports.ts.
-- params: from, to, from, to
WITH active AS (
  SELECT DISTINCT user_id, CAST(event_day AS date) AS day FROM events
),
first_seen AS (
  SELECT user_id, min(day) AS cohort FROM active GROUP BY user_id
),
cohorts AS (
  SELECT cohort, count(*) AS cohort_users
  FROM first_seen
  WHERE cohort BETWEEN CAST(? AS date) AND CAST(? AS date)
  GROUP BY cohort
),
offsets AS (
  SELECT day_offset FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (14), (30)) AS o (day_offset)
),
returned AS (
  SELECT f.cohort, date_diff('day', f.cohort, a.day) AS day_offset, count(*) AS users
  FROM first_seen f
  JOIN active a ON a.user_id = f.user_id AND a.day > f.cohort
  WHERE f.cohort BETWEEN CAST(? AS date) AND CAST(? AS date)
  GROUP BY 1, 2
)
SELECT CAST(c.cohort AS varchar) AS cohort_day, o.day_offset, c.cohort_users, coalesce(r.users, 0) AS users
FROM cohorts c
CROSS JOIN offsets o
LEFT JOIN returned r ON r.cohort = c.cohort AND r.day_offset = o.day_offset
ORDER BY cohort_day, day_offset
