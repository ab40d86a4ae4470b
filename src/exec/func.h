/* Scalar functions: the registry the binder resolves SQL function names in,
 * and the vectorised kernels the evaluator calls.
 *
 * A kernel gets its arguments as evaluated columns (all of n_rows rows,
 * already cast to the types its resolve step asked for) and returns a new
 * column of the resolved type.  NULL handling is the kernel's: most
 * functions return NULL when any argument is NULL (Spark's default); a few,
 * such as concat_ws or coalesce, do not.  Arguments the definition marks
 * constant (a regex pattern, a format string) are the same in every row, so
 * a kernel may compile them once and keep the result in *state, which the
 * evaluator frees with the definition's free_state. */
#ifndef SL_EXEC_FUNC_H
#define SL_EXEC_FUNC_H

#include "core/column.h"

#include <stddef.h>

/* Per-batch context for functions that depend on when the batch ran. */
typedef struct sl_eval_ctx {
    int64_t batch_ts_us;  /* current_timestamp() for every row of the batch */
    int64_t batch_id;
} sl_eval_ctx;

typedef sl_status (*sl_scalar_fn)(sl_col *const *args, int n_args, int64_t n_rows,
                                  sl_type ret, const sl_eval_ctx *ctx,
                                  void **state, sl_col **out, sl_error *err);

/* Given the argument types, sets want[i] to the type argument i must be cast
 * to (defaults to its own type) and *out_ret to the result type; or returns
 * non-zero with a reason in why (e.g. "upper() takes a STRING"). */
typedef int (*sl_resolve_fn)(const sl_type *args, int n_args, sl_type *want,
                             sl_type *out_ret, char *why, size_t why_len);

enum {
    SL_FN_CONST_ARG1 = 1 << 0,    /* args 1.. must be literals (patterns, formats) */
    SL_FN_NONDETERMINISTIC = 1 << 1 /* e.g. current_timestamp: not folded */
};

typedef struct sl_func_def {
    const char *name;      /* lower case */
    int min_args, max_args;  /* max_args -1: variadic */
    int flags;
    sl_resolve_fn resolve;
    sl_scalar_fn eval;
    void (*free_state)(void *state);
} sl_func_def;

/* Looks a function up by name, case-insensitively; NULL when unknown. */
const sl_func_def *sl_func_find(const char *name);

/* Checks a LIKE pattern with Spark's rules: the escape character (el bytes
 * at esc) may precede only _, % or itself and may not end the pattern.
 * Returns 0, or -1 with the reason in why. */
int sl_like_check(const char *p, size_t m, const char *esc, size_t el, char *why, size_t why_len);

/* Casts a column to `to` with Spark's non-ANSI rules: what does not convert
 * becomes NULL (strings are trimmed first; '1.5' to INT truncates as Spark
 * does; out-of-range integers become NULL; BOOLEAN from 't','true','y','yes',
 * '1' / 'f','false','n','no','0'; TIMESTAMP from 'yyyy-MM-dd[ HH:mm:ss[.SSSSSS]]'
 * and ISO 'T'/'Z'/offset forms; DATE from 'yyyy-MM-dd'; numbers to STRING as
 * Spark prints them). Returns a new column (or a new reference when the type
 * already matches). */
sl_status sl_cast_col(sl_col *in, sl_type to, sl_col **out, sl_error *err);
/* May a value of type `from` be cast to `to` at all (Spark's Cast.canCast)? */
int sl_cast_allowed(sl_type from, sl_type to);

#endif
