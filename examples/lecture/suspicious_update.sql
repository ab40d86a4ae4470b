-- The lecture's running fraud report, update mode: users (name + surname)
-- with more than one flagged transaction, re-printed whenever their count
-- changes. Spark: where(flag == 1).withColumn('id', concat(name, surname))
-- .groupBy('id').count().where(count > 1).withColumn('fraud', lit(1))
-- .select(id, fraud, count AS nTransactions), outputMode("update"), 5 s.
CREATE SOURCE transactions (
  name STRING, surname STRING, amount DOUBLE, delta_t DOUBLE, flag INT
) WITH (connector = 'socket', host = '${HOST}', port = '${PORT}', format = 'json');

CREATE VIEW num_transactions AS
SELECT concat(name, surname) AS id, count(*) AS "count"
FROM transactions
WHERE flag = 1
GROUP BY concat(name, surname);

CREATE SINK suspicious
WITH (connector = 'console', 'output.mode' = 'update', trigger = '5 seconds', truncate = 'false') AS
SELECT id, 1 AS fraud, "count" AS nTransactions
FROM num_transactions
WHERE "count" > 1;
