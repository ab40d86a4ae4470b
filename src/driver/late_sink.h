/* 'late.sink' (beyond Spark): where a query's stateful operators send the
 * input rows they drop as late, instead of only counting them.  See
 * docs/SEMANTICS.md ("Late rows") for the options. */
#ifndef SL_DRIVER_LATE_SINK_H
#define SL_DRIVER_LATE_SINK_H

#include "exec/op.h"

typedef struct sl_late_sink sl_late_sink;

/* Reads the sink query's options; when they ask for a late sink, opens one
 * output per input of every stateful operator of t and points x->late /
 * x->late_ctx at it (the sl_late_sink, owned by the caller through
 * x->late_ctx: free it with sl_late_sink_free).  Without 'late.sink' x is
 * left alone. */
sl_status sl_late_sink_new(const char *query, const sl_options *opts, const sl_op_tree *t,
                           sl_exec_ctx *x, sl_error *err);
/* Writes the late rows of the batch that just ran (begin, write, commit
 * with its batch id, so a replayed batch is not written twice by sinks
 * that skip committed batch ids).  Call after the operators finished and
 * before the query's own sink commits. */
sl_status sl_late_sink_flush(sl_late_sink *ls, int64_t batch_id, sl_error *err);
/* Accepts NULL. */
void sl_late_sink_free(sl_late_sink *ls);

#endif
