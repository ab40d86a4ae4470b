/* The binder: resolves a SELECT's names against the catalog, types every
 * expression with Spark's coercion rules, and builds the logical plan
 * (plan.h): FROM (scans, subqueries, views, joins) → WHERE → aggregation
 * (GROUP BY, windows, HAVING) → projection.  Errors point at the offending
 * text with a caret. */
#include "plan/catalog.h"
#include "plan/bind_model.h"
#include "plan/join_range.h"
#include "exec/agg/agg.h"
#include "core/status.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct scope_col {
    const char *qual, *name;
    sl_type type;
    bool evtime;
} scope_col;

typedef struct scope {
    int n;
    scope_col *cols;
} scope;

typedef struct agg_ctx {
    const sl_ast_select *sel;
    const struct scope *in;   /* the aggregate's input, for argument binding */
    int n_keys;               /* GROUP BY expressions other than the window */
    const sl_ast_expr **key_ast;
    sl_expr **keys;           /* bound over the input */
    int win_ast;              /* index in sel->group of window(), -1 */
    int n_out_keys;           /* keys + 2 window columns */
    int n_aggs, cap_aggs;
    sl_agg_call *aggs;
    const sl_ast_expr **agg_ast;
    const char **agg_names;
} agg_ctx;

typedef struct binder {
    sl_catalog *cat;
    sl_arena *arena;
    agg_ctx *agg;             /* set while binding items/HAVING of an aggregate */
    const sl_ast_select *having_of; /* set while binding HAVING: its SELECT's aliases */
    int view_depth;
    /* set while binding the items of a SELECT with window functions: the
     * calls (f(…) OVER (…)) and the output column of the first */
    int n_over, over_base;
    const sl_ast_expr **over_calls;
    const sl_plan *over_plan;
} binder;

#define TRY(x) do { sl_status st_ = (x); if (st_) return st_; } while (0)
#define OOM_IF(p) do { if (!(p)) return sl_err_oom(sl_bind_err); } while (0)

