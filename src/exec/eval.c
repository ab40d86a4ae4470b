/* The expression evaluator: runs a bound expression (plan/expr.h) over a
 * batch a column at a time.  Each node produces a whole column; arithmetic
 * and comparisons are tight loops over the value arrays with NULLs merged
 * from the validity bitmaps afterwards, so the hot loops have no branches
 * on NULL. */
#include "plan/expr.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"
#include "sql/ast.h"

#include <math.h>
#include <string.h>

/* A column of n copies of a literal. */
static sl_col *lit_col(const sl_expr *e, int64_t n)
{
    if (e->lit_null) return sl_col_new_nulls(e->type == SL_TYPE_NULL ? SL_TYPE_BOOLEAN : e->type, n);
    sl_col *c = sl_col_new_sized(e->type, n, e->type == SL_TYPE_STRING ? e->lit_len * (size_t)n + 1 : 0);
    if (!c) return NULL;
    switch (e->type) {
    case SL_TYPE_BOOLEAN:
        if (e->lit_bool) memset(c->data, 0xff, (size_t)(n + 7) / 8);
        break;
    case SL_TYPE_INT: case SL_TYPE_DATE:
        for (int64_t i = 0; i < n; i++) sl_col_i32(c)[i] = (int32_t)e->lit_i64;
        break;
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP:
        for (int64_t i = 0; i < n; i++) sl_col_i64(c)[i] = e->lit_i64;
        break;
    case SL_TYPE_DOUBLE:
        for (int64_t i = 0; i < n; i++) sl_col_f64(c)[i] = e->lit_f64;
        break;
    case SL_TYPE_STRING: {
        int32_t *o = sl_col_offsets(c);
        for (int64_t i = 0; i < n; i++) {
            memcpy(c->chars + (size_t)i * e->lit_len, e->lit_str, e->lit_len);
            o[i + 1] = (int32_t)((size_t)(i + 1) * e->lit_len);
        }
        c->chars_len = e->lit_len * (size_t)n;
        break;
    }
    default:
        break;
    }
    return c;
}

/* out's validity = a's AND b's (either may be NULL = all valid). */
static int merge_validity(sl_col *out, const sl_col *a, const sl_col *b)
{
    if (!a->validity && !(b && b->validity)) return 0;
    size_t nb = (size_t)(out->len + 7) / 8;
    out->validity = sl_malloc(nb ? nb : 1);
    if (!out->validity) return -1;
    if (a->validity && b && b->validity)
        for (size_t i = 0; i < nb; i++) out->validity[i] = a->validity[i] & b->validity[i];
    else
        memcpy(out->validity, a->validity ? a->validity : b->validity, nb);
    sl_col_finish_nulls(out);
    return 0;
}

#define ARITH_LOOP(T, get)                                                         \
    do {                                                                          \
        const T *x = (const T *)a->data, *y = (const T *)b->data;                 \
        T *z = (T *)out->data;                                                    \
        switch (e->op) {                                                          \
        case SL_OP_ADD: for (int64_t i = 0; i < n; i++) z[i] = (T)(x[i] + y[i]); break; \
        case SL_OP_SUB: for (int64_t i = 0; i < n; i++) z[i] = (T)(x[i] - y[i]); break; \
        case SL_OP_MUL: for (int64_t i = 0; i < n; i++) z[i] = (T)(x[i] * y[i]); break; \
        }                                                                         \
    } while (0)

