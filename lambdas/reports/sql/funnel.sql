-- funnel: per day and configured funnel, users who did steps 1..k in that order (createdAt
-- non-decreasing) within the day, for every step, with conversion from step 1. A user's earliest
-- step-1 event, then the earliest step-2 event at or after it, and so on, reaches the furthest step
-- any ordering can. Up to six steps. The funnels are the stage's, written into the VALUES list
-- as (funnel, step, action) rows when the query is saved (synth).
-- params: from, to
WITH steps AS (
  SELECT funnel, step, action
  FROM (VALUES {{funnel_steps}}) AS s (funnel, step, action)
),
fe AS (
  SELECT s.funnel, e.event_day AS day, e.user_id, s.step, e.created_at
  FROM events e JOIN steps s ON e.action = s.action
  WHERE e.event_day BETWEEN ? AND ?
),
r1 AS (SELECT funnel, day, user_id, min(created_at) AS t FROM fe WHERE step = 1 GROUP BY funnel, day, user_id),
r2 AS (SELECT p.funnel, p.day, p.user_id, min(f.created_at) AS t FROM r1 p JOIN fe f ON f.funnel = p.funnel AND f.day = p.day AND f.user_id = p.user_id AND f.step = 2 AND f.created_at >= p.t GROUP BY p.funnel, p.day, p.user_id),
r3 AS (SELECT p.funnel, p.day, p.user_id, min(f.created_at) AS t FROM r2 p JOIN fe f ON f.funnel = p.funnel AND f.day = p.day AND f.user_id = p.user_id AND f.step = 3 AND f.created_at >= p.t GROUP BY p.funnel, p.day, p.user_id),
r4 AS (SELECT p.funnel, p.day, p.user_id, min(f.created_at) AS t FROM r3 p JOIN fe f ON f.funnel = p.funnel AND f.day = p.day AND f.user_id = p.user_id AND f.step = 4 AND f.created_at >= p.t GROUP BY p.funnel, p.day, p.user_id),
r5 AS (SELECT p.funnel, p.day, p.user_id, min(f.created_at) AS t FROM r4 p JOIN fe f ON f.funnel = p.funnel AND f.day = p.day AND f.user_id = p.user_id AND f.step = 5 AND f.created_at >= p.t GROUP BY p.funnel, p.day, p.user_id),
r6 AS (SELECT p.funnel, p.day, p.user_id, min(f.created_at) AS t FROM r5 p JOIN fe f ON f.funnel = p.funnel AND f.day = p.day AND f.user_id = p.user_id AND f.step = 6 AND f.created_at >= p.t GROUP BY p.funnel, p.day, p.user_id),
reached AS (
  SELECT funnel, day, 1 AS step, count(*) AS users FROM r1 GROUP BY funnel, day
  UNION ALL SELECT funnel, day, 2 AS step, count(*) AS users FROM r2 GROUP BY funnel, day
  UNION ALL SELECT funnel, day, 3 AS step, count(*) AS users FROM r3 GROUP BY funnel, day
  UNION ALL SELECT funnel, day, 4 AS step, count(*) AS users FROM r4 GROUP BY funnel, day
  UNION ALL SELECT funnel, day, 5 AS step, count(*) AS users FROM r5 GROUP BY funnel, day
  UNION ALL SELECT funnel, day, 6 AS step, count(*) AS users FROM r6 GROUP BY funnel, day
),
days AS (SELECT funnel, day, users AS first_users FROM reached WHERE step = 1)
SELECT
  d.day, d.funnel, s.step, s.action, coalesce(r.users, 0) AS users,
  round(CAST(coalesce(r.users, 0) AS double) / d.first_users, 4) AS conversion
FROM days d
JOIN steps s ON s.funnel = d.funnel
LEFT JOIN reached r ON r.funnel = d.funnel AND r.day = d.day AND r.step = s.step
ORDER BY d.day, d.funnel, s.step
