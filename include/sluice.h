/* sluice — a stream-processing engine with a streaming SQL front end.
 *
 * This is the library's only public header.  Every object is an opaque
 * handle; every fallible call returns sl_status (SL_OK == 0) and fills an
 * optional sl_error.  Ownership: a function named _new returns an object the
 * caller owns and frees with the matching _free; every _free accepts NULL.
 * Strings passed in are copied unless said otherwise; strings returned are
 * borrowed and live as long as the object they came from.
 *
 * A minimal program:
 *
 *     sl_error *err = sl_error_new();
 *     sl_engine *eng;
 *     if (sl_engine_new(NULL, &eng, err) != SL_OK ||
 *         sl_engine_exec(eng, sql_text, "job.sql", err) != SL_OK ||
 *         sl_engine_run(eng, err) != SL_OK)
 *         fprintf(stderr, "%s\n", sl_error_message(err));
 *     sl_engine_free(eng);
 *     sl_error_free(err);
 */
#ifndef SLUICE_H
#define SLUICE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SL_BUILDING_LIBRARY)
#define SL_EXPORT __attribute__((visibility("default")))
#else
#define SL_EXPORT
#endif

/* 0xMMmmpp: major, minor, patch. */
#define SLUICE_VERSION 0x000100
#define SLUICE_VERSION_STR "0.1.0"
SL_EXPORT int sl_version(void);
SL_EXPORT const char *sl_version_str(void);

/* ---- errors -------------------------------------------------------------- */

typedef enum sl_status {
    SL_OK = 0,
    SL_ERR_NOMEM,      /* an allocation failed */
    SL_ERR_PARSE,      /* SQL or option text is malformed (has line/column) */
    SL_ERR_BIND,       /* unknown table, column or function (has line/column) */
    SL_ERR_TYPE,       /* an expression's types do not fit (has line/column) */
    SL_ERR_PLAN,       /* the query cannot run as asked (e.g. output mode) */
    SL_ERR_CONFIG,     /* a bad option name or value */
    SL_ERR_IO,         /* a file, socket or directory failed (retriable) */
    SL_ERR_FORMAT,     /* malformed input data under FAILFAST, or a bad file */
    SL_ERR_KAFKA,      /* the Kafka client reported an error */
    SL_ERR_CHECKPOINT, /* a checkpoint is corrupt or does not fit the query */
    SL_ERR_MODEL,      /* a model file is missing, corrupt or unsupported */
    SL_ERR_STATE,      /* state store failure or limit */
    SL_ERR_INTERNAL,   /* a bug: please report it */
    SL_ERR_CANCELLED   /* stopped on request */
} sl_status;

typedef struct sl_error sl_error;

/* A reusable error object. */
SL_EXPORT sl_error *sl_error_new(void);
SL_EXPORT void sl_error_free(sl_error *err);
SL_EXPORT sl_status sl_error_code(const sl_error *err);
SL_EXPORT const char *sl_error_message(const sl_error *err);
/* 1-based position in the SQL text of a parse/bind/type error, else 0. */
SL_EXPORT int sl_error_line(const sl_error *err);
SL_EXPORT int sl_error_column(const sl_error *err);
/* Retriable: the same operation may succeed later (I/O, broker down).
 * Fatal: it will not, without a change to the query or the input. */
SL_EXPORT int sl_error_is_retriable(const sl_error *err);
SL_EXPORT int sl_error_is_fatal(const sl_error *err);
SL_EXPORT const char *sl_status_name(sl_status code);

/* ---- types ---------------------------------------------------------------- */

/* Column types. Values are laid out as in the Arrow C data interface:
 * BOOLEAN bit-packed, INT int32, BIGINT int64, DOUBLE float64, STRING utf8
 * (int32 offsets + bytes), TIMESTAMP int64 microseconds since the epoch (UTC),
 * DATE int32 days since the epoch; validity is a bitmap (bit set = not null). */
typedef enum sl_type {
    SL_TYPE_NULL = 0,
    SL_TYPE_BOOLEAN,
    SL_TYPE_INT,
    SL_TYPE_BIGINT,
    SL_TYPE_DOUBLE,
    SL_TYPE_STRING,
    SL_TYPE_TIMESTAMP,
    SL_TYPE_DATE
} sl_type;

SL_EXPORT const char *sl_type_name(sl_type t);

/* ---- configuration ------------------------------------------------------ */

typedef struct sl_config sl_config;

SL_EXPORT sl_config *sl_config_new(void);
SL_EXPORT void sl_config_free(sl_config *conf);
/* Sets a session option by name ('trigger', 'watermark.policy', …) or a
 * `${NAME}` variable when name starts with "var.". Copies both strings. */
SL_EXPORT sl_status sl_config_set(sl_config *conf, const char *name,
                                  const char *value, sl_error *err);
/* Borrowed; NULL when unset. */
SL_EXPORT const char *sl_config_get(const sl_config *conf, const char *name);