static sl_status eval_arith(sl_expr *e, sl_col *a, sl_col *b, int64_t n, sl_col **out_col, sl_error *err)
{
    sl_col *out = sl_col_new_sized(e->type, n, 0);
    if (!out) return sl_err_oom(err);
    if (merge_validity(out, a, b)) { sl_col_unref(out); return sl_err_oom(err); }
    bool div_null = false;
    if (e->type == SL_TYPE_DOUBLE) {
        const double *x = sl_col_f64(a), *y = sl_col_f64(b);
        double *z = sl_col_f64(out);
        switch (e->op) {
        case SL_OP_ADD: for (int64_t i = 0; i < n; i++) z[i] = x[i] + y[i]; break;
        case SL_OP_SUB: for (int64_t i = 0; i < n; i++) z[i] = x[i] - y[i]; break;
        case SL_OP_MUL: for (int64_t i = 0; i < n; i++) z[i] = x[i] * y[i]; break;
        case SL_OP_DIV:
            for (int64_t i = 0; i < n; i++) { if (y[i] == 0) { z[i] = 0; div_null = true; } else z[i] = x[i] / y[i]; }
            break;
        case SL_OP_MOD:
            for (int64_t i = 0; i < n; i++) { if (y[i] == 0) { z[i] = 0; div_null = true; } else z[i] = fmod(x[i], y[i]); }
            break;
        }
        if (div_null)
            for (int64_t i = 0; i < n; i++)
                if (y[i] == 0 && sl_col_set_null(out, i)) { sl_col_unref(out); return sl_err_oom(err); }
    } else if (e->type == SL_TYPE_INT || e->type == SL_TYPE_DATE) {
        /* Spark non-ANSI: integer overflow wraps; compute in unsigned */
        if (e->op == SL_OP_MOD) {
            const int32_t *x = sl_col_i32(a), *y = sl_col_i32(b);
            int32_t *z = sl_col_i32(out);
            for (int64_t i = 0; i < n; i++) {
                if (y[i] == 0) { z[i] = 0; if (sl_col_set_null(out, i)) { sl_col_unref(out); return sl_err_oom(err); } }
                else z[i] = y[i] == -1 ? 0 : x[i] % y[i];
            }
        } else {
            const uint32_t *x = (const uint32_t *)a->data, *y = (const uint32_t *)b->data;
            uint32_t *z = (uint32_t *)out->data;
            switch (e->op) {
            case SL_OP_ADD: for (int64_t i = 0; i < n; i++) z[i] = x[i] + y[i]; break;
            case SL_OP_SUB: for (int64_t i = 0; i < n; i++) z[i] = x[i] - y[i]; break;
            case SL_OP_MUL: for (int64_t i = 0; i < n; i++) z[i] = x[i] * y[i]; break;
            }
        }
    } else { /* BIGINT, TIMESTAMP */
        if (e->op == SL_OP_MOD) {
            const int64_t *x = sl_col_i64(a), *y = sl_col_i64(b);
            int64_t *z = sl_col_i64(out);
            for (int64_t i = 0; i < n; i++) {
                if (y[i] == 0) { z[i] = 0; if (sl_col_set_null(out, i)) { sl_col_unref(out); return sl_err_oom(err); } }
                else z[i] = y[i] == -1 ? 0 : x[i] % y[i];
            }
        } else {
            const uint64_t *x = (const uint64_t *)a->data, *y = (const uint64_t *)b->data;
            uint64_t *z = (uint64_t *)out->data;
            switch (e->op) {
            case SL_OP_ADD: for (int64_t i = 0; i < n; i++) z[i] = x[i] + y[i]; break;
            case SL_OP_SUB: for (int64_t i = 0; i < n; i++) z[i] = x[i] - y[i]; break;
            case SL_OP_MUL: for (int64_t i = 0; i < n; i++) z[i] = x[i] * y[i]; break;
            }
        }
    }
    *out_col = out;
    return SL_OK;
}

static int str_cmp(const sl_col *a, int64_t i, const sl_col *b, int64_t j)
{
    size_t la, lb;
    const char *sa = sl_col_str(a, i, &la), *sb = sl_col_str(b, j, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);
    if (c) return c;
    return la < lb ? -1 : la > lb;
}

