-- taobao-daily: events per day by action, age range, gender and province (events without the
-- field are not counted for that dimension).
-- params: from, to
WITH t AS (
  SELECT
    event_day AS day, action,
    json_extract_scalar(props, '$.ageRange') AS age_range,
    json_extract_scalar(props, '$.gender') AS gender,
    json_extract_scalar(props, '$.province') AS province
  FROM events
  WHERE event_day BETWEEN ? AND ?
),
counted AS (
  SELECT day, 'action' AS dimension, action AS value, count(*) AS events FROM t GROUP BY day, action
  UNION ALL
  SELECT day, 'age_range' AS dimension, age_range AS value, count(*) AS events FROM t WHERE age_range IS NOT NULL GROUP BY day, age_range
  UNION ALL
  SELECT day, 'gender' AS dimension, gender AS value, count(*) AS events FROM t WHERE gender IS NOT NULL GROUP BY day, gender
  UNION ALL
  SELECT day, 'province' AS dimension, province AS value, count(*) AS events FROM t WHERE province IS NOT NULL GROUP BY day, province
)
SELECT day, dimension, value, events
FROM counted
ORDER BY day, dimension, value
