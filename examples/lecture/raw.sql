-- The lecture's first query: the raw socket stream, shown as it arrives.
-- Spark: spark.readStream.format("socket").option("host", …).option("port", 5555).load()
--        .writeStream.outputMode("update").format("console")
--        .trigger(processingTime='2 seconds').option("truncate", False).start()
CREATE SOURCE raw_messages (value STRING)
WITH (connector = 'socket', host = '${HOST}', port = '${PORT}');

CREATE SINK raw_console
WITH (connector = 'console', 'output.mode' = 'update', trigger = '2 seconds', truncate = 'false') AS
SELECT value FROM raw_messages;