#define CMP_LOOP(T)                                                                   \
    do {                                                                              \
        const T *x = (const T *)a->data, *y = (const T *)b->data;                     \
        switch (op) {                                                                 \
        case SL_OP_EQ: case SL_OP_NULLSAFE_EQ: for (int64_t i = 0; i < n; i++) r[i] = x[i] == y[i]; break; \
        case SL_OP_NE: for (int64_t i = 0; i < n; i++) r[i] = x[i] != y[i]; break;     \
        case SL_OP_LT: for (int64_t i = 0; i < n; i++) r[i] = x[i] < y[i]; break;      \
        case SL_OP_LE: for (int64_t i = 0; i < n; i++) r[i] = x[i] <= y[i]; break;     \
        case SL_OP_GT: for (int64_t i = 0; i < n; i++) r[i] = x[i] > y[i]; break;      \
        case SL_OP_GE: for (int64_t i = 0; i < n; i++) r[i] = x[i] >= y[i]; break;     \
        }                                                                             \
    } while (0)

/* Byte-per-row comparison results, packed into the output bitmap after. */
static sl_status eval_cmp(int op, sl_col *a, sl_col *b, int64_t n, sl_col **out_col, sl_error *err)
{
    uint8_t *r = sl_malloc((size_t)(n ? n : 1));
    sl_col *out = sl_col_new_sized(SL_TYPE_BOOLEAN, n, 0);
    if (!r || !out) { sl_free(r); sl_col_unref(out); return sl_err_oom(err); }
    switch (a->type) {
    case SL_TYPE_INT: case SL_TYPE_DATE: CMP_LOOP(int32_t); break;
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: CMP_LOOP(int64_t); break;
    case SL_TYPE_DOUBLE: {
        /* Spark orders NaN above everything and NaN = NaN */
        const double *x = sl_col_f64(a), *y = sl_col_f64(b);
        for (int64_t i = 0; i < n; i++) {
            double u = x[i], v = y[i];
            int c = isnan(u) ? (isnan(v) ? 0 : 1) : isnan(v) ? -1 : (u > v) - (u < v);
            r[i] = op == SL_OP_EQ || op == SL_OP_NULLSAFE_EQ ? c == 0 : op == SL_OP_NE ? c != 0 :
                   op == SL_OP_LT ? c < 0 : op == SL_OP_LE ? c <= 0 : op == SL_OP_GT ? c > 0 : c >= 0;
        }
        break;
    }
    case SL_TYPE_BOOLEAN:
        for (int64_t i = 0; i < n; i++) {
            int c = (int)sl_col_bool(a, i) - (int)sl_col_bool(b, i);
            r[i] = op == SL_OP_EQ || op == SL_OP_NULLSAFE_EQ ? c == 0 : op == SL_OP_NE ? c != 0 :
                   op == SL_OP_LT ? c < 0 : op == SL_OP_LE ? c <= 0 : op == SL_OP_GT ? c > 0 : c >= 0;
        }
        break;
    case SL_TYPE_STRING:
        for (int64_t i = 0; i < n; i++) {
            int c = str_cmp(a, i, b, i);
            r[i] = op == SL_OP_EQ || op == SL_OP_NULLSAFE_EQ ? c == 0 : op == SL_OP_NE ? c != 0 :
                   op == SL_OP_LT ? c < 0 : op == SL_OP_LE ? c <= 0 : op == SL_OP_GT ? c > 0 : c >= 0;
        }
        break;
    default:
        memset(r, 0, (size_t)n);
        break;
    }
    uint8_t *bits = out->data;
    for (int64_t i = 0; i < n; i++)
        if (r[i]) sl_bit_set(bits, i);
    sl_free(r);
    if (op == SL_OP_NULLSAFE_EQ) {
        /* NULL <=> NULL is true, NULL <=> x false; never NULL */
        for (int64_t i = 0; i < n; i++) {
            bool na = sl_col_is_null(a, i), nb = sl_col_is_null(b, i);
            if (na || nb) {
                if (na && nb) sl_bit_set(bits, i);
                else sl_bit_clear(bits, i);
            }
        }
    } else if (merge_validity(out, a, b)) {
        sl_col_unref(out);
        return sl_err_oom(err);
    }
    *out_col = out;
    return SL_OK;
}

