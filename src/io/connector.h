/* Connectors: the interface every source and sink implements.
 *
 * The driver runs a query in micro-batches, as Spark does (DESIGN.md §2):
 *   1. plan:   each source says where the next batch ends (its latest offset,
 *              capped by e.g. maxOffsetsPerTrigger), as a JSON text;
 *   2. log:    the driver writes start/end offsets to the offset log;
 *   3. read:   each source delivers exactly the range (start, end], in
 *              batches of at most SL_BATCH_ROWS rows, through `emit`;
 *   4. sinks:  begin(batch id) … write(rows) … commit(batch id);
 *   5. commit: the driver writes the commit log and calls source commit.
 * Offsets are opaque JSON to the driver; a replayed batch gets the same
 * (start, end] and must yield the same rows (socket and other
 * non-replayable sources say so in their docs).
 *
 * A source fills the declared columns of its schema; a format (format.h)
 * usually does the parsing.  A sink receives rows of its query's output
 * schema and must make commit(batch id) idempotent: a batch replayed after a
 * crash may be committed twice. */
#ifndef SL_IO_CONNECTOR_H
#define SL_IO_CONNECTOR_H

#include "core/column.h"
#include "core/options.h"

#include <stdbool.h>

typedef struct sl_source sl_source;
typedef struct sl_sink sl_sink;

/* Receives one batch read by a source (borrowed for the call). */
typedef sl_status (*sl_emit_fn)(void *ctx, sl_batch *b, sl_error *err);

typedef struct sl_source_stats {
    int64_t rows;        /* rows delivered */
    int64_t bytes;       /* input bytes consumed */
    int64_t malformed;   /* malformed records (see format.h) */
    int64_t dropped;     /* malformed records that produced no row */
} sl_source_stats;

typedef struct sl_source_ops {
    const char *connector;   /* the WITH (connector = '…') name */
    /* Validates options and connects. schema/opts are set on src. */
    sl_status (*open)(sl_source *src, sl_error *err);
    /* Sets *out_end (heap JSON, caller frees) to the end of the next batch
     * given the previous end `start` (NULL before the first batch); sets it
     * to NULL when nothing new is available now. */
    sl_status (*plan)(sl_source *src, const char *start, char **out_end, sl_error *err);
    /* Reads (start, end] and emits its rows. */
    sl_status (*read)(sl_source *src, const char *start, const char *end,
                      sl_emit_fn emit, void *ctx, sl_error *err);
    /* Everything up to `end` is committed; the source may forget it. */
    void (*commit)(sl_source *src, const char *end);
    /* True when no more data will ever come (bounded input read to the end,
     * socket closed); the query then finishes. NULL: never. */
    bool (*exhausted)(sl_source *src);
    void (*close)(sl_source *src);
} sl_source_ops;

struct sl_source {
    const sl_source_ops *ops;
    char *name;           /* the CREATE SOURCE name */
    sl_schema *schema;    /* declared columns (owned) */
    sl_options opts;      /* WITH options (owned) */
    bool bounded;         /* CREATE TABLE, or trigger availableNow/once */
    /* Per declared column: some query reads it (owned; NULL: every one).
     * Set by the driver after open (plan/colprune.c); a source may leave
     * the other columns NULL instead of making them (the Nexmark one does). */
    bool *used;
    sl_source_stats stats;
    void *impl;
};

typedef struct sl_sink_ops {
    const char *connector;
    /* Validates options, opens files/connections. schema/opts are set. */
    sl_status (*open)(sl_sink *snk, sl_error *err);
    sl_status (*begin)(sl_sink *snk, int64_t batch_id, sl_error *err);
    /* Rows of the current batch; may be called several times per batch. */
    sl_status (*write)(sl_sink *snk, sl_batch *b, sl_error *err);
    /* Makes the batch durable and visible; idempotent per batch id. */
    sl_status (*commit)(sl_sink *snk, int64_t batch_id, sl_error *err);
    void (*close)(sl_sink *snk);
    /* Optional. What a batch re-run after a crash does downstream: NULL, or
     * NULL returned, when the sink keeps exactly one copy (manifests,
     * transactions); else a sentence saying how it is at-least-once, which
     * a restart that re-runs a batch prints. */
    const char *(*at_least_once)(const sl_sink *snk);
} sl_sink_ops;

struct sl_sink {
    const sl_sink_ops *ops;
    char *name;
    sl_schema *schema;    /* the query's output columns (owned) */
    sl_options opts;
    const char *output_mode;  /* "append" | "update" | "complete" */
    void *impl;
};

/* Finds a connector by its name; NULL when unknown. */
const sl_source_ops *sl_source_ops_find(const char *connector);
const sl_sink_ops *sl_sink_ops_find(const char *connector);

/* Creates and opens a source/sink (copies schema and options). */
sl_status sl_source_new(const char *name, const sl_schema *schema,
                        const sl_options *opts, bool bounded,
                        sl_source **out, sl_error *err);
void sl_source_free(sl_source *src);
sl_status sl_sink_new(const char *name, const sl_schema *schema,
                      const sl_options *opts, const char *output_mode,
                      sl_sink **out, sl_error *err);
void sl_sink_free(sl_sink *snk);

#endif