/* ---- batches handed to callbacks ---------------------------------------- */

/* Arrow C data interface structures (https://arrow.apache.org/docs/format/CDataInterface.html). */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4
struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};
struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};
#endif

typedef struct sl_batch sl_batch;

SL_EXPORT int64_t sl_batch_num_rows(const sl_batch *b);
SL_EXPORT int sl_batch_num_columns(const sl_batch *b);
/* Exports the batch as an Arrow struct array and schema without copying
 * values; the caller releases both with their release callbacks, which keep
 * the batch alive until then. */
SL_EXPORT sl_status sl_batch_export_arrow(sl_batch *b, struct ArrowArray *out_array,
                                          struct ArrowSchema *out_schema, sl_error *err);

/* ---- engine ------------------------------------------------------------- */

typedef struct sl_engine sl_engine;

/* Creates an engine. conf may be NULL; it is copied. */
SL_EXPORT sl_status sl_engine_new(const sl_config *conf, sl_engine **out_eng,
                                  sl_error *err);
SL_EXPORT void sl_engine_free(sl_engine *eng);

/* Parses, binds and plans every statement of a SQL script (CREATE SOURCE,
 * TABLE, VIEW, SINK, MODEL, SET). Nothing runs yet. `origin` names the text
 * in messages (a file name) and may be NULL. */
SL_EXPORT sl_status sl_engine_exec(sl_engine *eng, const char *sql,
                                   const char *origin, sl_error *err);

/* Writes the plan of every sink, with its streaming properties, to a
 * NUL-terminated string the caller frees with sl_free_string. */
SL_EXPORT sl_status sl_engine_explain(sl_engine *eng, char **out_text, sl_error *err);
SL_EXPORT void sl_free_string(char *s);

/* Called once per micro-batch with Spark's StreamingQueryProgress as JSON. */
typedef void (*sl_progress_cb)(const char *progress_json, void *opaque);
SL_EXPORT void sl_engine_set_progress_cb(sl_engine *eng, sl_progress_cb cb, void *opaque);

/* A foreachBatch-style sink: `CREATE SINK s WITH (connector = 'callback',
 * name = 'x')` calls the function registered here under 'x' once per batch
 * with the batch's rows (borrowed for the call) and the batch id. Returning
 * non-zero stops the query with an error. */
typedef int (*sl_batch_cb)(const sl_batch *b, const char *const *column_names,
                           int64_t batch_id, void *opaque);
SL_EXPORT sl_status sl_engine_register_sink(sl_engine *eng, const char *name,
                                            sl_batch_cb cb, void *opaque,
                                            sl_error *err);

/* Runs every sink's query until all sources are exhausted (trigger once or
 * availableNow, bounded sources), a socket closes, or sl_engine_stop. */
SL_EXPORT sl_status sl_engine_run(sl_engine *eng, sl_error *err);

/* Asks a running engine to finish its current batch and return. Safe to call
 * from a signal handler or another thread. */
SL_EXPORT void sl_engine_stop(sl_engine *eng);

/* Stepping, for tests and embedders that drive time themselves: start opens
 * every source and sink; each step plans one trigger and runs at most one
 * micro-batch (without waiting for a trigger interval), setting *out_ran;
 * *out_done becomes non-zero once every source is exhausted and no
 * no-data batch is pending. sl_engine_run is start + steps + waiting. */
SL_EXPORT sl_status sl_engine_start(sl_engine *eng, sl_error *err);
SL_EXPORT sl_status sl_engine_step(sl_engine *eng, int *out_ran, int *out_done, sl_error *err);

/* Serves the live dashboard (progress, charts, latest rows, map) and
 * /metrics on addr ("127.0.0.1:8080"; port 0 picks one). Binding beyond
 * loopback requires a token. Stops with sl_engine_free. The bound port is
 * written to *out_port when not NULL. */
SL_EXPORT sl_status sl_engine_serve_ui(sl_engine *eng, const char *addr, const char *token,
                                       int *out_port, sl_error *err);

/* Spark's text for one cell ("null" for NULL, doubles as Java prints them,
 * timestamps as 'yyyy-MM-dd HH:mm:ss[.ffffff]'), NUL-terminated and cut to
 * buf_len - 1 bytes; returns the full length. */
SL_EXPORT size_t sl_batch_cell_text(const sl_batch *b, int col, int64_t row, char *buf,
                                    size_t buf_len);

/* ---- Nexmark ------------------------------------------------------------ */

/* Writes events [0, n_events) of the Nexmark generator (the one behind
 * connector = 'nexmark', reference configuration) as JSON lines, one object
 * per event with Flink nexmark's column names, to out_dir/person.json,
 * out_dir/auction.json and out_dir/bid.json (created or truncated; out_dir is
 * created if missing).  dateTime and expires are written as
 * "yyyy-MM-dd HH:mm:ss.SSS" in UTC.  events_per_second <= 0 means the
 * reference rate, 10000.  On success *out_counts (may be NULL) receives the
 * person, auction and bid counts. */
