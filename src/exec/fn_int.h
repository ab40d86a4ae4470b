/* Inside the scalar-function registry: helpers shared by the kernel files
 * (fn_string.c, fn_time.c, fn_math.c) and the tables func.c searches.
 * Nothing outside src/exec/func*.c and fn_*.c includes this. */
#ifndef SL_EXEC_FN_INT_H
#define SL_EXEC_FN_INT_H

#include "exec/func.h"

#include "core/mem.h"
#include "core/status.h"

#include <stdbool.h>
#include <stdio.h>

/* True when any argument is NULL at row i. */
static inline bool sl_fn_any_null(sl_col *const *args, int n_args, int64_t i)
{
    for (int a = 0; a < n_args; a++)
        if (sl_col_is_null(args[a], i)) return true;
    return false;
}

/* A sized result column of n rows that is NULL wherever any argument is
 * (the usual Spark rule); NULL on OOM. */
sl_col *sl_fn_new_result(sl_type t, int64_t n, sl_col *const *args, int n_args);

/* The common type of a list (INT < BIGINT < DOUBLE, DATE < TIMESTAMP, NULL
 * fits anything); 0, or -1 with a reason naming fname. */
int sl_fn_common_type(const sl_type *args, int n_args, sl_type *out, const char *fname,
                      char *why, size_t why_len);

/* Resolvers shared by many functions. */
int sl_fn_resolve_str_str(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                          char *why, size_t why_len);

/* The function tables of each kernel file. */
extern const sl_func_def sl_fn_string_defs[];
extern const int sl_fn_string_count;
extern const sl_func_def sl_fn_time_defs[];
extern const int sl_fn_time_count;
extern const sl_func_def sl_fn_math_defs[];
extern const int sl_fn_math_count;
extern const sl_func_def sl_fn_json_defs[];
extern const int sl_fn_json_count;

#endif