/* Three-valued AND/OR (Spark/SQL): FALSE AND NULL = FALSE, TRUE OR NULL = TRUE. */
static sl_status eval_logic(bool is_and, sl_col *a, sl_col *b, int64_t n, sl_col **out_col, sl_error *err)
{
    sl_col *out = sl_col_new_sized(SL_TYPE_BOOLEAN, n, 0);
    if (!out) return sl_err_oom(err);
    uint8_t *z = out->data;
    const uint8_t *x = a->data, *y = b->data;
    size_t nb = (size_t)(n + 7) / 8;
    for (size_t i = 0; i < nb; i++) z[i] = is_and ? (x[i] & y[i]) : (x[i] | y[i]);
    if (a->validity || b->validity) {
        for (int64_t i = 0; i < n; i++) {
            bool na = sl_col_is_null(a, i), nb2 = sl_col_is_null(b, i);
            if (!na && !nb2) continue;
            bool va = sl_col_bool(a, i), vb = sl_col_bool(b, i);
            bool decided = is_and ? ((!na && !va) || (!nb2 && !vb)) : ((!na && va) || (!nb2 && vb));
            if (decided) { if (is_and) sl_bit_clear(z, i); else sl_bit_set(z, i); }
            else if (sl_col_set_null(out, i)) { sl_col_unref(out); return sl_err_oom(err); }
        }
    }
    *out_col = out;
    return SL_OK;
}

static sl_status eval_case(sl_expr *e, sl_batch *b, const sl_eval_ctx *ctx, sl_col **out_col, sl_error *err)
{
    int64_t n = b->n_rows;
    int n_pairs = (e->n_args - (e->has_else ? 1 : 0)) / 2;
    uint8_t *decided = sl_calloc(1, (size_t)(n ? n : 1));
    int32_t *pick = sl_malloc(sizeof *pick * (size_t)(n ? n : 1));
    sl_col **vals = sl_calloc((size_t)e->n_args, sizeof *vals);
    sl_status st = SL_OK;
    if (!decided || !pick || !vals) { st = sl_err_oom(err); goto done; }
    for (int64_t i = 0; i < n; i++) pick[i] = -1;
    for (int k = 0; k < n_pairs && !st; k++) {
        sl_col *w;
        if ((st = sl_expr_eval(e->args[2 * k], b, ctx, &w, err))) break;
        for (int64_t i = 0; i < n; i++)
            if (!decided[i] && !sl_col_is_null(w, i) && sl_col_bool(w, i)) { decided[i] = 1; pick[i] = 2 * k + 1; }
        sl_col_unref(w);
    }
    if (!st && e->has_else)
        for (int64_t i = 0; i < n; i++)
            if (!decided[i]) pick[i] = e->n_args - 1;
    /* Evaluate each branch over the whole batch (branches are cheap and
     * side-effect free), then pick per row. */
    for (int k = 1; k < e->n_args && !st; k += (k < 2 * n_pairs ? 2 : 1)) {
        bool used = false;
        for (int64_t i = 0; i < n && !used; i++) used = pick[i] == k;
        if (used) st = sl_expr_eval(e->args[k], b, ctx, &vals[k], err);
        if (k == 2 * n_pairs - 1 && e->has_else && !st) {
            k = e->n_args - 1;
            used = false;
            for (int64_t i = 0; i < n && !used; i++) used = pick[i] == k;
            if (used) st = sl_expr_eval(e->args[k], b, ctx, &vals[k], err);
            break;
        }
    }
    if (st) goto done;
    sl_col *out = sl_col_new(e->type);
    if (!out || sl_col_reserve(out, n, 0)) { sl_col_unref(out); st = sl_err_oom(err); goto done; }
    for (int64_t i = 0; i < n; i++) {
        int r = pick[i] >= 0 && vals[pick[i]] ? sl_col_append_from(out, vals[pick[i]], i) : sl_col_append_null(out);
        if (r) { sl_col_unref(out); st = sl_err_oom(err); goto done; }
    }
    *out_col = out;
done:
    if (vals) for (int k = 0; k < e->n_args; k++) sl_col_unref(vals[k]);
    sl_free(vals);
    sl_free(decided);
    sl_free(pick);
    return st;
}