static sl_status bind_error(binder *bd, const sl_ast_expr *at, sl_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static sl_status bind_error(binder *bd, const sl_ast_expr *at, sl_status code, const char *fmt, ...)
{
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sl_bind_error(bd->cat, code, at ? at->line : 0, at ? at->col : 0, "%s", msg);
}

static sl_expr *ex_new(binder *bd, sl_expr_kind kind, sl_type type, int n_args)
{
    sl_expr *e = sl_arena_alloc(bd->arena, sizeof *e);
    if (!e) return NULL;
    e->kind = kind;
    e->type = type;
    e->n_args = n_args;
    if (n_args) {
        e->args = sl_arena_alloc(bd->arena, sizeof *e->args * (size_t)n_args);
        if (!e->args) return NULL;
    }
    return e;
}

static sl_expr *ex_col(binder *bd, int idx, sl_type t)
{
    sl_expr *e = ex_new(bd, SL_EX_COL, t, 0);
    if (e) e->col = idx;
    return e;
}

/* Wraps e in a CAST when its type differs from `to`. */
static sl_expr *coerce(binder *bd, sl_expr *e, sl_type to)
{
    if (!e || e->type == to || to == SL_TYPE_NULL) return e;
    if (e->kind == SL_EX_LIT && e->lit_null) { e->type = to; return e; }
    sl_expr *c = ex_new(bd, SL_EX_CAST, to, 1);
    if (c) c->args[0] = e;
    return c;
}

static int num_rank(sl_type t)
{
    switch (t) {
    case SL_TYPE_NULL: return 0;
    case SL_TYPE_BOOLEAN: return -1;
    case SL_TYPE_INT: return 1;
    case SL_TYPE_BIGINT: return 2;
    case SL_TYPE_DOUBLE: return 3;
    default: return -1;
    }
}

/* The common type two operands are compared in (Spark's findCommonType plus
 * its string promotion for comparisons); SL_TYPE_NULL (0) with *ok = false
 * when none. */
static sl_type common_type(sl_type a, sl_type b, bool *ok)
{
    *ok = true;
    if (a == b) return a;
    if (a == SL_TYPE_NULL) return b;
    if (b == SL_TYPE_NULL) return a;
    int ra = num_rank(a), rb = num_rank(b);
    if (ra > 0 && rb > 0) return ra > rb ? a : b;
    if ((a == SL_TYPE_TIMESTAMP && b == SL_TYPE_DATE) || (a == SL_TYPE_DATE && b == SL_TYPE_TIMESTAMP))
        return SL_TYPE_TIMESTAMP;
    /* string vs number: Spark compares as the number (double for safety) */
    if (a == SL_TYPE_STRING && rb > 0) return b == SL_TYPE_INT || b == SL_TYPE_BIGINT ? SL_TYPE_BIGINT : SL_TYPE_DOUBLE;
    if (b == SL_TYPE_STRING && ra > 0) return a == SL_TYPE_INT || a == SL_TYPE_BIGINT ? SL_TYPE_BIGINT : SL_TYPE_DOUBLE;
    if (a == SL_TYPE_STRING && (b == SL_TYPE_TIMESTAMP || b == SL_TYPE_DATE)) return b;
    if (b == SL_TYPE_STRING && (a == SL_TYPE_TIMESTAMP || a == SL_TYPE_DATE)) return a;
    if (a == SL_TYPE_STRING && b == SL_TYPE_BOOLEAN) return SL_TYPE_BOOLEAN;
    if (b == SL_TYPE_STRING && a == SL_TYPE_BOOLEAN) return SL_TYPE_BOOLEAN;
    *ok = false;
    return SL_TYPE_NULL;
}

static bool ast_equal(const sl_ast_expr *a, const sl_ast_expr *b)
{
    if (a->kind != b->kind || a->op != b->op || a->n_args != b->n_args ||
        a->distinct != b->distinct || a->star_arg != b->star_arg || a->negated != b->negated ||
        (a->over != NULL) != (b->over != NULL))
        return false;
    switch (a->kind) {
    case SL_AST_LIT_INT: case SL_AST_LIT_BOOL: case SL_AST_LIT_INTERVAL:
        if (a->ival != b->ival) return false;
        break;
    case SL_AST_LIT_DOUBLE:
        if (a->dval != b->dval) return false;
        break;
    case SL_AST_LIT_STRING:
        if (strcmp(a->str, b->str) != 0) return false;
        break;
    case SL_AST_COLUMN:
        if (strcasecmp(a->name, b->name) != 0) return false;
        if (a->qual && b->qual && strcasecmp(a->qual, b->qual) != 0) return false;
        break;
    case SL_AST_FUNC:
        if (strcasecmp(a->name, b->name) != 0) return false;
        break;
    case SL_AST_CAST:
        if (a->cast_type != b->cast_type) return false;
        break;
    default:
        break;
    }
    for (int i = 0; i < a->n_args; i++)
        if (!ast_equal(a->args[i], b->args[i])) return false;
    return true;
}

/* ---- column resolution ------------------------------------------------- */

static sl_status resolve_column(binder *bd, const scope *sc, const sl_ast_expr *ast, int *out)
{
    int found = -1, n = 0;
    for (int i = 0; i < sc->n; i++) {
        if (strcasecmp(sc->cols[i].name, ast->name) != 0) continue;
        if (ast->qual && (!sc->cols[i].qual || strcasecmp(sc->cols[i].qual, ast->qual) != 0)) continue;
        if (found < 0) found = i;
        n++;
    }
    if (n > 1)
        return bind_error(bd, ast, SL_ERR_BIND,
                          "column %s is ambiguous: qualify it with its source's name or alias", ast->name);
    if (found < 0) {
        /* Suggest what exists, as Spark does. */
        char list[400] = "";
        size_t len = 0;
        for (int i = 0; i < sc->n && len < sizeof list - 40; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s%s%s", i ? ", " : "",
                                    sc->cols[i].qual ? sc->cols[i].qual : "", sc->cols[i].qual ? "." : "",
                                    sc->cols[i].name);
        if (ast->qual)
            return bind_error(bd, ast, SL_ERR_BIND, "unknown column %s.%s (columns: %s)", ast->qual, ast->name, list);
        return bind_error(bd, ast, SL_ERR_BIND, "unknown column %s (columns: %s)", ast->name, list);
    }
    *out = found;
    return SL_OK;
}

/* ---- expressions ------------------------------------------------------- */

static sl_status bind_expr(binder *bd, const scope *sc, const sl_ast_expr *ast, sl_expr **out);

static sl_status bind_args(binder *bd, const scope *sc, const sl_ast_expr *ast, sl_expr *e, int from)
{
    for (int i = from; i < ast->n_args; i++) TRY(bind_expr(bd, sc, ast->args[i], &e->args[i - from]));
    return SL_OK;
}

static sl_status type_error(binder *bd, const sl_ast_expr *ast, const char *what, sl_type a, sl_type b)
{
    return bind_error(bd, ast, SL_ERR_TYPE, "%s: cannot combine %s and %s", what, sl_type_name(a), sl_type_name(b));
}

static sl_status bind_arith(binder *bd, const sl_ast_expr *ast, sl_expr *l, sl_expr *r, sl_expr **out)
{
    int op = ast->op;
    /* timestamp ± interval */
    if ((l->type == SL_TYPE_TIMESTAMP || l->type == SL_TYPE_DATE) && ast->args[1]->kind == SL_AST_LIT_INTERVAL &&
        (op == SL_OP_ADD || op == SL_OP_SUB)) {
        sl_expr *e;
        OOM_IF(e = ex_new(bd, SL_EX_ARITH, SL_TYPE_TIMESTAMP, 2));
        e->op = op;
        OOM_IF(e->args[0] = coerce(bd, l, SL_TYPE_TIMESTAMP));
        e->args[1] = r;
        r->type = SL_TYPE_TIMESTAMP; /* interval literal as microseconds */
        *out = e;
        return SL_OK;
    }
    sl_type lt = l->type == SL_TYPE_STRING ? SL_TYPE_DOUBLE : l->type;
    sl_type rt = r->type == SL_TYPE_STRING ? SL_TYPE_DOUBLE : r->type;
    if (num_rank(lt) < 0 || num_rank(rt) < 0)
        return type_error(bd, ast, "arithmetic", l->type, r->type);
    bool ok;
    sl_type t = common_type(lt, rt, &ok);
    if (t == SL_TYPE_NULL) t = SL_TYPE_INT;
    if (op == SL_OP_DIV) t = SL_TYPE_DOUBLE; /* Spark: / always gives DOUBLE */
    sl_expr *e;
    OOM_IF(e = ex_new(bd, SL_EX_ARITH, t, 2));
    e->op = op;
    OOM_IF(e->args[0] = coerce(bd, l, t));
    OOM_IF(e->args[1] = coerce(bd, r, t));
    *out = e;
    return SL_OK;
}

static sl_status bind_cmp(binder *bd, const sl_ast_expr *ast, int op, sl_expr *l, sl_expr *r, sl_expr **out)
{
    bool ok;
    sl_type t = common_type(l->type, r->type, &ok);
    if (!ok) return type_error(bd, ast, "comparison", l->type, r->type);
    if (t == SL_TYPE_NULL) t = SL_TYPE_INT;
    sl_expr *e;
    OOM_IF(e = ex_new(bd, SL_EX_CMP, SL_TYPE_BOOLEAN, 2));
    e->op = op;
    OOM_IF(e->args[0] = coerce(bd, l, t));
    OOM_IF(e->args[1] = coerce(bd, r, t));
    *out = e;
    return SL_OK;
}

static sl_status bind_bool(binder *bd, const sl_ast_expr *at, sl_expr *x, sl_expr **out)
{
    if (x->type == SL_TYPE_BOOLEAN || x->type == SL_TYPE_NULL) { x->type = SL_TYPE_BOOLEAN; *out = x; return SL_OK; }
    if (x->type == SL_TYPE_STRING) { OOM_IF(*out = coerce(bd, x, SL_TYPE_BOOLEAN)); return SL_OK; }
    return bind_error(bd, at, SL_ERR_TYPE, "expected a BOOLEAN condition, got %s", sl_type_name(x->type));
}

/* predict()/predict_proba() (plan/bind_model.c) bind their arguments here. */
static sl_status bind_model_arg(void *bd, const void *sc, const sl_ast_expr *ast, sl_expr **out)
{
    return bind_expr(bd, sc, ast, out);
}

static sl_status bind_func(binder *bd, const scope *sc, const sl_ast_expr *ast, sl_expr **out)
{
    if (sl_bind_is_model_call(ast->name))
        return sl_bind_predict(bd->cat, bd->arena, ast, bind_model_arg, bd, sc, out);
    if (sl_agg_is_aggregate(ast->name))
        return bind_error(bd, ast, SL_ERR_BIND,
                          "aggregate function %s() is not allowed here (only in SELECT or HAVING of a grouped query)",
                          ast->name);
    if (!strcasecmp(ast->name, "window") || !strcasecmp(ast->name, "session_window"))
        return bind_error(bd, ast, SL_ERR_BIND, "%s() belongs in GROUP BY", ast->name);
    const sl_func_def *fn = sl_func_find(ast->name);
    if (!fn) return bind_error(bd, ast, SL_ERR_BIND, "unknown function %s()", ast->name);
    if (ast->star_arg) return bind_error(bd, ast, SL_ERR_BIND, "%s(*) is not allowed", ast->name);
    if (ast->n_args < fn->min_args || (fn->max_args >= 0 && ast->n_args > fn->max_args)) {
        if (fn->min_args == fn->max_args)
            return bind_error(bd, ast, SL_ERR_BIND, "%s() takes %d argument%s, got %d", ast->name,
                              fn->min_args, fn->min_args == 1 ? "" : "s", ast->n_args);
        return bind_error(bd, ast, SL_ERR_BIND, "%s() takes %d to %d arguments, got %d", ast->name,
                          fn->min_args, fn->max_args, ast->n_args);
    }
    sl_expr *e;
    OOM_IF(e = ex_new(bd, SL_EX_FUNC, SL_TYPE_NULL, ast->n_args));
    e->fn = fn;
    TRY(bind_args(bd, sc, ast, e, 0));
    sl_type types[64], want[64];
    if (ast->n_args > 64) return bind_error(bd, ast, SL_ERR_BIND, "too many arguments");
    for (int i = 0; i < ast->n_args; i++) types[i] = want[i] = e->args[i]->type;
    char why[300] = "";
    if (fn->resolve(types, ast->n_args, want, &e->type, why, sizeof why))
        return bind_error(bd, ast, SL_ERR_TYPE, "%s", why[0] ? why : "argument types do not fit");
    for (int i = 0; i < ast->n_args; i++) {
        OOM_IF(e->args[i] = coerce(bd, e->args[i], want[i]));
        if ((fn->flags & SL_FN_CONST_ARG1) && i >= 1 && !sl_expr_is_const(e->args[i]))
            return bind_error(bd, ast->args[i], SL_ERR_BIND, "argument %d of %s() must be a constant", i + 1, ast->name);
    }
    *out = e;
    return SL_OK;
}

/* In an aggregate's SELECT/HAVING: group keys and aggregate calls become
 * references to the aggregate's output columns. Returns 1 when handled. */
static int agg_rewrite(binder *bd, const sl_ast_expr *ast, sl_expr **out, sl_status *st);

static bool scope_has(const scope *sc, const char *name)
{
    for (int i = 0; i < sc->n; i++)
        if (!strcasecmp(sc->cols[i].name, name)) return true;
    return false;
}

/* HAVING may name a SELECT item's alias (Spark: HAVING n > 1 after count(*)
 * AS n) when no input column has that name: the item's expression is bound
 * again in its place. */
static const sl_ast_expr *having_alias(const binder *bd, const scope *sc, const sl_ast_expr *ast)
{
    if (!bd->having_of || ast->kind != SL_AST_COLUMN || ast->qual || scope_has(sc, ast->name)) return NULL;
    for (int i = 0; i < bd->having_of->n_items; i++) {
        const sl_ast_item *it = &bd->having_of->items[i];
        if (it->alias && !strcasecmp(it->alias, ast->name)) return it->expr;
    }
    return NULL;
}

static sl_status bind_expr(binder *bd, const scope *sc, const sl_ast_expr *ast, sl_expr **out)
{
    sl_expr *e = NULL;
    const sl_ast_expr *aliased = having_alias(bd, sc, ast);
    if (aliased) {
        const sl_ast_select *of = bd->having_of;
        bd->having_of = NULL; /* an alias's expression does not see aliases */
        sl_status st = bind_expr(bd, sc, aliased, out);
        bd->having_of = of;
        return st;
    }
    if (ast->kind == SL_AST_FUNC && ast->over) {
        for (int k = 0; k < bd->n_over; k++)
            if (bd->over_calls[k] == ast) {
                int c = bd->over_base + k;
                OOM_IF(*out = ex_col(bd, c, bd->over_plan->schema->fields[c].type));
                return SL_OK;
            }
        return bind_error(bd, ast, SL_ERR_BIND,
                          "window functions (%s() OVER …) are allowed only in the SELECT list", ast->name);
    }
    if (bd->agg) {
        sl_status st = SL_OK;
        if (agg_rewrite(bd, ast, out, &st)) return st;
    }
    switch (ast->kind) {
    case SL_AST_LIT_INT:
        OOM_IF(e = ex_new(bd, SL_EX_LIT, (ast->ival >= INT32_MIN && ast->ival <= INT32_MAX) ? SL_TYPE_INT : SL_TYPE_BIGINT, 0));
        e->lit_i64 = ast->ival;
        break;
    case SL_AST_LIT_DOUBLE:
        OOM_IF(e = ex_new(bd, SL_EX_LIT, SL_TYPE_DOUBLE, 0));
        e->lit_f64 = ast->dval;
        break;
    case SL_AST_LIT_STRING:
        OOM_IF(e = ex_new(bd, SL_EX_LIT, SL_TYPE_STRING, 0));
        e->lit_str = ast->str;
        e->lit_len = strlen(ast->str);
        break;
    case SL_AST_LIT_BOOL:
        OOM_IF(e = ex_new(bd, SL_EX_LIT, SL_TYPE_BOOLEAN, 0));
        e->lit_bool = ast->ival != 0;
        break;
    case SL_AST_LIT_NULL:
        OOM_IF(e = ex_new(bd, SL_EX_LIT, SL_TYPE_NULL, 0));
        e->lit_null = true;
        break;
    case SL_AST_LIT_INTERVAL:
        OOM_IF(e = ex_new(bd, SL_EX_LIT, SL_TYPE_BIGINT, 0));
        e->lit_i64 = ast->ival;
        break;
    case SL_AST_LIT_TIMESTAMP:
        return bind_error(bd, ast, SL_ERR_INTERNAL, "timestamp literal");
    case SL_AST_COLUMN: {
        int idx = -1;
        TRY(resolve_column(bd, sc, ast, &idx));
        OOM_IF(e = ex_col(bd, idx, sc->cols[idx].type));
        break;
    }
    case SL_AST_STAR:
        return bind_error(bd, ast, SL_ERR_BIND, "* is only allowed as a SELECT item or in count(*)");
    case SL_AST_UNARY: {
        sl_expr *x;
        TRY(bind_expr(bd, sc, ast->args[0], &x));
        if (ast->op == SL_OP_NOT) {
            TRY(bind_bool(bd, ast->args[0], x, &x));
            OOM_IF(e = ex_new(bd, SL_EX_NOT, SL_TYPE_BOOLEAN, 1));
        } else {
            sl_type t = x->type == SL_TYPE_STRING ? SL_TYPE_DOUBLE : x->type;
            if (num_rank(t) < 0) return bind_error(bd, ast, SL_ERR_TYPE, "cannot negate a %s", sl_type_name(x->type));
            OOM_IF(x = coerce(bd, x, t));
            OOM_IF(e = ex_new(bd, SL_EX_NEG, t, 1));
        }
        e->args[0] = x;
        break;
    }
    case SL_AST_BINARY: {
        sl_expr *l, *r;
        TRY(bind_expr(bd, sc, ast->args[0], &l));
        TRY(bind_expr(bd, sc, ast->args[1], &r));
        switch (ast->op) {
        case SL_OP_ADD: case SL_OP_SUB: case SL_OP_MUL: case SL_OP_DIV: case SL_OP_MOD:
            TRY(bind_arith(bd, ast, l, r, &e));
            break;
        case SL_OP_EQ: case SL_OP_NE: case SL_OP_LT: case SL_OP_LE: case SL_OP_GT: case SL_OP_GE:
        case SL_OP_NULLSAFE_EQ:
            TRY(bind_cmp(bd, ast, ast->op, l, r, &e));
            break;
        case SL_OP_AND: case SL_OP_OR:
            TRY(bind_bool(bd, ast->args[0], l, &l));
            TRY(bind_bool(bd, ast->args[1], r, &r));
            OOM_IF(e = ex_new(bd, ast->op == SL_OP_AND ? SL_EX_AND : SL_EX_OR, SL_TYPE_BOOLEAN, 2));
            e->args[0] = l;
            e->args[1] = r;
            break;
        case SL_OP_CONCAT: {
            const sl_func_def *fn = sl_func_find("concat");
            if (!fn) return bind_error(bd, ast, SL_ERR_INTERNAL, "concat() is missing");
            OOM_IF(e = ex_new(bd, SL_EX_FUNC, SL_TYPE_STRING, 2));
            e->fn = fn;
            OOM_IF(e->args[0] = coerce(bd, l, SL_TYPE_STRING));
            OOM_IF(e->args[1] = coerce(bd, r, SL_TYPE_STRING));
            break;
        }
        default:
            return bind_error(bd, ast, SL_ERR_INTERNAL, "unknown operator");
        }
        break;
    }
    case SL_AST_FUNC:
        TRY(bind_func(bd, sc, ast, &e));
        break;
    case SL_AST_CASE: {
        int n = ast->n_args, first = ast->has_operand ? 1 : 0;
        int n_pairs = (n - first - (ast->has_else ? 1 : 0)) / 2;
        sl_expr *operand = NULL;
        if (ast->has_operand) TRY(bind_expr(bd, sc, ast->args[0], &operand));
        OOM_IF(e = ex_new(bd, SL_EX_CASE, SL_TYPE_NULL, n_pairs * 2 + (ast->has_else ? 1 : 0)));
        e->has_else = ast->has_else;
        sl_type t = SL_TYPE_NULL;
        for (int i = 0; i < n_pairs; i++) {
            sl_expr *w, *th;
            TRY(bind_expr(bd, sc, ast->args[first + 2 * i], &w));
            if (operand) TRY(bind_cmp(bd, ast->args[first + 2 * i], SL_OP_EQ, operand, w, &w));
            TRY(bind_bool(bd, ast->args[first + 2 * i], w, &w));
            TRY(bind_expr(bd, sc, ast->args[first + 2 * i + 1], &th));
            bool ok;
            sl_type nt = common_type(t, th->type, &ok);
            if (!ok) {
                /* Spark's CASE with mixed string/number branches gives STRING */
                if (t == SL_TYPE_STRING || th->type == SL_TYPE_STRING) nt = SL_TYPE_STRING;
                else return type_error(bd, ast->args[first + 2 * i + 1], "CASE branches", t, th->type);
            }
            t = nt;
            e->args[2 * i] = w;
            e->args[2 * i + 1] = th;
        }
        if (ast->has_else) {
            sl_expr *el;
            TRY(bind_expr(bd, sc, ast->args[n - 1], &el));
            bool ok;
            sl_type nt = common_type(t, el->type, &ok);
            if (!ok) {
                if (t == SL_TYPE_STRING || el->type == SL_TYPE_STRING) nt = SL_TYPE_STRING;
                else return type_error(bd, ast->args[n - 1], "CASE branches", t, el->type);
            }
            t = nt;
            e->args[2 * n_pairs] = el;
        }
        if (t == SL_TYPE_NULL) t = SL_TYPE_STRING;
        e->type = t;
        for (int i = 0; i < n_pairs; i++) OOM_IF(e->args[2 * i + 1] = coerce(bd, e->args[2 * i + 1], t));
        if (ast->has_else) OOM_IF(e->args[2 * n_pairs] = coerce(bd, e->args[2 * n_pairs], t));
        break;
    }
    case SL_AST_CAST: {
        sl_expr *x;
        TRY(bind_expr(bd, sc, ast->args[0], &x));
        if (x->type != SL_TYPE_NULL && !sl_cast_allowed(x->type, ast->cast_type))
            return bind_error(bd, ast, SL_ERR_TYPE, "cannot cast %s to %s", sl_type_name(x->type),
                              sl_type_name(ast->cast_type));
        OOM_IF(e = ex_new(bd, SL_EX_CAST, ast->cast_type, 1));
        e->args[0] = x;
        if (x->type == ast->cast_type) e = x;
        break;
    }
    case SL_AST_BETWEEN: {
        sl_expr *x, *lo, *hi, *a, *b;
        TRY(bind_expr(bd, sc, ast->args[0], &x));
        TRY(bind_expr(bd, sc, ast->args[1], &lo));
        TRY(bind_expr(bd, sc, ast->args[2], &hi));
        TRY(bind_cmp(bd, ast, SL_OP_GE, x, lo, &a));
        TRY(bind_cmp(bd, ast, SL_OP_LE, x, hi, &b));
        OOM_IF(e = ex_new(bd, SL_EX_AND, SL_TYPE_BOOLEAN, 2));
        e->args[0] = a;
        e->args[1] = b;
        if (ast->negated) {
            sl_expr *n;
            OOM_IF(n = ex_new(bd, SL_EX_NOT, SL_TYPE_BOOLEAN, 1));
            n->args[0] = e;
            e = n;
        }
        break;
    }
    case SL_AST_IN: {
        OOM_IF(e = ex_new(bd, SL_EX_IN, SL_TYPE_BOOLEAN, ast->n_args));
        e->negated = ast->negated;
        TRY(bind_args(bd, sc, ast, e, 0));
        sl_type t = e->args[0]->type;
        for (int i = 1; i < ast->n_args; i++) {
            bool ok;
            t = common_type(t, e->args[i]->type, &ok);
            if (!ok) return type_error(bd, ast->args[i], "IN list", e->args[0]->type, e->args[i]->type);
        }
        for (int i = 0; i < ast->n_args; i++) OOM_IF(e->args[i] = coerce(bd, e->args[i], t));
        break;
    }
    case SL_AST_LIKE: {
        const sl_func_def *fn = sl_func_find(ast->op == 'L' ? "like" : "rlike");
        if (!fn) return bind_error(bd, ast, SL_ERR_INTERNAL, "like() is missing");
        sl_expr *x, *p, *esc = NULL;
        TRY(bind_expr(bd, sc, ast->args[0], &x));
        TRY(bind_expr(bd, sc, ast->args[1], &p));
        const char *es = "\\";
        if (ast->n_args > 2) { /* ESCAPE 'c': one character (the parser takes only a string) */
            const sl_ast_expr *ea = ast->args[2];
            size_t n = strlen(ea->str), chars = 0;
            for (size_t i = 0; i < n; i++) chars += ((unsigned char)ea->str[i] & 0xc0) != 0x80;
            if (chars != 1)
                return bind_error(bd, ea, SL_ERR_BIND, "the ESCAPE string must be one character, not '%s'", ea->str);
            TRY(bind_expr(bd, sc, ea, &esc));
            es = ea->str;
        }
        if (ast->op == 'L' && ast->args[1]->kind == SL_AST_LIT_STRING) {
            char why[600];
            const char *ps = ast->args[1]->str;
            if (sl_like_check(ps, strlen(ps), es, strlen(es), why, sizeof why))
                return bind_error(bd, ast->args[1], SL_ERR_BIND, "%s", why);
        }
        OOM_IF(e = ex_new(bd, SL_EX_FUNC, SL_TYPE_BOOLEAN, esc ? 3 : 2));
        e->fn = fn;
        OOM_IF(e->args[0] = coerce(bd, x, SL_TYPE_STRING));
        OOM_IF(e->args[1] = coerce(bd, p, SL_TYPE_STRING));
        if (esc) e->args[2] = esc;
        if (ast->negated) {
            sl_expr *n;
            OOM_IF(n = ex_new(bd, SL_EX_NOT, SL_TYPE_BOOLEAN, 1));
            n->args[0] = e;
            e = n;
        }
        break;
    }
    case SL_AST_IS_NULL: {
        sl_expr *x;
        TRY(bind_expr(bd, sc, ast->args[0], &x));
        OOM_IF(e = ex_new(bd, SL_EX_IS_NULL, SL_TYPE_BOOLEAN, 1));
        e->negated = ast->negated;
        e->args[0] = x;
        break;
    }
    case SL_AST_FIELD:
        return bind_error(bd, ast, SL_ERR_BIND, "struct fields are not supported here");
    }
    *out = e;
    return SL_OK;
}

/* ---- aggregation ------------------------------------------------------- */

static bool is_window_call(const sl_ast_expr *a)
{
    return a->kind == SL_AST_FUNC && (!strcasecmp(a->name, "window") || !strcasecmp(a->name, "session_window") ||
                                      !strcasecmp(a->name, "tumble") || !strcasecmp(a->name, "hop") ||
                                      !strcasecmp(a->name, "session"));
}

/* Spark's name for an unaliased expression (count(*) is count(1)). */
static const char *expr_name(binder *bd, const sl_ast_expr *a)
{
    if (a->kind == SL_AST_COLUMN) return a->name;
    if (a->kind == SL_AST_FUNC && a->star_arg && a->n_args == 0)
        return sl_arena_printf(bd->arena, "%s(1)", a->name);
    return a->text ? a->text : "expr";
}

static int agg_rewrite(binder *bd, const sl_ast_expr *ast, sl_expr **out, sl_status *st)
{
    agg_ctx *ac = bd->agg;
    /* a GROUP BY expression */
    for (int i = 0; i < ac->n_keys; i++)
        if (ast_equal(ast, ac->key_ast[i])) {
            *out = ex_col(bd, i, ac->keys[i]->type);
            *st = *out ? SL_OK : sl_err_oom(sl_bind_err);
            return 1;
        }
    /* window.start / window.end / window_start / window_end, and
     * session_window.start / .end for a session window (Spark's name) */
    if (ac->win_ast >= 0 && ast->kind == SL_AST_COLUMN) {
        int which = -1;
        const char *wfn = ac->sel->group[ac->win_ast]->name;
        bool session = wfn && (!strcasecmp(wfn, "session_window") || !strcasecmp(wfn, "session"));
        if (ast->qual && (!strcasecmp(ast->qual, "window") || (session && !strcasecmp(ast->qual, "session_window"))))
            which = !strcasecmp(ast->name, "start") ? 0 : !strcasecmp(ast->name, "end") ? 1 : -1;
        else if (!ast->qual)
            which = !strcasecmp(ast->name, "window_start") ? 0 : !strcasecmp(ast->name, "window_end") ? 1 : -1;
        if (which >= 0) {
            *out = ex_col(bd, ac->n_keys + which, SL_TYPE_TIMESTAMP);
            *st = *out ? SL_OK : sl_err_oom(sl_bind_err);
            return 1;
        }
    }
    if (ast->kind == SL_AST_FUNC && sl_agg_is_aggregate(ast->name)) {
        for (int i = 0; i < ac->n_aggs; i++)
            if (ast_equal(ast, ac->agg_ast[i])) {
                *out = ex_col(bd, ac->n_out_keys + i, ac->aggs[i].type);
                *st = *out ? SL_OK : sl_err_oom(sl_bind_err);
                return 1;
            }
        bool star = ast->star_arg || (ast->n_args == 1 && ast->args[0]->kind == SL_AST_STAR);
        if (!star && ast->n_args != 1) {
            *st = bind_error(bd, ast, SL_ERR_BIND, "%s() takes one argument", ast->name);
            return 1;
        }
        const sl_agg_def *def = sl_agg_find(ast->name, ast->distinct, star);
        if (!def) {
            *st = bind_error(bd, ast, SL_ERR_BIND, "%s(%s) is not supported", ast->name, star ? "*" : "DISTINCT …");
            return 1;
        }
        sl_agg_call call = {.def = def, .distinct = ast->distinct};
        sl_type argt = SL_TYPE_NULL;
        if (!star) {
            /* the argument is bound over the aggregate's input, not its output */
            agg_ctx *save = bd->agg;
            bd->agg = NULL;
            *st = bind_expr(bd, save->in, ast->args[0], &call.arg);
            bd->agg = save;
            if (*st) return 1;
            argt = call.arg->type;
            if (argt == SL_TYPE_STRING && (!strcasecmp(def->name, "sum") || !strcasecmp(def->name, "avg"))) {
                /* Spark sums strings as doubles */
                if (!(call.arg = coerce(bd, call.arg, SL_TYPE_DOUBLE))) { *st = sl_err_oom(sl_bind_err); return 1; }
                argt = SL_TYPE_DOUBLE;
            }
        }
        if (def->resolve(argt, &call.type)) {
            *st = bind_error(bd, ast, SL_ERR_TYPE, "%s() does not take a %s", ast->name, sl_type_name(argt));
            return 1;
        }
        size_t cap = (size_t)ac->cap_aggs;
        if (sl_grow((void **)&ac->aggs, &cap, (size_t)ac->n_aggs + 1, sizeof *ac->aggs) ||
            (cap = (size_t)ac->cap_aggs, sl_grow((void **)&ac->agg_ast, &cap, (size_t)ac->n_aggs + 1, sizeof *ac->agg_ast)) ||
            (cap = (size_t)ac->cap_aggs, sl_grow((void **)&ac->agg_names, &cap, (size_t)ac->n_aggs + 1, sizeof *ac->agg_names))) {
            *st = sl_err_oom(sl_bind_err);
            return 1;
        }
        ac->cap_aggs = (int)cap;
        ac->aggs[ac->n_aggs] = call;
        ac->agg_ast[ac->n_aggs] = ast;
        ac->agg_names[ac->n_aggs] = expr_name(bd, ast);
        *out = ex_col(bd, ac->n_out_keys + ac->n_aggs, call.type);
        ac->n_aggs++;
        *st = *out ? SL_OK : sl_err_oom(sl_bind_err);
        return 1;
    }
    if (ast->kind == SL_AST_COLUMN) {
        /* a bare column that is a GROUP BY column under another spelling
         * (qualified vs not) */
        for (int i = 0; i < ac->n_keys; i++)
            if (ac->key_ast[i]->kind == SL_AST_COLUMN && !strcasecmp(ac->key_ast[i]->name, ast->name)) {
                *out = ex_col(bd, i, ac->keys[i]->type);
                *st = *out ? SL_OK : sl_err_oom(sl_bind_err);
                return 1;
            }
        *st = bind_error(bd, ast, SL_ERR_BIND,
                         "column %s is neither in GROUP BY nor inside an aggregate function", ast->name);
        return 1;
    }
    return 0;
}

/* ---- plans ------------------------------------------------------------- */

static void schema_free_cb(void *s) { sl_schema_free(s); }

static sl_plan *plan_new(binder *bd, sl_plan_kind kind, int n_cols)
{
    sl_plan *p = sl_arena_alloc(bd->arena, sizeof *p);
    if (!p) return NULL;
    p->kind = kind;
    p->schema = sl_schema_new(n_cols);
    if (!p->schema) return NULL;
    /* the schema lives as long as the plan's arena */
    if (sl_arena_on_fini(bd->arena, schema_free_cb, p->schema)) { sl_schema_free(p->schema); return NULL; }
    p->evtime = sl_arena_alloc(bd->arena, sizeof *p->evtime * (size_t)(n_cols ? n_cols : 1));
    if (!p->evtime) return NULL;
    p->wm_col = -1;
    return p;
}

/* A node over `child` with the child's columns (filter, watermark). */
static sl_plan *plan_over(binder *bd, sl_plan_kind kind, sl_plan *child)
{
    sl_plan *p = plan_new(bd, kind, child->schema->n);
    if (!p) return NULL;
    p->child[0] = child;
    p->streaming = child->streaming;
    for (int i = 0; i < child->schema->n; i++) {
        if (sl_schema_set(p->schema, i, child->schema->fields[i].name, child->schema->fields[i].type)) return NULL;
        p->evtime[i] = child->evtime[i];
    }
    return p;
}

/* Plans' schemas are heap objects; remember them to free with the query. */
typedef struct schema_list { sl_schema *s; struct schema_list *next; } schema_list;

static sl_status scope_from_plan(binder *bd, const sl_plan *p, const char *qual, scope *out)
{
    out->n = p->schema->n;
    out->cols = sl_arena_alloc(bd->arena, sizeof *out->cols * (size_t)(out->n ? out->n : 1));
    OOM_IF(out->cols);
    for (int i = 0; i < out->n; i++) {
        out->cols[i].qual = qual;
        out->cols[i].name = p->schema->fields[i].name;
        out->cols[i].type = p->schema->fields[i].type;
        out->cols[i].evtime = p->evtime[i];
    }
    return SL_OK;
}

static sl_status bind_select_scoped(binder *bd, const sl_ast_select *sel, sl_plan **out, scope *out_scope);

static sl_status bind_from(binder *bd, const sl_ast_from *f, sl_plan **out, scope *sc)
{
    sl_catalog *cat = bd->cat;
    if (f->kind == SL_FROM_TABLE) {
        sl_source_def *src = sl_catalog_source(cat, f->name);
        if (src) {
            sl_plan *p;
            OOM_IF(p = plan_new(bd, SL_PLAN_SCAN, src->schema->n));
            p->src = src;
            p->streaming = !src->bounded;
            p->line = f->line;
            p->col = f->col;
            for (int i = 0; i < src->schema->n; i++) {
                if (sl_schema_set(p->schema, i, src->schema->fields[i].name, src->schema->fields[i].type))
                    return sl_err_oom(sl_bind_err);
                p->evtime[i] = (i == src->wm_col);
            }
            *out = p;
            return scope_from_plan(bd, p, f->alias ? f->alias : src->name, sc);
        }
        sl_view_def *v = sl_catalog_view(cat, f->name);
        if (v) {
            if (++bd->view_depth > 32)
                return sl_bind_error(cat, SL_ERR_BIND, f->line, f->col, "views nested too deeply (a cycle?)");
            const char *text = cat->text, *origin = cat->origin;
            cat->text = v->text;
            cat->origin = v->origin;
            sl_plan *p;
            scope inner;
            sl_status st = bind_select_scoped(bd, v->select, &p, &inner);
            cat->text = text;
            cat->origin = origin;
            bd->view_depth--;
            if (st) return st;
            if (v->wm_column) {
                int c = sl_schema_find(p->schema, v->wm_column);
                if (c < 0 || p->schema->fields[c].type != SL_TYPE_TIMESTAMP)
                    return sl_bind_error(cat, SL_ERR_BIND, f->line, f->col,
                                         "view %s: watermark column %s is not a TIMESTAMP column of the view",
                                         v->name, v->wm_column);
                sl_plan *w;
                OOM_IF(w = plan_over(bd, SL_PLAN_WATERMARK, p));
                w->wm_col = c;
                w->wm_delay_us = v->wm_delay_us;
                w->evtime[c] = true;
                p = w;
            }
            *out = p;
            return scope_from_plan(bd, p, f->alias ? f->alias : v->name, sc);
        }
        return sl_bind_error(cat, SL_ERR_BIND, f->line, f->col, "unknown source, table or view %s", f->name);
    }
    if (f->kind == SL_FROM_SUBQUERY) {
        sl_plan *p;
        scope inner;
        TRY(bind_select_scoped(bd, f->sub, &p, &inner));
        *out = p;
        return scope_from_plan(bd, p, f->alias, sc);
    }
    /* JOIN */
    sl_plan *l, *r;
    scope ls, rs;
    TRY(bind_from(bd, f->left, &l, &ls));
    TRY(bind_from(bd, f->right, &r, &rs));
    int n = l->schema->n + r->schema->n;
    sl_plan *j;
    OOM_IF(j = plan_new(bd, SL_PLAN_JOIN, n));
    j->child[0] = l;
    j->child[1] = r;
    j->join_type = f->join_type;
    j->streaming = l->streaming || r->streaming;
    j->line = f->line;
    j->col = f->col;
    sc->n = n;
    OOM_IF(sc->cols = sl_arena_alloc(bd->arena, sizeof *sc->cols * (size_t)n));
    for (int i = 0; i < n; i++) {
        const sl_plan *side = i < l->schema->n ? l : r;
        int k = i < l->schema->n ? i : i - l->schema->n;
        sc->cols[i] = i < l->schema->n ? ls.cols[k] : rs.cols[k];
        if (sl_schema_set(j->schema, i, side->schema->fields[k].name, side->schema->fields[k].type))
            return sl_err_oom(sl_bind_err);
        j->evtime[i] = side->evtime[k];
    }
    /* Split ON into equality keys (left col = right col) and a residual. */
    const sl_ast_expr *conj[64];
    int n_conj = 0;
    const sl_ast_expr *stack[64];
    int sp = 0;
    stack[sp++] = f->on;
    while (sp) {
        const sl_ast_expr *x = stack[--sp];
        if (x->kind == SL_AST_BINARY && x->op == SL_OP_AND && sp < 62) {
            stack[sp++] = x->args[1];
            stack[sp++] = x->args[0];
        } else if (n_conj < 64) {
            conj[n_conj++] = x;
        } else {
            return sl_bind_error(cat, SL_ERR_BIND, x->line, x->col, "join condition too long");
        }
    }
    sl_expr **lk = sl_arena_alloc(bd->arena, sizeof *lk * 64), **rk = sl_arena_alloc(bd->arena, sizeof *rk * 64);
    OOM_IF(lk && rk);
    sl_expr *residual = NULL;
    for (int i = 0; i < n_conj; i++) {
        const sl_ast_expr *x = conj[i];
        if (x->kind == SL_AST_BINARY && x->op == SL_OP_EQ) {
            sl_expr *a = NULL, *b = NULL;
            sl_error *save = sl_bind_err, tmp;
            sl_bind_err = &tmp;
            bool a_left = bind_expr(bd, &ls, x->args[0], &a) == SL_OK;
            bool b_right = bind_expr(bd, &rs, x->args[1], &b) == SL_OK;
            if (!(a_left && b_right)) {
                a_left = bind_expr(bd, &ls, x->args[1], &a) == SL_OK;
                b_right = bind_expr(bd, &rs, x->args[0], &b) == SL_OK;
            }
            sl_bind_err = save;
            if (a_left && b_right) {
                bool ok;
                sl_type t = common_type(a->type, b->type, &ok);
                if (!ok) return type_error(bd, x, "join key", a->type, b->type);
                OOM_IF(lk[j->n_join_keys] = coerce(bd, a, t));
                OOM_IF(rk[j->n_join_keys] = coerce(bd, b, t));
                j->n_join_keys++;
                continue;
            }
        }
        sl_expr *c;
        TRY(bind_expr(bd, sc, x, &c));
        TRY(bind_bool(bd, x, c, &c));
        if (!residual) residual = c;
        else {
            sl_expr *a;
            OOM_IF(a = ex_new(bd, SL_EX_AND, SL_TYPE_BOOLEAN, 2));
            a->args[0] = residual;
            a->args[1] = c;
            residual = a;
        }
    }
    j->lkeys = lk;
    j->rkeys = rk;
    j->residual = residual;
    /* columns the range condition bounds by both sides' event time (an
     * auction's `expires` in Nexmark q4) carry event time too: an
     * aggregation keyed on one can close its groups (join_range.h) */
    for (int i = 0; i < n; i++) {
        int64_t lag;
        if (!j->evtime[i] && sl_join_col_bounded(j, i, &lag)) j->evtime[i] = sc->cols[i].evtime = true;
    }
    if (j->join_type == SL_JOIN_SEMI || j->join_type == SL_JOIN_ANTI) {
        /* only the left side's columns come out */
        sl_schema_truncate(j->schema, l->schema->n);
        sc->n = l->schema->n;
    }
    *out = j;
    return SL_OK;
}

static sl_status add_project(binder *bd, sl_plan *child, int n, sl_expr **exprs, const char **names,
                             sl_plan **out)
{
    sl_plan *p;
    OOM_IF(p = plan_new(bd, SL_PLAN_PROJECT, n));
    p->child[0] = child;
    p->streaming = child->streaming;
    p->n_exprs = n;
    p->exprs = exprs;
    for (int i = 0; i < n; i++) {
        if (sl_schema_set(p->schema, i, names[i], exprs[i]->type == SL_TYPE_NULL ? SL_TYPE_STRING : exprs[i]->type))
            return sl_err_oom(sl_bind_err);
        if (exprs[i]->type == SL_TYPE_NULL) exprs[i]->type = SL_TYPE_STRING;
        p->evtime[i] = exprs[i]->kind == SL_EX_COL && child->evtime[exprs[i]->col];
    }
    *out = p;
    return SL_OK;
}

/* Binds the GROUP BY window() call: window(ts, size[, slide]) or
 * session_window(ts, gap). */
static sl_status bind_window(binder *bd, const scope *sc, const sl_ast_expr *w, sl_plan *agg)
{
    const char *fn = w->name;
    bool session = !strcasecmp(fn, "session_window") || !strcasecmp(fn, "session");
    bool hop = !strcasecmp(fn, "hop");
    int need_min = 2, need_max = session ? 2 : 3;
    if (w->n_args < need_min || w->n_args > need_max)
        return bind_error(bd, w, SL_ERR_BIND, "%s() takes (time column, %s)", fn,
                          session ? "gap" : "window duration[, slide duration]");
    sl_expr *t;
    TRY(bind_expr(bd, sc, w->args[0], &t));
    if (t->type != SL_TYPE_TIMESTAMP)
        return bind_error(bd, w->args[0], SL_ERR_TYPE, "%s() needs a TIMESTAMP column, got %s", fn, sl_type_name(t->type));
    int64_t d[2] = {0, 0};
    for (int i = 1; i < w->n_args; i++) {
        const sl_ast_expr *a = w->args[i];
        sl_error tmp;
        if (a->kind == SL_AST_LIT_INTERVAL) d[i - 1] = a->ival;
        else if (a->kind != SL_AST_LIT_STRING || sl_parse_duration(a->str, &d[i - 1], &tmp) || d[i - 1] <= 0)
            return bind_error(bd, a, SL_ERR_BIND, "expected a duration such as '30 seconds'");
    }
    agg->win_time = t;
    if (session) {
        agg->win = SL_WIN_SESSION;
        agg->win_gap_us = d[0];
    } else {
        /* Flink's HOP(ts, slide, size) lists the slide first. */
        int64_t size = hop ? d[1] : d[0], slide = hop ? d[0] : d[1];
        agg->win_size_us = size;
        agg->win_slide_us = slide ? slide : size;
        agg->win = agg->win_slide_us == size ? SL_WIN_TUMBLE : SL_WIN_SLIDE;
        if (agg->win_slide_us > size)
            return bind_error(bd, w, SL_ERR_BIND, "the slide duration must not exceed the window duration");
    }
    return SL_OK;
}

static bool select_has_agg(const sl_ast_expr *a)
{
    if (a->kind == SL_AST_FUNC && a->over) return false; /* a window function */
    if (a->kind == SL_AST_FUNC && sl_agg_is_aggregate(a->name)) return true;
    for (int i = 0; i < a->n_args; i++)
        if (select_has_agg(a->args[i])) return true;
    return false;
}

/* The delay of the watermark declared on column `col` of p, or -1. */
static int64_t wm_delay_of(const sl_plan *p, int col)
{
    if (p->kind == SL_PLAN_SCAN) return col == p->src->wm_col ? p->src->wm_delay_us : -1;
    if (p->kind == SL_PLAN_WATERMARK && col == p->wm_col) return p->wm_delay_us;
    if (p->kind == SL_PLAN_PROJECT)
        return p->exprs[col]->kind == SL_EX_COL ? wm_delay_of(p->child[0], p->exprs[col]->col) : -1;
    if (p->kind == SL_PLAN_JOIN) {
        int nl = p->child[0]->schema->n;
        return col < nl ? wm_delay_of(p->child[0], col) : wm_delay_of(p->child[1], col - nl);
    }
    return p->child[0] && p->kind != SL_PLAN_AGG ? wm_delay_of(p->child[0], col) : -1;
}

/* True when every row p emits from now on has column col >= p's output
 * watermark + *lag, or is late: the column can close an aggregation's
 * groups. */
static bool col_closes(const sl_plan *p, int col, int64_t *lag)
{
    if (!p->evtime[col]) return false;
    switch (p->kind) {
    case SL_PLAN_JOIN: return sl_join_col_bounded(p, col, lag);
    case SL_PLAN_FILTER: case SL_PLAN_DEDUP: return col_closes(p->child[0], col, lag);
    case SL_PLAN_PROJECT:
        return p->exprs[col]->kind == SL_EX_COL && col_closes(p->child[0], p->exprs[col]->col, lag);
    default: return sl_plan_col_evtime(p, col, lag);
    }
}

/* The key of a window-less streaming aggregation that closes its groups
 * (plan.h, evkey1). */
static void set_evkey(sl_plan *agg)
{
    const sl_plan *in = agg->child[0];
    agg->evkey1 = 0;
    if (agg->win != SL_WIN_NONE || !agg->streaming || agg->per_batch) return;
    for (int i = 0; i < agg->n_keys; i++) {
        int64_t lag;
        if (agg->keys[i]->kind == SL_EX_COL && agg->keys[i]->type == SL_TYPE_TIMESTAMP &&
            col_closes(in, agg->keys[i]->col, &lag)) {
            agg->evkey1 = i + 1;
            return;
        }
    }
}

/* DEDUPLICATE BY keys [WITHIN WATERMARK]: Spark's dropDuplicates and
 * dropDuplicatesWithinWatermark, over the rows of FROM … WHERE. */
static sl_status bind_dedup(binder *bd, const sl_ast_select *sel, scope *sc, sl_plan **io)
{
    sl_plan *d;
    OOM_IF(d = plan_over(bd, SL_PLAN_DEDUP, *io));
    d->n_keys = sel->n_dedup;
    OOM_IF(d->keys = sl_arena_alloc(bd->arena, sizeof *d->keys * (size_t)sel->n_dedup));
    d->dedup_within = sel->dedup_within;
    d->dedup_evtime = d->dedup_key_evtime = -1;
    for (int i = 0; i < d->schema->n; i++)
        if (d->evtime[i] && d->dedup_evtime < 0) d->dedup_evtime = i;
    for (int i = 0; i < sel->n_dedup; i++) {
        TRY(bind_expr(bd, sc, sel->dedup[i], &d->keys[i]));
        if (d->keys[i]->kind == SL_EX_COL && d->evtime[d->keys[i]->col]) {
            d->dedup_key_evtime = i;
            d->dedup_evtime = d->keys[i]->col;
        }
    }
    if (d->dedup_within) {
        if (d->dedup_evtime < 0)
            return sl_bind_error(bd->cat, SL_ERR_PLAN, sel->dedup[0]->line, sel->dedup[0]->col,
                                 "DEDUPLICATE BY … WITHIN WATERMARK needs an input with a WATERMARK "
                                 "(Spark's dropDuplicatesWithinWatermark)");
        d->dedup_delay_us = wm_delay_of(*io, d->dedup_evtime);
        if (d->dedup_delay_us < 0) d->dedup_delay_us = 0;
    }
    *io = d;
    return SL_OK;
}

/* ---- window functions (OVER) ------------------------------------------- */

/* WHERE rn <= N (rn < N, rn = 1, N >= rn …) over a FROM whose column rn is
 * an unordered OVER's row_number(): that OVER keeps the top N rows of each
 * partition (plan.h, over_topn). */
static void find_topn(sl_plan *from, const sl_expr *pred)
{
    if (pred->kind == SL_EX_AND) {
        for (int i = 0; i < pred->n_args; i++) find_topn(from, pred->args[i]);
        return;
    }
    if (pred->kind != SL_EX_CMP || pred->n_args != 2) return;
    const sl_expr *a = pred->args[0], *b = pred->args[1];
    int op = pred->op;
    if (a->kind == SL_EX_LIT) { /* N >= rn */
        const sl_expr *t = a; a = b; b = t;
        op = op == SL_OP_GE ? SL_OP_LE : op == SL_OP_GT ? SL_OP_LT : op == SL_OP_EQ ? SL_OP_EQ : 0;
    }
    while (a->kind == SL_EX_CAST) a = a->args[0];
    while (b->kind == SL_EX_CAST) b = b->args[0];
    if (a->kind != SL_EX_COL || b->kind != SL_EX_LIT || b->lit_null || b->type == SL_TYPE_DOUBLE) return;
    int64_t n = op == SL_OP_LE ? b->lit_i64 : op == SL_OP_LT ? b->lit_i64 - 1 : op == SL_OP_EQ && b->lit_i64 == 1 ? 1 : 0;
    if (n < 1 || n > 100000) return;
    int col = a->col;
    sl_plan *p = from;
    for (;;) {
        if (p->kind == SL_PLAN_PROJECT) {
            if (p->exprs[col]->kind != SL_EX_COL) return;
            col = p->exprs[col]->col;
            p = p->child[0];
        } else if (p->kind == SL_PLAN_FILTER) {
            p = p->child[0];
        } else {
            break;
        }
    }
    if (p->kind != SL_PLAN_OVER || !p->over_unordered) return;
    int nc = p->child[0]->schema->n;
    if (col < nc || p->over_fn[col - nc] != SL_OVER_ROW_NUMBER) return;
    if (!p->over_topn || n < p->over_topn) p->over_topn = n;
}

static sl_status collect_over(binder *bd, const sl_ast_expr *a, const sl_ast_expr **calls, int *n, bool inside)
{
    if (a->kind == SL_AST_FUNC && a->over) {
        if (inside)
            return bind_error(bd, a, SL_ERR_BIND, "a window function cannot be nested in another one's arguments");
        if (*n == 64) return bind_error(bd, a, SL_ERR_BIND, "at most 64 window functions in a SELECT");
        calls[(*n)++] = a;
        inside = true;
    }
    for (int i = 0; i < a->n_args; i++) TRY(collect_over(bd, a->args[i], calls, n, inside));
    return SL_OK;
}

static bool same_over(const sl_ast_over *a, const sl_ast_over *b)
{
    if (a->n_part != b->n_part || a->n_order != b->n_order) return false;
    for (int i = 0; i < a->n_part; i++)
        if (!ast_equal(a->part[i], b->part[i])) return false;
    for (int i = 0; i < a->n_order; i++)
        if (!ast_equal(a->order[i], b->order[i]) || a->desc[i] != b->desc[i]) return false;
    return true;
}

/* One OVER operator for the window functions of a SELECT, over its FROM …
 * WHERE; *sc gains one column per function (bound by bind_expr through
 * bd->over_calls). */
static sl_status bind_over(binder *bd, scope *sc, const sl_ast_expr **calls, int n, sl_plan **io)
{
    const sl_ast_over *ov = calls[0]->over;
    for (int i = 1; i < n; i++) {
        if (!same_over(ov, calls[i]->over))
            return bind_error(bd, calls[i], SL_ERR_BIND,
                              "every window function of a SELECT needs the same PARTITION BY and ORDER BY "
                              "(compute the others in a view)");
    }
    sl_plan *child = *io, *o;
    int nc = child->schema->n;
    OOM_IF(o = plan_new(bd, SL_PLAN_OVER, nc + n));
    o->child[0] = child;
    o->streaming = child->streaming;
    o->line = calls[0]->line;
    o->col = calls[0]->col;
    for (int i = 0; i < nc; i++) {
        if (sl_schema_set(o->schema, i, child->schema->fields[i].name, child->schema->fields[i].type))
            return sl_err_oom(sl_bind_err);
        o->evtime[i] = child->evtime[i];
    }
    o->n_keys = ov->n_part;
    o->n_order = ov->n_order;
    OOM_IF(o->keys = sl_arena_alloc(bd->arena, sizeof *o->keys * (size_t)(ov->n_part + 1)));
    OOM_IF(o->order = sl_arena_alloc(bd->arena, sizeof *o->order * (size_t)ov->n_order));
    OOM_IF(o->order_desc = sl_arena_alloc(bd->arena, sizeof *o->order_desc * (size_t)ov->n_order));
    for (int i = 0; i < ov->n_part; i++) TRY(bind_expr(bd, sc, ov->part[i], &o->keys[i]));
    for (int i = 0; i < ov->n_order; i++) {
        TRY(bind_expr(bd, sc, ov->order[i], &o->order[i]));
        o->order_desc[i] = ov->desc[i];
        sl_type t = o->order[i]->type;
        if (t != SL_TYPE_INT && t != SL_TYPE_BIGINT && t != SL_TYPE_DOUBLE && t != SL_TYPE_TIMESTAMP &&
            t != SL_TYPE_DATE && t != SL_TYPE_BOOLEAN)
            return bind_error(bd, ov->order[i], SL_ERR_TYPE,
                              "an ORDER BY key of OVER (…) must be a number, TIMESTAMP, DATE or BOOLEAN, not %s",
                              sl_type_name(t));
    }
    if (o->streaming) {
        const sl_expr *t = o->order[0];
        bool only_rn = true;
        for (int i = 0; i < n; i++) only_rn &= !strcasecmp(calls[i]->name, "row_number");
        if (t->kind != SL_EX_COL || !child->evtime[t->col] || t->type != SL_TYPE_TIMESTAMP || o->order_desc[0]) {
            if (!only_rn)
                return bind_error(bd, ov->order[0], SL_ERR_PLAN,
                                  "on a stream, the first ORDER BY key of OVER (…) must be an event-time column (one "
                                  "with a WATERMARK) in ascending order: rows are released in that order as the "
                                  "watermark passes them");
            /* may still be a top-N: WHERE rn <= N above (bind_topn) */
            o->over_unordered = true;
            o->line = ov->order[0]->line;
            o->col = ov->order[0]->col;
        }
    }
    /* one frame for the operator: every function's that has one */
    const sl_ast_over *framed = NULL;
    for (int i = 0; i < n; i++) {
        const sl_ast_over *f = calls[i]->over;
        if (!f->has_frame) continue;
        if (framed && framed->preceding != f->preceding)
            return bind_error(bd, calls[i], SL_ERR_BIND,
                              "every window function of a SELECT needs the same frame (compute the others in a view)");
        framed = f;
    }
    o->over_preceding = framed ? framed->preceding : -1;
    o->n_aggs = n;
    OOM_IF(o->aggs = sl_arena_alloc(bd->arena, sizeof *o->aggs * (size_t)n));
    OOM_IF(o->over_fn = sl_arena_alloc(bd->arena, sizeof *o->over_fn * (size_t)n));
    static const struct { const char *name; sl_over_fn fn; } fns[] = {
        {"avg", SL_OVER_AVG}, {"mean", SL_OVER_AVG}, {"sum", SL_OVER_SUM}, {"count", SL_OVER_COUNT},
        {"min", SL_OVER_MIN}, {"max", SL_OVER_MAX}, {"row_number", SL_OVER_ROW_NUMBER}};
    for (int i = 0; i < n; i++) {
        const sl_ast_expr *c = calls[i];
        int f = -1;
        for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++)
            if (!strcasecmp(c->name, fns[k].name)) f = (int)k;
        if (f < 0)
            return bind_error(bd, c, SL_ERR_BIND,
                              "%s() OVER is not supported: the window functions are avg, sum, count, min, max "
                              "and row_number", c->name);
        sl_over_fn fn = fns[f].fn;
        o->over_fn[i] = fn;
        if (c->distinct) return bind_error(bd, c, SL_ERR_BIND, "DISTINCT is not supported in a window function");
        if (fn == SL_OVER_ROW_NUMBER) {
            if (c->n_args || c->star_arg) return bind_error(bd, c, SL_ERR_BIND, "row_number() takes no arguments");
            if (c->over->has_frame)
                return bind_error(bd, c, SL_ERR_BIND, "row_number() takes no frame (ROWS …)");
            o->aggs[i].type = SL_TYPE_BIGINT;
        } else {
            if (!c->over->has_frame)
                return bind_error(bd, c, SL_ERR_BIND,
                                  "%s() OVER (…) needs its frame: ROWS BETWEEN n PRECEDING AND CURRENT ROW (or "
                                  "UNBOUNDED PRECEDING); the SQL default, a RANGE frame, is not supported", c->name);
            bool star = c->star_arg && c->n_args == 0;
            if (star && fn != SL_OVER_COUNT) return bind_error(bd, c, SL_ERR_BIND, "%s(*) is not allowed", c->name);
            if (!star && c->n_args != 1) return bind_error(bd, c, SL_ERR_BIND, "%s() takes 1 argument", c->name);
            if (!star) TRY(bind_expr(bd, sc, c->args[0], &o->aggs[i].arg));
            sl_type at = star ? SL_TYPE_NULL : o->aggs[i].arg->type;
            bool num = at == SL_TYPE_INT || at == SL_TYPE_BIGINT || at == SL_TYPE_DOUBLE;
            switch (fn) {
            case SL_OVER_COUNT: o->aggs[i].type = SL_TYPE_BIGINT; break;
            case SL_OVER_AVG: case SL_OVER_SUM:
                if (!num)
                    return bind_error(bd, c->args[0], SL_ERR_TYPE, "%s() needs a number, got %s", c->name,
                                      sl_type_name(at));
                o->aggs[i].type = fn == SL_OVER_AVG || at == SL_TYPE_DOUBLE ? SL_TYPE_DOUBLE : SL_TYPE_BIGINT;
                break;
            default: /* min, max */
                if (!num && at != SL_TYPE_TIMESTAMP && at != SL_TYPE_DATE)
                    return bind_error(bd, c->args[0], SL_ERR_TYPE,
                                      "%s() OVER needs a number, TIMESTAMP or DATE, got %s", c->name, sl_type_name(at));
                o->aggs[i].type = at;
                break;
            }
        }
        if (sl_schema_set(o->schema, nc + i, sl_arena_printf(bd->arena, "__over%d", i), o->aggs[i].type))
            return sl_err_oom(sl_bind_err);
        o->evtime[nc + i] = false;
    }
    /* the scope: the child's columns, then the functions' (never by name) */
    scope ns = {.n = nc + n};
    OOM_IF(ns.cols = sl_arena_alloc(bd->arena, sizeof *ns.cols * (size_t)(nc + n)));
    memcpy(ns.cols, sc->cols, sizeof *ns.cols * (size_t)nc);
    for (int i = 0; i < n; i++)
        ns.cols[nc + i] = (scope_col){.qual = "", .name = o->schema->fields[nc + i].name, .type = o->aggs[i].type};
    *sc = ns;
    bd->n_over = n;
    bd->over_base = nc;
    bd->over_calls = calls;
    bd->over_plan = o;
    *io = o;
    return SL_OK;
}

