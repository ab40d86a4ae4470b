/* Window functions over a stream: f(…) OVER (PARTITION BY … ORDER BY ts, …
 * ROWS BETWEEN n PRECEDING AND CURRENT ROW) (plan.h, SL_PLAN_OVER). */
#ifndef SL_EXEC_OP_OVER_H
#define SL_EXEC_OP_OVER_H

#include "exec/op.h"

sl_status sl_op_over_new(const sl_plan *p, sl_op **out, sl_error *err);

#endif
