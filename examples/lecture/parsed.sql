-- The lecture's parsed stream: each JSON line parsed against the schema
-- (from_json(value, schema) then data.* in Spark) — here the source parses
-- it, with format = 'json'. Malformed lines become NULL fields (PERMISSIVE).
CREATE SOURCE transactions (
  name STRING, surname STRING, amount DOUBLE, delta_t DOUBLE, flag INT
) WITH (connector = 'socket', host = '${HOST}', port = '${PORT}', format = 'json');

CREATE SINK parsed_console
WITH (connector = 'console', 'output.mode' = 'update', trigger = '2 seconds', truncate = 'false') AS
SELECT * FROM transactions;
