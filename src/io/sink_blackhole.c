/* connector = 'blackhole': a sink that counts the rows it is given and
 * discards them, like Flink's blackhole connector, so that a benchmark
 * (bench/nexmark/) measures the engine — sources, operators, state — and
 * not the cost of formatting or writing output.  The rows still arrive as
 * fully built batches, so every operator upstream does its whole work.
 *
 * The counts are kept per batch and in total; the driver's progress report
 * already carries the output row count (numOutputRows), so this sink
 * prints nothing unless asked: with `print.total` = true it writes
 * "blackhole <sink>: N rows in M batches" to stderr when it is closed,
 * which lets a script check the row count of a whole run.
 * Commit is trivially idempotent: nothing is kept. */
#include "io/connector.h"
#include "core/mem.h"
#include "core/status.h"

#include <inttypes.h>
#include <stdio.h>

typedef struct blackhole {
    bool print_total;
    int64_t batch_rows;     /* rows of the current batch */
    int64_t total_rows;     /* rows of committed batches */
    int64_t n_batches;      /* committed batches */
} blackhole;

static sl_status bh_open(sl_sink *snk, sl_error *err)
{
    blackhole *bh = sl_calloc(1, sizeof *bh);
    if (!bh) return sl_err_oom(err);
    snk->impl = bh;
    return sl_options_get_bool(&snk->opts, "print.total", false, &bh->print_total, err);
}

static sl_status bh_begin(sl_sink *snk, int64_t batch_id, sl_error *err)
{
    blackhole *bh = snk->impl;
    bh->batch_rows = 0;
    return SL_OK;
}

static sl_status bh_write(sl_sink *snk, sl_batch *b, sl_error *err)
{
    blackhole *bh = snk->impl;
    bh->batch_rows += b->n_rows;
    return SL_OK;
}

static sl_status bh_commit(sl_sink *snk, int64_t batch_id, sl_error *err)
{
    blackhole *bh = snk->impl;
    /* Counted once per commit; a replayed batch (after a crash) would be
     * counted again, which only matters to the printed total. */
    bh->total_rows += bh->batch_rows;
    bh->batch_rows = 0;
    bh->n_batches++;
    return SL_OK;
}

static void bh_close(sl_sink *snk)
{
    blackhole *bh = snk->impl;
    if (!bh) return;
    if (bh->print_total)
        fprintf(stderr, "blackhole %s: %" PRId64 " rows in %" PRId64 " batches\n",
                snk->name ? snk->name : "?", bh->total_rows, bh->n_batches);
    sl_free(bh);
    snk->impl = NULL;
}

const sl_sink_ops sl_blackhole_sink_ops = {
    .connector = "blackhole",
    .open = bh_open,
    .begin = bh_begin,
    .write = bh_write,
    .commit = bh_commit,
    .close = bh_close,
};
