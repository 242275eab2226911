-- wau: distinct users per ISO week; week is its Monday. from/to are a Monday and a Sunday.
-- params: from, to
SELECT CAST(CAST(date_trunc('week', CAST(event_day AS date)) AS date) AS varchar) AS week, count(DISTINCT user_id) AS users
FROM events
WHERE event_day BETWEEN ? AND ?
GROUP BY 1
ORDER BY week