static sl_status eval_in(sl_expr *e, sl_batch *b, const sl_eval_ctx *ctx, sl_col **out_col, sl_error *err)
{
    int64_t n = b->n_rows;
    sl_col *x;
    sl_status st = sl_expr_eval(e->args[0], b, ctx, &x, err);
    if (st) return st;
    sl_col *acc = NULL;
    for (int k = 1; k < e->n_args && !st; k++) {
        sl_col *v, *eq, *o;
        if ((st = sl_expr_eval(e->args[k], b, ctx, &v, err))) break;
        st = eval_cmp(SL_OP_EQ, x, v, n, &eq, err);
        sl_col_unref(v);
        if (st) break;
        if (!acc) { acc = eq; continue; }
        st = eval_logic(false, acc, eq, n, &o, err);
        sl_col_unref(acc);
        sl_col_unref(eq);
        acc = o;
    }
    sl_col_unref(x);
    if (st) { sl_col_unref(acc); return st; }
    if (e->negated) {
        uint8_t *z = acc->data;
        for (int64_t i = 0; i < n; i++) { if (sl_bit_get(z, i)) sl_bit_clear(z, i); else sl_bit_set(z, i); }
    }
    *out_col = acc;
    return SL_OK;
}

sl_status sl_expr_eval(sl_expr *e, sl_batch *b, const sl_eval_ctx *ctx, sl_col **out, sl_error *err)
{
    int64_t n = b->n_rows;
    sl_status st = SL_OK;
    sl_col *a = NULL, *c = NULL, *r = NULL;
    switch (e->kind) {
    case SL_EX_COL:
        *out = sl_col_ref(b->cols[e->col]);
        return SL_OK;
    case SL_EX_LIT:
        *out = lit_col(e, n);
        return *out ? SL_OK : sl_err_oom(err);
    case SL_EX_WINDOW:
        return sl_err(err, SL_ERR_INTERNAL, "a window bound was evaluated outside its aggregate");
    case SL_EX_CAST:
        if ((st = sl_expr_eval(e->args[0], b, ctx, &a, err))) return st;
        if (a->type == SL_TYPE_NULL || (a->null_count == a->len && a->type != e->type)) {
            r = sl_col_new_nulls(e->type, n);
            st = r ? SL_OK : sl_err_oom(err);
        } else {
            st = sl_cast_col(a, e->type, &r, err);
        }
        break;
    case SL_EX_ARITH:
        if ((st = sl_expr_eval(e->args[0], b, ctx, &a, err))) return st;
        if ((st = sl_expr_eval(e->args[1], b, ctx, &c, err))) break;
        st = eval_arith(e, a, c, n, &r, err);
        break;
    case SL_EX_NEG:
        if ((st = sl_expr_eval(e->args[0], b, ctx, &a, err))) return st;
        r = sl_col_new_sized(e->type, n, 0);
        if (!r || merge_validity(r, a, NULL)) { st = sl_err_oom(err); break; }
        for (int64_t i = 0; i < n; i++) {
            if (e->type == SL_TYPE_DOUBLE) sl_col_f64(r)[i] = -sl_col_f64(a)[i];
            else if (e->type == SL_TYPE_INT) sl_col_i32(r)[i] = (int32_t)(0u - (uint32_t)sl_col_i32(a)[i]);
            else sl_col_i64(r)[i] = (int64_t)(0ull - (uint64_t)sl_col_i64(a)[i]);
        }
        break;
    case SL_EX_CMP:
        if ((st = sl_expr_eval(e->args[0], b, ctx, &a, err))) return st;
        if ((st = sl_expr_eval(e->args[1], b, ctx, &c, err))) break;
        st = eval_cmp(e->op, a, c, n, &r, err);
        break;
    case SL_EX_AND:
    case SL_EX_OR:
        if ((st = sl_expr_eval(e->args[0], b, ctx, &a, err))) return st;
        if ((st = sl_expr_eval(e->args[1], b, ctx, &c, err))) break;
        st = eval_logic(e->kind == SL_EX_AND, a, c, n, &r, err);
        break;
    case SL_EX_NOT:
        if ((st = sl_expr_eval(e->args[0], b, ctx, &a, err))) return st;
        r = sl_col_new_sized(SL_TYPE_BOOLEAN, n, 0);
        if (!r || merge_validity(r, a, NULL)) { st = sl_err_oom(err); break; }
        for (size_t i = 0; i < (size_t)(n + 7) / 8; i++) ((uint8_t *)r->data)[i] = (uint8_t)~((uint8_t *)a->data)[i];
        break;
    case SL_EX_IS_NULL:
        if ((st = sl_expr_eval(e->args[0], b, ctx, &a, err))) return st;
        r = sl_col_new_sized(SL_TYPE_BOOLEAN, n, 0);
        if (!r) { st = sl_err_oom(err); break; }
        for (int64_t i = 0; i < n; i++)
            if (sl_col_is_null(a, i) != e->negated) sl_bit_set(r->data, i);
        break;
    case SL_EX_CASE:
        return eval_case(e, b, ctx, out, err);
    case SL_EX_IN:
        return eval_in(e, b, ctx, out, err);
    case SL_EX_MODEL:
        return sl_expr_eval_model(e, b, ctx, out, err);
    case SL_EX_FUNC: {
        sl_col *args[64];
        int k;
        for (k = 0; k < e->n_args; k++)
            if ((st = sl_expr_eval(e->args[k], b, ctx, &args[k], err))) break;
        if (!st) st = e->fn->eval(args, e->n_args, n, e->type, ctx, &e->fn_state, &r, err);
        for (int i = 0; i < k; i++) sl_col_unref(args[i]);
        break;
    }
    }
    sl_col_unref(a);
    sl_col_unref(c);
    if (st) { sl_col_unref(r); return st; }
    *out = r;
    return SL_OK;
}