static sl_status bind_select_scoped(binder *bd, const sl_ast_select *sel, sl_plan **out, scope *out_scope)
{
    sl_plan *p;
    scope sc;
    TRY(bind_from(bd, sel->from, &p, &sc));
    if (sel->where) {
        sl_expr *pred;
        TRY(bind_expr(bd, &sc, sel->where, &pred));
        TRY(bind_bool(bd, sel->where, pred, &pred));
        find_topn(p, pred);
        sl_plan *f;
        OOM_IF(f = plan_over(bd, SL_PLAN_FILTER, p));
        f->pred = pred;
        p = f;
    }
    if (sel->n_dedup) TRY(bind_dedup(bd, sel, &sc, &p));

    bool grouped = sel->n_group > 0 || sel->group_by_batch || sel->having;
    for (int i = 0; !grouped && i < sel->n_items; i++) grouped = select_has_agg(sel->items[i].expr);

    const sl_ast_expr **over_calls = NULL;
    int n_over = 0;
    for (int i = 0; i < sel->n_items; i++) {
        if (!over_calls) OOM_IF(over_calls = sl_arena_alloc(bd->arena, sizeof *over_calls * 64));
        TRY(collect_over(bd, sel->items[i].expr, over_calls, &n_over, false));
    }
    if (n_over && (grouped || sel->distinct))
        return bind_error(bd, over_calls[0], SL_ERR_BIND,
                          "window functions in a SELECT with GROUP BY, aggregates or DISTINCT are not supported: "
                          "aggregate in a view, then apply the window function to it");
    /* the binder state of an enclosing SELECT's window functions is not
     * this one's (a subquery in FROM was bound above already) */
    int save_n_over = bd->n_over;
    bd->n_over = 0;
    if (n_over) TRY(bind_over(bd, &sc, over_calls, n_over, &p));

    /* Items: expand stars, keep names. */
    int n_items = 0, cap = 0;
    for (int i = 0; i < sel->n_items; i++) cap += sel->items[i].expr->kind == SL_AST_STAR ? sc.n : 1;
    sl_expr **exprs = sl_arena_alloc(bd->arena, sizeof *exprs * (size_t)(cap ? cap : 1));
    const char **names = sl_arena_alloc(bd->arena, sizeof *names * (size_t)(cap ? cap : 1));
    OOM_IF(exprs && names);

    agg_ctx ac = {0};
    scope agg_scope = {0};
    sl_plan *agg = NULL;
    if (grouped) {
        OOM_IF(agg = plan_new(bd, SL_PLAN_AGG, 0));
        agg->child[0] = p;
        agg->streaming = p->streaming;
        agg->per_batch = sel->group_by_batch;
        agg->line = sel->line;
        agg->col = sel->col;
        ac.sel = sel;
        ac.win_ast = -1;
        ac.key_ast = sl_arena_alloc(bd->arena, sizeof *ac.key_ast * (size_t)(sel->n_group + 1));
        ac.keys = sl_arena_alloc(bd->arena, sizeof *ac.keys * (size_t)(sel->n_group + 1));
        OOM_IF(ac.key_ast && ac.keys);
        for (int i = 0; i < sel->n_group; i++) {
            const sl_ast_expr *g = sel->group[i];
            if (is_window_call(g)) {
                if (ac.win_ast >= 0) return bind_error(bd, g, SL_ERR_BIND, "only one window() per GROUP BY");
                ac.win_ast = i;
                TRY(bind_window(bd, &sc, g, agg));
                continue;
            }
            if (g->kind == SL_AST_LIT_INT && g->ival >= 1 && g->ival <= sel->n_items) /* GROUP BY 1 */
                g = sel->items[g->ival - 1].expr;
            ac.key_ast[ac.n_keys] = g;
            TRY(bind_expr(bd, &sc, g, &ac.keys[ac.n_keys]));
            ac.n_keys++;
        }
        ac.n_out_keys = ac.n_keys + (ac.win_ast >= 0 ? 2 : 0);
        agg->n_keys = ac.n_keys;
        agg->keys = ac.keys;
        agg->win_pos = ac.n_keys;
        agg_scope = sc;
        ac.in = &agg_scope;
        bd->agg = &ac;
    }

    sl_status st = SL_OK;
    for (int i = 0; i < sel->n_items && !st; i++) {
        const sl_ast_item *it = &sel->items[i];
        if (it->expr->kind == SL_AST_STAR) {
            if (grouped) { st = bind_error(bd, it->expr, SL_ERR_BIND, "SELECT * is not allowed with GROUP BY"); break; }
            int matched = 0;
            for (int c = 0; c < sc.n - n_over; c++) { /* not the window functions' columns */
                if (it->expr->qual && (!sc.cols[c].qual || strcasecmp(sc.cols[c].qual, it->expr->qual))) continue;
                if (!(exprs[n_items] = ex_col(bd, c, sc.cols[c].type))) { st = sl_err_oom(sl_bind_err); break; }
                names[n_items++] = sc.cols[c].name;
                matched++;
            }
            if (!st && !matched && it->expr->qual)
                st = bind_error(bd, it->expr, SL_ERR_BIND, "%s.* matches no columns", it->expr->qual);
            continue;
        }
        st = bind_expr(bd, &sc, it->expr, &exprs[n_items]);
        if (st) break;
        const char *nm = it->alias;
        if (!nm) {
            if (it->expr->kind == SL_AST_COLUMN && it->expr->qual && !strcasecmp(it->expr->qual, "window"))
                nm = sl_arena_printf(bd->arena, "window_%s", it->expr->name);
            else nm = expr_name(bd, it->expr);
        }
        names[n_items++] = nm;
    }
    sl_expr *having = NULL;
    if (!st && sel->having) {
        bd->having_of = sel;
        st = bind_expr(bd, &sc, sel->having, &having);
        bd->having_of = NULL;
        if (!st) st = bind_bool(bd, sel->having, having, &having);
    }
    bd->agg = NULL;
    bd->n_over = save_n_over;
    if (st) { sl_free(ac.aggs); sl_free(ac.agg_ast); sl_free(ac.agg_names); return st; }

    if (agg) {
        int n = ac.n_out_keys + ac.n_aggs;
        agg->schema = sl_schema_new(n); /* the empty one stays with the arena */
        if (agg->schema && sl_arena_on_fini(bd->arena, schema_free_cb, agg->schema)) {
            sl_schema_free(agg->schema);
            agg->schema = NULL;
        }
        agg->evtime = sl_arena_alloc(bd->arena, sizeof *agg->evtime * (size_t)(n ? n : 1));
        agg->aggs = sl_arena_alloc(bd->arena, sizeof *agg->aggs * (size_t)(ac.n_aggs ? ac.n_aggs : 1));
        if (!agg->schema || !agg->evtime || !agg->aggs) { sl_free(ac.aggs); sl_free(ac.agg_ast); sl_free(ac.agg_names); return sl_err_oom(sl_bind_err); }
        agg->n_aggs = ac.n_aggs;
        if (ac.n_aggs) memcpy(agg->aggs, ac.aggs, sizeof *agg->aggs * (size_t)ac.n_aggs);
        int k = 0;
        set_evkey(agg);
        for (int i = 0; i < ac.n_keys; i++, k++) {
            const sl_ast_expr *g = ac.key_ast[i];
            const char *nm = g->kind == SL_AST_COLUMN ? g->name : expr_name(bd, g);
            if (sl_schema_set(agg->schema, k, nm, ac.keys[i]->type)) st = sl_err_oom(sl_bind_err);
            agg->evtime[k] = agg->evkey1 == i + 1;
        }
        if (ac.win_ast >= 0) {
            if (sl_schema_set(agg->schema, k, "window_start", SL_TYPE_TIMESTAMP) ||
                sl_schema_set(agg->schema, k + 1, "window_end", SL_TYPE_TIMESTAMP))
                st = sl_err_oom(sl_bind_err);
            /* the window's end is the aggregate's output event time (Spark 3.4+) */
            agg->evtime[k] = false;
            agg->evtime[k + 1] = true;
            k += 2;
        }
        for (int i = 0; i < ac.n_aggs; i++, k++) {
            if (sl_schema_set(agg->schema, k, ac.agg_names[i], ac.aggs[i].type)) st = sl_err_oom(sl_bind_err);
            agg->evtime[k] = false;
        }
        sl_free(ac.aggs);
        sl_free(ac.agg_ast);
        sl_free(ac.agg_names);
        if (st) return st;
        p = agg;
        if (having) {
            sl_plan *f;
            OOM_IF(f = plan_over(bd, SL_PLAN_FILTER, p));
            f->pred = having;
            p = f;
        }
    }
    TRY(add_project(bd, p, n_items, exprs, names, &p));

    if (sel->distinct) {
        /* SELECT DISTINCT = a grouping on every column with no aggregates */
        sl_plan *d;
        int n = p->schema->n;
        OOM_IF(d = plan_new(bd, SL_PLAN_AGG, n));
        d->child[0] = p;
        d->streaming = p->streaming;
        d->n_keys = n;
        OOM_IF(d->keys = sl_arena_alloc(bd->arena, sizeof *d->keys * (size_t)(n ? n : 1)));
        for (int i = 0; i < n; i++) {
            OOM_IF(d->keys[i] = ex_col(bd, i, p->schema->fields[i].type));
            if (sl_schema_set(d->schema, i, p->schema->fields[i].name, p->schema->fields[i].type))
                return sl_err_oom(sl_bind_err);
            d->evtime[i] = p->evtime[i];
        }
        set_evkey(d);
        p = d;
    }
    *out = p;
    return scope_from_plan(bd, p, NULL, out_scope);
}

sl_status sl_bind_select(sl_catalog *cat, const sl_ast_select *sel, sl_arena *arena,
                         sl_plan **out, sl_error *err)
{
    binder bd = {.cat = cat, .arena = arena};
    sl_bind_err = err;
    scope sc;
    return bind_select_scoped(&bd, sel, out, &sc);
}
