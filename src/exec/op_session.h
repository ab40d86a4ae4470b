/* The session-window aggregation operator (op_session.c): what
 * sl_op_agg_new builds for GROUP BY session_window(ts, gap). */
#ifndef SL_EXEC_OP_SESSION_H
#define SL_EXEC_OP_SESSION_H

#include "exec/op.h"

sl_status sl_op_session_new(const sl_plan *p, sl_op **out, sl_error *err);

#endif