sl_status sl_expr_select(sl_expr *e, sl_batch *b, const sl_eval_ctx *ctx,
                         int32_t *sel, int64_t *out_n, sl_error *err)
{
    sl_col *c;
    sl_status st = sl_expr_eval(e, b, ctx, &c, err);
    if (st) return st;
    int64_t k = 0;
    const uint8_t *bits = c->data;
    if (!c->validity) {
        for (int64_t i = 0; i < b->n_rows; i++) { sel[k] = (int32_t)i; k += sl_bit_get(bits, i); }
    } else {
        for (int64_t i = 0; i < b->n_rows; i++) { sel[k] = (int32_t)i; k += sl_bit_get(bits, i) & sl_bit_get(c->validity, i); }
    }
    sl_col_unref(c);
    *out_n = k;
    return SL_OK;
}

void sl_expr_release(sl_expr *e)
{
    if (!e) return;
    for (int i = 0; i < e->n_args; i++) sl_expr_release(e->args[i]);
    if (e->fn_state && e->fn && e->fn->free_state) e->fn->free_state(e->fn_state);
    e->fn_state = NULL;
}

bool sl_expr_is_const(const sl_expr *e)
{
    if (e->kind == SL_EX_COL || e->kind == SL_EX_WINDOW) return false;
    if (e->kind == SL_EX_FUNC && (e->fn->flags & SL_FN_NONDETERMINISTIC)) return false;
    for (int i = 0; i < e->n_args; i++)
        if (!sl_expr_is_const(e->args[i])) return false;
    return true;
}

