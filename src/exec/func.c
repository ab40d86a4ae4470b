/* The scalar-function registry: sl_func_find looks a SQL function name up
 * in the tables of the kernel files (strings, date/time, math and
 * conditionals), and the helpers here hold what those files share — the
 * NULL-propagating result column and the common-type rule that coalesce,
 * greatest, least and nullif resolve with.  The binder calls sl_func_find
 * and a definition's resolve; the evaluator calls eval per batch. */
#include "exec/fn_int.h"

#include <string.h>
#include <strings.h>

const sl_func_def *sl_func_find(const char *name)
{
    static const struct { const sl_func_def *defs; const int *n; } tables[] = {
        {sl_fn_string_defs, &sl_fn_string_count},
        {sl_fn_time_defs, &sl_fn_time_count},
        {sl_fn_math_defs, &sl_fn_math_count},
        {sl_fn_json_defs, &sl_fn_json_count},
    };
    if (!name) return NULL;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (int i = 0; i < *tables[t].n; i++)
            if (!strcasecmp(tables[t].defs[i].name, name)) return &tables[t].defs[i];
    return NULL;
}

sl_col *sl_fn_new_result(sl_type t, int64_t n, sl_col *const *args, int n_args)
{
    sl_col *out = sl_col_new_sized(t, n, 0);
    if (!out) return NULL;
    for (int a = 0; a < n_args; a++) {
        const sl_col *c = args[a];
        if (!c->validity || !c->null_count) continue;
        if (!out->validity) {
            size_t nb = (out->cap + 7) / 8;
            out->validity = sl_malloc(nb);
            if (!out->validity) { sl_col_unref(out); return NULL; }
            memset(out->validity, 0xff, nb);
        }
        size_t nb = ((size_t)n + 7) / 8;
        for (size_t k = 0; k < nb; k++) out->validity[k] &= c->validity[k];
    }
    sl_col_finish_nulls(out);
    return out;
}

static int rank(sl_type t)
{
    switch (t) {
    case SL_TYPE_INT: return 1;
    case SL_TYPE_BIGINT: return 2;
    case SL_TYPE_DOUBLE: return 3;
    default: return 0;
    }
}

int sl_fn_common_type(const sl_type *args, int n_args, sl_type *out, const char *fname,
                      char *why, size_t why_len)
{
    sl_type t = SL_TYPE_NULL;
    for (int i = 0; i < n_args; i++) {
        sl_type a = args[i];
        if (a == SL_TYPE_NULL || a == t) continue;
        if (t == SL_TYPE_NULL) { t = a; continue; }
        if (rank(a) && rank(t)) { t = rank(a) > rank(t) ? a : t; continue; }
        if ((a == SL_TYPE_DATE && t == SL_TYPE_TIMESTAMP) ||
            (a == SL_TYPE_TIMESTAMP && t == SL_TYPE_DATE)) {
            t = SL_TYPE_TIMESTAMP;
            continue;
        }
        snprintf(why, why_len, "%s() needs arguments of one type: argument %d is %s, not %s",
                 fname, i + 1, sl_type_name(a), sl_type_name(t));
        return -1;
    }
    *out = t;
    return 0;
}

int sl_fn_resolve_str_str(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                          char *why, size_t why_len)
{
    /* Spark casts any argument of a string function to STRING implicitly. */
    for (int i = 0; i < n_args; i++) want[i] = SL_TYPE_STRING;
    *out_ret = SL_TYPE_STRING;
    return 0;
}
