-- dau: distinct users per day.
-- params: from, to
SELECT event_day AS day, count(DISTINCT user_id) AS users
FROM events
WHERE event_day BETWEEN ? AND ?
GROUP BY event_day
ORDER BY day
