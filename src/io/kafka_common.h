/* Kafka plumbing shared by the Kafka source, the Kafka sink and the Kafka
 * tools (embedded broker, producer, consumer).  This is the only header that
 * includes librdkafka; nothing outside src/io/kafka*.c includes it.
 *
 * It holds three things: building an rd_kafka_conf_t from a WITH (…) list
 * (bootstrap servers plus every 'kafka.'-prefixed option passed as-is, as
 * Spark does), the per-partition offset map that the source hands to the
 * driver as Spark's offset JSON ({"topic":{"0":23,"1":42}}), and bounded
 * waits for a broker (startup and outages). */
#ifndef SL_IO_KAFKA_COMMON_H
#define SL_IO_KAFKA_COMMON_H

#include "core/options.h"
#include "core/status.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

/* Spark's special offsets in startingOffsets JSON. */
#define SL_KAFKA_OFFSET_EARLIEST (-2)
#define SL_KAFKA_OFFSET_LATEST (-1)
/* Records a Kafka source reads per micro-batch unless maxOffsetsPerTrigger
 * says otherwise (docs/RELIABILITY.md, Limits). */
#define SL_KAFKA_DEFAULT_MAX_OFFSETS 100000

/* The bootstrap servers of an option list: 'bootstrap.servers', else
 * 'kafka.bootstrap.servers' (Spark's spelling), else NULL.  Borrowed. */
const char *sl_kafka_bootstrap_get(const sl_options *opts);

/* A new librdkafka configuration with bootstrap.servers set and every
 * option named 'kafka.<x>' set as <x> (except the ones sluice itself reads:
 * kafka.bootstrap.servers, kafka.transactional).  `extra` is a NULL-ended
 * list of name, value pairs applied first (defaults the caller wants; user
 * options override them).  The caller owns *out (rd_kafka_conf_destroy, or
 * hand it to rd_kafka_new). */
sl_status sl_kafka_conf_new(const sl_options *opts, const char *bootstrap,
                            const char *const *extra, rd_kafka_conf_t **out,
                            sl_error *err);
/* Sets one librdkafka property, turning a refusal into SL_ERR_CONFIG. */
sl_status sl_kafka_conf_set(rd_kafka_conf_t *conf, const char *name,
                            const char *value, sl_error *err);

/* ---- offsets ------------------------------------------------------------- */

typedef struct sl_kafka_tp {
    char *topic;
    int32_t partition;
    int64_t offset;
} sl_kafka_tp;

/* A set of (topic, partition) → offset, kept sorted by topic then partition
 * so its JSON text is canonical (the same offsets always print the same). */
typedef struct sl_kafka_offsets {
    int n, cap;
    sl_kafka_tp *items;
} sl_kafka_offsets;

void sl_kafka_offsets_init(sl_kafka_offsets *o);
void sl_kafka_offsets_fini(sl_kafka_offsets *o);
/* Adds or replaces. 0, or -1 on OOM. */
int sl_kafka_offsets_set(sl_kafka_offsets *o, const char *topic, int32_t partition,
                         int64_t offset);
/* The entry or NULL (borrowed). */
sl_kafka_tp *sl_kafka_offsets_find(const sl_kafka_offsets *o, const char *topic,
                                   int32_t partition);
/* Parses {"topic":{"0":23,"1":-2},…}; whitespace allowed. */
sl_status sl_kafka_offsets_parse(sl_kafka_offsets *o, const char *json, sl_error *err);
/* The canonical JSON text, heap (sl_free), or NULL on OOM. */
char *sl_kafka_offsets_json(const sl_kafka_offsets *o);

/* ---- brokers ------------------------------------------------------------- */

/* Monotonic clock in milliseconds. */
int64_t sl_kafka_now_ms(void);

/* Waits until the cluster answers a metadata request, for at most
 * timeout_ms; a clear SL_ERR_KAFKA (retriable) naming the bootstrap servers
 * otherwise. */
sl_status sl_kafka_wait_broker(rd_kafka_t *rk, const char *bootstrap,
                               int64_t timeout_ms, sl_error *err);

/* Partitions of a topic per the cluster's metadata: *out_n = 0 when the
 * topic does not exist (yet). */
sl_status sl_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms,
                                   int *out_n, sl_error *err);

/* The error text of a librdkafka error code, as an SL_ERR_KAFKA. */
sl_status sl_kafka_err(sl_error *err, rd_kafka_resp_err_t kerr, const char *what);

#endif