SL_EXPORT sl_status sl_nexmark_write_json(const char *out_dir, int64_t n_events,
                                          double events_per_second,
                                          int64_t out_counts[3], sl_error *err);

/* ---- Kafka tools -------------------------------------------------------- */
/* The embedded broker, producer and consumer behind `sluice broker`,
 * `sluice produce` and `sluice consume` (and usable by tests). */

/* An embedded Kafka cluster: librdkafka's mock cluster, speaking the Kafka
 * protocol on loopback ports it picks itself (librdkafka 2.0.2 has no way to
 * choose them; see sl_kafka_broker_listen for a fixed bootstrap port).
 * Topics a client produces to are created on first use with 4 partitions
 * (the mock cluster's default). Each partition keeps about its last 5 MB or
 * 100000 messages, as retention would. */
typedef struct sl_kafka_broker sl_kafka_broker;

/* Starts a cluster of n_brokers (>= 1) brokers; the caller frees it. */
SL_EXPORT sl_status sl_kafka_broker_new(int n_brokers, sl_kafka_broker **out_kb,
                                        sl_error *err);
SL_EXPORT void sl_kafka_broker_free(sl_kafka_broker *kb);
/* Also accepts bootstrap connections on 127.0.0.1:port, relaying them to
 * broker 1 (clients then reach the brokers at the addresses the metadata
 * gives). Afterwards sl_kafka_broker_bootstraps returns "127.0.0.1:port". */
SL_EXPORT sl_status sl_kafka_broker_listen(sl_kafka_broker *kb, int port, sl_error *err);
/* "127.0.0.1:port,…": borrowed, lives as long as kb. */
SL_EXPORT const char *sl_kafka_broker_bootstraps(const sl_kafka_broker *kb);
/* Creates topics from "name[:partitions],…" (partitions default 1). */
SL_EXPORT sl_status sl_kafka_broker_create_topics(sl_kafka_broker *kb, const char *spec,
                                                  sl_error *err);
/* Takes every broker down (connections dropped and refused) or up again. */
SL_EXPORT sl_status sl_kafka_broker_set_down(sl_kafka_broker *kb, int down, sl_error *err);

/* The producer tool (`sluice produce`): replays CSV (with a header; values
 * sent as JSON strings) or JSON-lines files into topics. */
typedef struct sl_kafka_produce_opts {
    const char *bootstrap;          /* host:port,… (required) */
    int n_inputs;
    const char *const *topics;      /* n_inputs topics … */
    const char *const *files;       /* … and their files ("-" = stdin) */
    const char *format;             /* "json" (a message per row, default) or
                                       "json-array" (a message per batch) */
    const char *group_by;           /* a column: batches take whole ID groups */
    int batch_min, batch_max;       /* rows (or ID groups) per batch; default 1 */
    int ts_now;                     /* add "ts": send time in epoch seconds */
    int64_t interval_ms;            /* pause between batches */
    double rate;                    /* messages per second, 0 = unlimited */
    int loop;                       /* start again at the end of the files */
    int64_t max_batches;            /* 0 = no limit */
    uint64_t seed;                  /* batch sizes are drawn from this */
    int64_t connect_timeout_ms;     /* wait for the broker at start */
    /* Called after each batch (may be NULL). */
    void (*progress)(int64_t batches, int64_t messages, int64_t rows, void *opaque);
    void *opaque;
} sl_kafka_produce_opts;

SL_EXPORT void sl_kafka_produce_opts_init(sl_kafka_produce_opts *po);
/* Runs until the inputs end (or forever with loop), max_batches, or *stop
 * becomes non-zero (stop may be NULL). Every message is delivered and
 * acknowledged before it returns SL_OK. */
SL_EXPORT sl_status sl_kafka_produce(const sl_kafka_produce_opts *po, const volatile int *stop,
                                     sl_error *err);

/* The consumer tool (`sluice consume`). The callback gets each message
 * (borrowed for the call; key/value NULL when absent); returning non-zero
 * stops. */
typedef int (*sl_kafka_msg_cb)(const char *topic, int32_t partition, int64_t offset,
                               int64_t timestamp_ms, const char *key, size_t key_len,
                               const char *value, size_t value_len, void *opaque);
typedef struct sl_kafka_consume_opts {
    const char *bootstrap;
    const char *topic;
    int from_end;                   /* 0: from the beginning (default) */
    int64_t max;                    /* stop after this many; 0 = no limit */
    int64_t timeout_ms;             /* stop after this long without a
                                       message; 0 = never */
    int64_t connect_timeout_ms;
} sl_kafka_consume_opts;

SL_EXPORT sl_status sl_kafka_consume(const sl_kafka_consume_opts *co, sl_kafka_msg_cb cb,
                                     void *opaque, const volatile int *stop, sl_error *err);
/* ---- end of Kafka tools ------------------------------------------------- */

#ifdef __cplusplus
}
#endif
#endif
