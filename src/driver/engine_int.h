/* The engine's insides, shared by the files of src/driver/: the statement
 * executor (engine.c), the micro-batch loop (driver.c) and progress
 * reporting (progress.c). */
#ifndef SL_DRIVER_ENGINE_INT_H
#define SL_DRIVER_ENGINE_INT_H

#include "core/buf.h"
#include "exec/op.h"
#include "io/connector.h"
#include "plan/catalog.h"

#include <signal.h>

struct sl_config {
    sl_options opts;
};

typedef enum sl_trigger_kind {
    SL_TRIGGER_ASAP,        /* unset: as fast as data comes */
    SL_TRIGGER_INTERVAL,    /* processing time */
    SL_TRIGGER_ONCE,
    SL_TRIGGER_AVAILABLE_NOW
} sl_trigger_kind;

#define SL_PROGRESS_KEEP 300

typedef struct sl_query {
    char *name;
    char id[40], run_id[40];
    sl_arena arena;               /* plan nodes */
    sl_plan *plan;
    sl_op_tree ops;
    sl_sink *sink;
    sl_out_mode mode;
    sl_exec_ctx x;                /* the running batch's context */
    sl_options opts;              /* the sink's WITH options */
    int64_t batch_id;             /* next batch to run */
    int64_t watermark_us;         /* used by the next batch */
    int64_t *wm_seen;             /* per watermark operator: max event time */
    int64_t *wm_active_us;        /* per watermark operator: wall time it last saw rows */
    int64_t idle_timeout_us;      /* 'watermark.idleTimeout', 0: never idle */
    bool needs_nodata;            /* the watermark moved past stateful state */
    bool ran;                     /* took part in the current trigger */
    int64_t rows_out;             /* rows delivered this batch */
    int64_t rows_in;              /* rows read for this batch */
    int64_t *src_seen;            /* per source: rows, malformed, dropped at the last report */
    int n_src_seen;
    int64_t wm_used;              /* watermark the last batch ran with */
    const char *status;           /* running | stopped | failed */
    char *error;
    /* progress history and the latest rows, as JSON texts */
    char *progress[SL_PROGRESS_KEEP];
    int n_progress, progress_head;
    char *latest;
    sl_buf latest_buf;            /* rows of the batch being delivered */
    int64_t latest_rows;
    /* callback sink */
    sl_batch_cb cb;
    void *cb_opaque;
    struct sl_query_ckpt *ckpt;   /* checkpoint (ckpt.c), NULL without a location */
    int64_t ckpt_us;              /* time the last batch's checkpoint took */
} sl_query;

typedef struct sl_registered_sink {
    char *name;
    sl_batch_cb cb;
    void *opaque;
} sl_registered_sink;

struct sl_engine {
    sl_options session;           /* config + SET */
    sl_catalog cat;
    sl_ast_script **scripts;      /* kept: views refer to their syntax */
    char **texts;
    size_t n_scripts, scripts_cap, texts_cap;
    sl_query **queries;
    size_t n_queries, queries_cap;
    sl_source **rt;               /* runtime source per catalog source, NULL if unused */
    char **committed;             /* per catalog source: end offset of the last batch */
    char **pending;               /* per catalog source: end offset of this batch */
    sl_progress_cb progress_cb;
    void *progress_opaque;
    sl_registered_sink *reg;
    size_t n_reg, reg_cap;
    volatile sig_atomic_t stop;
    sl_trigger_kind trigger;
    int64_t trigger_us;
    bool quiet;
    int64_t last_start;           /* monotonic µs when the last batch began */
    struct sl_http_server *http;  /* dashboard server, when --ui */
    void *lock;                   /* pthread mutex guarding progress/latest */
};

/* driver.c */
sl_status sl_driver_run(sl_engine *eng, sl_error *err);
/* ckpt.c: checkpoints and recovery of queries with a checkpoint location.
 * open: at setup, after the query's operators, sink and sources exist;
 * plan: after the sources planned a trigger (forces a re-run's offsets);
 * begin: before the batch runs (writes offsets/<n>; a re-run gets its
 * logged timestamp in *io_ts_us); commit: after the sink committed and the
 * watermark advanced (state, commits/<n>, retention). */
typedef struct sl_query_ckpt sl_query_ckpt;
sl_status sl_ckpt_query_open(sl_engine *eng, sl_query *q, sl_error *err);
sl_status sl_ckpt_query_plan(sl_engine *eng, sl_query *q, sl_error *err);
bool sl_ckpt_query_rerun(const sl_query *q);
/* True while another query re-runs a trigger this one already committed. */
bool sl_ckpt_query_sits_out(const sl_engine *eng, const sl_query *q);
sl_status sl_ckpt_query_begin(sl_engine *eng, sl_query *q, int64_t *io_ts_us, sl_error *err);
sl_status sl_ckpt_query_commit(sl_engine *eng, sl_query *q, int64_t *out_us, sl_error *err);
/* True when a checkpoint set the source's start offset (a restart). */
bool sl_ckpt_source_restored(const sl_engine *eng, int src_id);
/* Releases the checkpoint (and its lock); idempotent. */
void sl_ckpt_query_close(sl_query *q);
/* progress.c: reports a batch that ran (starts/ends: per catalog source,
 * the offsets it read, NULL when none). */
void sl_progress_emit(sl_engine *eng, sl_query *q, int64_t started_wall, int64_t dur_us,
                      int64_t since_last_us, const char *const *starts, const char *const *ends);
char *sl_progress_snapshot(void *eng);   /* heap JSON for the dashboard */

#endif
