-- recharge-daily: recharge notifications per day and province: successes (bussinessRst "0000"),
-- amount (chargefee of successes), success rate, and the duration of successes: receiveNotifyTime
-- minus the 17-digit yyyyMMddHHmmssSSS prefix of requestId, both read in the stage time zone.
-- params: from, to
WITH r AS (
  SELECT
    event_day AS day,
    json_extract_scalar(props, '$.provinceCode') AS province_code,
    coalesce(json_extract_scalar(props, '$.bussinessRst') = '0000', false) AS success,
    TRY_CAST(json_extract_scalar(props, '$.chargefee') AS DECIMAL(38, 6)) AS fee,
    json_extract_scalar(props, '$.requestId') AS request_id,
    json_extract_scalar(props, '$.receiveNotifyTime') AS notify_time
  FROM events
  WHERE action = 'reChargeNotifyReq' AND event_day BETWEEN ? AND ?
),
d AS (
  SELECT
    day, province_code, success, fee,
    CASE WHEN success AND regexp_like(request_id, '^[0-9]{17}') AND regexp_like(notify_time, '^[0-9]{17}$') THEN
      date_diff(
        'millisecond',
        TRY_CAST(
          substr(request_id, 1, 4) || '-' || substr(request_id, 5, 2) || '-' || substr(request_id, 7, 2) || ' ' ||
          substr(request_id, 9, 2) || ':' || substr(request_id, 11, 2) || ':' || substr(request_id, 13, 2) || '.' ||
          substr(request_id, 15, 3) || ' {{time_zone}}' AS timestamp with time zone),
        TRY_CAST(
          substr(notify_time, 1, 4) || '-' || substr(notify_time, 5, 2) || '-' || substr(notify_time, 7, 2) || ' ' ||
          substr(notify_time, 9, 2) || ':' || substr(notify_time, 11, 2) || ':' || substr(notify_time, 13, 2) || '.' ||
          substr(notify_time, 15, 3) || ' {{time_zone}}' AS timestamp with time zone))
    END AS duration_ms
  FROM r
)
SELECT
  day, province_code,
  count(*) AS notifications,
  count_if(success) AS successes,
  coalesce(sum(CASE WHEN success THEN fee END), 0) AS amount,
  round(CAST(count_if(success) AS double) / count(*), 4) AS success_rate,
  CAST(round(avg(duration_ms)) AS bigint) AS avg_duration_ms,
  min(duration_ms) AS min_duration_ms,
  max(duration_ms) AS max_duration_ms
FROM d
GROUP BY day, province_code
ORDER BY day, province_code
