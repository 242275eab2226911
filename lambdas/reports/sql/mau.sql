-- mau: distinct users per month (YYYY-MM). from/to are a month's first and last days.
-- params: from, to
SELECT substr(event_day, 1, 7) AS month, count(DISTINCT user_id) AS users
FROM events
WHERE event_day BETWEEN ? AND ?
GROUP BY 1
ORDER BY month
