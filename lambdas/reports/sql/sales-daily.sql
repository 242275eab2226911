-- sales-daily: order events per day, machine and commodity, with the commodity's name from the
-- commodity dimension (null when unknown), orders, quantity and amount.
-- params: from, to
WITH orders AS (
  SELECT
    event_day AS day,
    json_extract_scalar(props, '$.machineId') AS machine_id,
    json_extract_scalar(props, '$.commodityId') AS commodity_id,
    TRY_CAST(json_extract_scalar(props, '$.quantity') AS DECIMAL(38, 6)) AS quantity,
    TRY_CAST(json_extract_scalar(props, '$.amount') AS DECIMAL(38, 6)) AS amount
  FROM events
  WHERE action = 'order' AND event_day BETWEEN ? AND ?
)
SELECT
  o.day, o.machine_id, o.commodity_id, c.commodityname AS commodity_name, count(*) AS orders,
  coalesce(sum(o.quantity), 0) AS quantity, coalesce(sum(o.amount), 0) AS amount
FROM orders o
LEFT JOIN commodity c ON c.commodityid = o.commodity_id
GROUP BY o.day, o.machine_id, o.commodity_id, c.commodityname
ORDER BY o.day, o.machine_id, o.commodity_id