static const char *op_text(int op)
{
    switch (op) {
    case SL_OP_ADD: return "+"; case SL_OP_SUB: return "-"; case SL_OP_MUL: return "*";
    case SL_OP_DIV: return "/"; case SL_OP_MOD: return "%"; case SL_OP_EQ: return "=";
    case SL_OP_NE: return "<>"; case SL_OP_LT: return "<"; case SL_OP_LE: return "<=";
    case SL_OP_GT: return ">"; case SL_OP_GE: return ">="; case SL_OP_NULLSAFE_EQ: return "<=>";
    }
    return "?";
}

void sl_expr_render(const sl_expr *e, const sl_schema *in, sl_buf *out)
{
    switch (e->kind) {
    case SL_EX_COL:
        sl_buf_puts(out, in && e->col < in->n ? in->fields[e->col].name : "?");
        break;
    case SL_EX_LIT:
        if (e->lit_null) sl_buf_puts(out, "NULL");
        else if (e->type == SL_TYPE_STRING) sl_buf_printf(out, "'%.*s'", (int)e->lit_len, e->lit_str);
        else if (e->type == SL_TYPE_DOUBLE) { char t[SL_TEXT_MAX]; sl_f64_to_text(e->lit_f64, t); sl_buf_puts(out, t); }
        else if (e->type == SL_TYPE_BOOLEAN) sl_buf_puts(out, e->lit_bool ? "true" : "false");
        else sl_buf_printf(out, "%lld", (long long)e->lit_i64);
        break;
    case SL_EX_FUNC:
        sl_buf_printf(out, "%s(", e->fn->name);
        for (int i = 0; i < e->n_args; i++) { if (i) sl_buf_puts(out, ", "); sl_expr_render(e->args[i], in, out); }
        sl_buf_putc(out, ')');
        break;
    case SL_EX_CAST:
        sl_buf_puts(out, "CAST(");
        sl_expr_render(e->args[0], in, out);
        sl_buf_printf(out, " AS %s)", sl_type_name(e->type));
        break;
    case SL_EX_ARITH: case SL_EX_CMP:
        sl_buf_putc(out, '(');
        sl_expr_render(e->args[0], in, out);
        sl_buf_printf(out, " %s ", op_text(e->op));
        sl_expr_render(e->args[1], in, out);
        sl_buf_putc(out, ')');
        break;
    case SL_EX_AND: case SL_EX_OR:
        sl_buf_putc(out, '(');
        sl_expr_render(e->args[0], in, out);
        sl_buf_puts(out, e->kind == SL_EX_AND ? " AND " : " OR ");
        sl_expr_render(e->args[1], in, out);
        sl_buf_putc(out, ')');
        break;
    case SL_EX_NEG: case SL_EX_NOT:
        sl_buf_puts(out, e->kind == SL_EX_NEG ? "-" : "NOT ");
        sl_expr_render(e->args[0], in, out);
        break;
    case SL_EX_IS_NULL:
        sl_expr_render(e->args[0], in, out);
        sl_buf_puts(out, e->negated ? " IS NOT NULL" : " IS NULL");
        break;
    case SL_EX_CASE:
        sl_buf_puts(out, "CASE …");
        break;
    case SL_EX_IN:
        sl_expr_render(e->args[0], in, out);
        sl_buf_puts(out, e->negated ? " NOT IN (…)" : " IN (…)");
        break;
    case SL_EX_WINDOW:
        sl_buf_puts(out, "window");
        break;
    case SL_EX_MODEL:
        sl_buf_printf(out, "%s(%s, …)", e->op ? "predict_proba" : "predict", e->lit_str);
        break;
    }
}
