-- Actual cost and usage of CodePipeline, CodeBuild, Lambda and S3 per account, region, resource and usage type,
-- from a CUR 2.0 (AWS Data Exports) table. Runs unchanged on Athena (Trino) and DuckDB: standard SQL only.
-- {cur}: the table (Athena: "database"."table"; DuckDB: read_parquet(...)); {start}, {end}: the window,
-- [start, end) in UTC, as TIMESTAMP literals costkit writes itself (never user text); {partitions}: empty, or
-- `AND "billing_period" IN ('2026-10', ...)` for a table partitioned by billing period (Athena then reads only
-- those months' files: it bills the bytes it scans).
-- A line item belongs to the window when its usage starts in it. Line item types stay apart (Usage, Credit,
-- Tax, Refund...), so a gap between estimate and bill can be explained. A line item without an invoice id is
-- not final yet (the bill may still change).
SELECT
    line_item_usage_account_id AS account,
    line_item_product_code AS product_code,
    COALESCE(product_region_code, '') AS region,
    COALESCE(line_item_resource_id, '') AS resource_id,
    line_item_usage_type AS usage_type,
    line_item_line_item_type AS line_item_type,
    COALESCE(pricing_unit, '') AS unit,
    COALESCE(line_item_currency_code, 'USD') AS currency,
    bill_billing_period_start_date AS period_start,
    bill_billing_period_end_date AS period_end,
    SUM(line_item_unblended_cost) AS cost_usd,
    SUM(line_item_usage_amount) AS usage_quantity,
    COUNT(*) AS line_items,
    SUM(CASE WHEN bill_invoice_id IS NULL OR bill_invoice_id = '' THEN 1 ELSE 0 END) AS unfinalised
FROM {cur}
WHERE line_item_product_code IN ('AWSCodePipeline', 'CodeBuild', 'AWSLambda', 'AmazonS3')
    AND line_item_usage_start_date >= {start}
    AND line_item_usage_start_date < {end}
    {partitions}
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9
