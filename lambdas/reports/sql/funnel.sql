-- funnel: per day, users who did steps 1..k of one funnel in that order (createdAt non-decreasing)
-- within the day, for every step, with conversion from step 1. Up to six steps; unused steps are ''.
-- A user's earliest step-1 event, then the earliest step-2 event at or after it, and so on, reaches
-- the furthest step any ordering can.
-- params: step1, step2, step3, step4, step5, step6, from, to, funnel
WITH steps AS (
  SELECT step, action
  FROM (VALUES (1, ?), (2, ?), (3, ?), (4, ?), (5, ?), (6, ?)) AS s (step, action)
  WHERE action <> ''
),
fe AS (
  SELECT e.event_day AS day, e.user_id, s.step, e.created_at
  FROM events e JOIN steps s ON e.action = s.action
  WHERE e.event_day BETWEEN ? AND ?
),
r1 AS (SELECT day, user_id, min(created_at) AS t FROM fe WHERE step = 1 GROUP BY day, user_id),
r2 AS (SELECT p.day, p.user_id, min(f.created_at) AS t FROM r1 p JOIN fe f ON f.day = p.day AND f.user_id = p.user_id AND f.step = 2 AND f.created_at >= p.t GROUP BY p.day, p.user_id),
r3 AS (SELECT p.day, p.user_id, min(f.created_at) AS t FROM r2 p JOIN fe f ON f.day = p.day AND f.user_id = p.user_id AND f.step = 3 AND f.created_at >= p.t GROUP BY p.day, p.user_id),
r4 AS (SELECT p.day, p.user_id, min(f.created_at) AS t FROM r3 p JOIN fe f ON f.day = p.day AND f.user_id = p.user_id AND f.step = 4 AND f.created_at >= p.t GROUP BY p.day, p.user_id),
r5 AS (SELECT p.day, p.user_id, min(f.created_at) AS t FROM r4 p JOIN fe f ON f.day = p.day AND f.user_id = p.user_id AND f.step = 5 AND f.created_at >= p.t GROUP BY p.day, p.user_id),
r6 AS (SELECT p.day, p.user_id, min(f.created_at) AS t FROM r5 p JOIN fe f ON f.day = p.day AND f.user_id = p.user_id AND f.step = 6 AND f.created_at >= p.t GROUP BY p.day, p.user_id),
reached AS (
  SELECT day, 1 AS step, count(*) AS users FROM r1 GROUP BY day
  UNION ALL SELECT day, 2 AS step, count(*) AS users FROM r2 GROUP BY day
  UNION ALL SELECT day, 3 AS step, count(*) AS users FROM r3 GROUP BY day
  UNION ALL SELECT day, 4 AS step, count(*) AS users FROM r4 GROUP BY day
  UNION ALL SELECT day, 5 AS step, count(*) AS users FROM r5 GROUP BY day
  UNION ALL SELECT day, 6 AS step, count(*) AS users FROM r6 GROUP BY day
),
days AS (SELECT day, users AS first_users FROM reached WHERE step = 1)
SELECT
  d.day, ? AS funnel, s.step, s.action, coalesce(r.users, 0) AS users,
  round(CAST(coalesce(r.users, 0) AS double) / d.first_users, 4) AS conversion
FROM days d
CROSS JOIN steps s
LEFT JOIN reached r ON r.day = d.day AND r.step = s.step
ORDER BY d.day, s.step
