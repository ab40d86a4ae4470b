/* The SQL parser: recursive descent over the tokens of lexer.c, building the
 * tree of ast.h in the script's arena.  The grammar is small (DDL for
 * sources, tables, views, sinks and models; SET; one SELECT form with joins,
 * GROUP BY, HAVING), so a hand-written parser gives better messages than a
 * generated one: every error names what was expected at the offending token
 * and shows it with a caret. */
#include "sql/ast.h"
#include "sql/lexer.h"
#include "core/buf.h"
#include "core/options.h"
#include "core/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct parser {
    sl_lexer lx;
    sl_tok tok;        /* current token */
    sl_arena *arena;
    sl_error *err;
    const char *origin;
    int depth;
} parser;

#define MAX_DEPTH 200

static sl_status advance(parser *ps) { return sl_lexer_next(&ps->lx, &ps->tok, ps->err); }

static sl_status syntax_error(parser *ps, const sl_tok *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static sl_status syntax_error(parser *ps, const sl_tok *at, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *near = at->kind == SL_TOK_EOF ? "end of input" : at->text;
    sl_err_at(ps->err, SL_ERR_PARSE, at->line, at->col, "%s, near \"%.40s\"", msg,
              near ? near : "");
    sl_sql_caret(ps->err, ps->lx.src, ps->origin, at->line, at->col);
    return SL_ERR_PARSE;
}

static int is_kw(parser *ps, const char *kw) { return sl_tok_is_kw(&ps->tok, kw); }
static int is_op(parser *ps, const char *op) { return sl_tok_is_op(&ps->tok, op); }

#define TRY(x) do { sl_status st_ = (x); if (st_) return st_; } while (0)
#define OOM_IF(p) do { if (!(p)) return sl_err_oom(ps->err); } while (0)

static sl_status expect_kw(parser *ps, const char *kw)
{
    if (!is_kw(ps, kw)) return syntax_error(ps, &ps->tok, "expected %s", kw);
    return advance(ps);
}

static sl_status expect_op(parser *ps, const char *op)
{
    if (!is_op(ps, op)) return syntax_error(ps, &ps->tok, "expected '%s'", op);
    return advance(ps);
}

/* Words that end an expression or clause, so they are never taken as an
 * alias written without AS. */
static int is_reserved(const sl_tok *t)
{
    static const char *const kw[] = {
        "select", "from", "where", "group", "having", "order", "limit", "join",
        "inner", "left", "right", "full", "outer", "on", "as", "and", "or", "not",
        "union", "with", "by", "semi", "anti", "cross", "deduplicate", "when",
        "then", "else", "end", "is", "in", "between", "like", "rlike", "case",
        "distinct", "window", NULL};
    if (t->kind != SL_TOK_IDENT) return 0;
    for (int i = 0; kw[i]; i++)
        if (strcasecmp(t->text, kw[i]) == 0) return 1;
    return 0;
}

/* A name: identifier or quoted identifier. */
static sl_status parse_name(parser *ps, const char **out, const char *what)
{
    if (ps->tok.kind != SL_TOK_IDENT && ps->tok.kind != SL_TOK_QIDENT)
        return syntax_error(ps, &ps->tok, "expected %s", what);
    *out = ps->tok.text;
    return advance(ps);
}

static sl_ast_expr *new_expr(parser *ps, sl_ast_kind kind, const sl_tok *at)
{
    sl_ast_expr *e = sl_arena_alloc(ps->arena, sizeof *e);
    if (!e) return NULL;
    e->kind = kind;
    e->line = at->line;
    e->col = at->col;
    return e;
}

static int set_args(parser *ps, sl_ast_expr *e, sl_ast_expr **args, int n)
{
    e->args = sl_arena_alloc(ps->arena, sizeof *args * (size_t)(n ? n : 1));
    if (!e->args) return -1;
    if (n) memcpy(e->args, args, sizeof *args * (size_t)n);
    e->n_args = n;
    return 0;
}

/* Growable array of expression pointers, built on the heap then moved into
 * the arena. */
typedef struct exprvec { sl_ast_expr **v; size_t n, cap; } exprvec;
static int ev_push(exprvec *ev, sl_ast_expr *e)
{
    if (sl_grow((void **)&ev->v, &ev->cap, ev->n + 1, sizeof *ev->v)) return -1;
    ev->v[ev->n++] = e;
    return 0;
}

static sl_status parse_expr(parser *ps, sl_ast_expr **out);
static sl_status parse_expr_list(parser *ps, sl_ast_expr ***out, int *out_n);

static sl_status parse_type(parser *ps, sl_type *out)
{
    static const struct { const char *name; sl_type t; } types[] = {
        {"boolean", SL_TYPE_BOOLEAN}, {"bool", SL_TYPE_BOOLEAN},
        {"int", SL_TYPE_INT}, {"integer", SL_TYPE_INT}, {"smallint", SL_TYPE_INT}, {"tinyint", SL_TYPE_INT},
        {"bigint", SL_TYPE_BIGINT}, {"long", SL_TYPE_BIGINT},
        {"double", SL_TYPE_DOUBLE}, {"float", SL_TYPE_DOUBLE}, {"real", SL_TYPE_DOUBLE}, {"decimal", SL_TYPE_DOUBLE},
        {"string", SL_TYPE_STRING}, {"varchar", SL_TYPE_STRING}, {"text", SL_TYPE_STRING}, {"char", SL_TYPE_STRING},
        {"timestamp", SL_TYPE_TIMESTAMP}, {"date", SL_TYPE_DATE},
    };
    if (ps->tok.kind == SL_TOK_IDENT)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(ps->tok.text, types[i].name) == 0) {
                *out = types[i].t;
                TRY(advance(ps));
                if (is_op(ps, "(")) { /* VARCHAR(10), DECIMAL(10,2): size ignored */
                    while (!is_op(ps, ")") && ps->tok.kind != SL_TOK_EOF) TRY(advance(ps));
                    TRY(expect_op(ps, ")"));
                }
                return SL_OK;
            }
    return syntax_error(ps, &ps->tok,
                        "expected a type (BOOLEAN, INT, BIGINT, DOUBLE, STRING, TIMESTAMP, DATE)");
}

/* INTERVAL '5' SECOND | INTERVAL '5 seconds' | INTERVAL 5 SECONDS */
static sl_status parse_interval(parser *ps, const sl_tok *at, int64_t *out_us)
{
    char text[256];
    if (ps->tok.kind == SL_TOK_STRING || ps->tok.kind == SL_TOK_INT || ps->tok.kind == SL_TOK_FLOAT)
        snprintf(text, sizeof text, "%s", ps->tok.text);
    else
        return syntax_error(ps, &ps->tok, "expected an interval such as INTERVAL '5' SECOND");
    TRY(advance(ps));
    if (ps->tok.kind == SL_TOK_IDENT && !is_reserved(&ps->tok)) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n, " %s", ps->tok.text);
        TRY(advance(ps));
    }
    sl_error tmp;
    if (sl_parse_duration(text, out_us, &tmp))
        return syntax_error(ps, at, "'%s' is not an interval (write e.g. INTERVAL '5' SECOND)", text);
    return SL_OK;
}

/* One frame bound: UNBOUNDED PRECEDING, n PRECEDING or CURRENT ROW
 * (*rows = -1, n, 0). */
static sl_status parse_frame_bound(parser *ps, int64_t *rows)
{
    sl_tok at = ps->tok;
    if (is_kw(ps, "current")) {
        TRY(advance(ps));
        TRY(expect_kw(ps, "row"));
        *rows = 0;
        return SL_OK;
    }
    if (is_kw(ps, "unbounded")) {
        TRY(advance(ps));
        *rows = -1;
    } else if (ps->tok.kind == SL_TOK_INT) {
        char *end;
        errno = 0;
        long long v = strtoll(ps->tok.text, &end, 10);
        if (errno || *end || v < 0 || v > 100000)
            return syntax_error(ps, &at, "a frame bound is a row count from 0 to 100000");
        *rows = v;
        TRY(advance(ps));
    } else {
        return syntax_error(ps, &at, "expected UNBOUNDED PRECEDING, n PRECEDING or CURRENT ROW");
    }
    if (is_kw(ps, "following"))
        return syntax_error(ps, &ps->tok, "a frame ends at CURRENT ROW on a stream: the rows after it have "
                                          "not arrived when the current one is emitted");
    return expect_kw(ps, "preceding");
}

/* OVER ([PARTITION BY e, …] ORDER BY e [ASC|DESC], … [ROWS frame]) */
static sl_status parse_over(parser *ps, sl_ast_over **out)
{
    sl_ast_over *o = sl_arena_alloc(ps->arena, sizeof *o);
    OOM_IF(o);
    o->line = ps->tok.line;
    o->col = ps->tok.col;
    TRY(advance(ps)); /* OVER */
    if (ps->tok.kind == SL_TOK_IDENT && !is_op(ps, "("))
        return syntax_error(ps, &ps->tok, "named windows (OVER w) are not supported: write OVER (…)");
    TRY(expect_op(ps, "("));
    if (is_kw(ps, "partition")) {
        TRY(advance(ps));
        TRY(expect_kw(ps, "by"));
        /* ORDER would parse as a column named "order" and the error would
         * land on the BY after it. */
        if (is_kw(ps, "order") || is_op(ps, ")"))
            return syntax_error(ps, &ps->tok, "PARTITION BY needs at least one expression");
        TRY(parse_expr_list(ps, &o->part, &o->n_part));
    }
    if (!is_kw(ps, "order"))
        return syntax_error(ps, &ps->tok, "expected ORDER BY in OVER (…): a window function on a stream needs "
                                          "the order of its rows");
    TRY(advance(ps));
    TRY(expect_kw(ps, "by"));
    exprvec ev = {0};
    bool desc[64];
    for (;;) {
        sl_ast_expr *x;
        sl_status st = ev.n == 64 ? syntax_error(ps, &ps->tok, "at most 64 ORDER BY keys") : parse_expr(ps, &x);
        if (!st && ev_push(&ev, x)) st = sl_err_oom(ps->err);
        if (!st) {
            desc[ev.n - 1] = is_kw(ps, "desc");
            if (is_kw(ps, "asc") || is_kw(ps, "desc")) st = advance(ps);
        }
        if (!st && is_kw(ps, "nulls")) st = syntax_error(ps, &ps->tok, "NULLS FIRST/LAST is not supported in OVER (…)");
        if (st) { sl_free(ev.v); return st; }
        if (!is_op(ps, ",")) break;
        if ((st = advance(ps))) { sl_free(ev.v); return st; }
    }
    o->n_order = (int)ev.n;
    o->order = sl_arena_alloc(ps->arena, sizeof *o->order * ev.n);
    o->desc = sl_arena_alloc(ps->arena, sizeof *o->desc * ev.n);
    if (!o->order || !o->desc) { sl_free(ev.v); return sl_err_oom(ps->err); }
    memcpy(o->order, ev.v, sizeof *o->order * ev.n);
    memcpy(o->desc, desc, sizeof *o->desc * ev.n);
    sl_free(ev.v);
    if (is_kw(ps, "range") || is_kw(ps, "groups"))
        return syntax_error(ps, &ps->tok, "only ROWS frames are supported (ROWS BETWEEN n PRECEDING AND CURRENT ROW)");
    if (is_kw(ps, "rows")) {
        TRY(advance(ps));
        o->has_frame = true;
        if (is_kw(ps, "between")) {
            TRY(advance(ps));
            TRY(parse_frame_bound(ps, &o->preceding));
            TRY(expect_kw(ps, "and"));
            sl_tok at = ps->tok;
            int64_t end;
            TRY(parse_frame_bound(ps, &end));
            if (end != 0)
                return syntax_error(ps, &at, "a frame ends at CURRENT ROW on a stream: the rows after it have "
                                             "not arrived when the current one is emitted");
        } else {
            TRY(parse_frame_bound(ps, &o->preceding));
        }
    }
    TRY(expect_op(ps, ")"));
    *out = o;
    return SL_OK;
}

static sl_status parse_primary(parser *ps, sl_ast_expr **out)
{
    sl_tok t = ps->tok;
    sl_ast_expr *e = NULL;
    switch (t.kind) {
    case SL_TOK_INT: {
        OOM_IF(e = new_expr(ps, SL_AST_LIT_INT, &t));
        errno = 0;
        long long v = strtoll(t.text, NULL, 10);
        if (errno) { e->kind = SL_AST_LIT_DOUBLE; e->dval = strtod(t.text, NULL); }
        else e->ival = v;
        TRY(advance(ps));
        break;
    }
    case SL_TOK_FLOAT:
        OOM_IF(e = new_expr(ps, SL_AST_LIT_DOUBLE, &t));
        e->dval = strtod(t.text, NULL);
        TRY(advance(ps));
        break;
    case SL_TOK_STRING:
        OOM_IF(e = new_expr(ps, SL_AST_LIT_STRING, &t));
        e->str = t.text;
        TRY(advance(ps));
        break;
    case SL_TOK_OP:
        if (is_op(ps, "(")) {
            TRY(advance(ps));
            TRY(parse_expr(ps, &e));
            TRY(expect_op(ps, ")"));
            break;
        }
        if (is_op(ps, "*")) {
            OOM_IF(e = new_expr(ps, SL_AST_STAR, &t));
            TRY(advance(ps));
            break;
        }
        return syntax_error(ps, &t, "expected an expression");
    case SL_TOK_IDENT:
    case SL_TOK_QIDENT: {
        if (t.kind == SL_TOK_IDENT) {
            if (sl_tok_is_kw(&t, "null")) { OOM_IF(e = new_expr(ps, SL_AST_LIT_NULL, &t)); TRY(advance(ps)); break; }
            if (sl_tok_is_kw(&t, "true") || sl_tok_is_kw(&t, "false")) {
                OOM_IF(e = new_expr(ps, SL_AST_LIT_BOOL, &t));
                e->ival = sl_tok_is_kw(&t, "true");
                TRY(advance(ps));
                break;
            }
            if (sl_tok_is_kw(&t, "interval")) {
                TRY(advance(ps));
                OOM_IF(e = new_expr(ps, SL_AST_LIT_INTERVAL, &t));
                TRY(parse_interval(ps, &t, &e->ival));
                break;
            }
            if ((sl_tok_is_kw(&t, "timestamp") || sl_tok_is_kw(&t, "date"))) {
                sl_lexer save = ps->lx;
                sl_tok save_tok = ps->tok;
                TRY(advance(ps));
                if (ps->tok.kind == SL_TOK_STRING) {
                    OOM_IF(e = new_expr(ps, SL_AST_CAST, &t));
                    sl_ast_expr *s;
                    OOM_IF(s = new_expr(ps, SL_AST_LIT_STRING, &ps->tok));
                    s->str = ps->tok.text;
                    OOM_IF(!set_args(ps, e, &s, 1));
                    e->cast_type = sl_tok_is_kw(&t, "date") ? SL_TYPE_DATE : SL_TYPE_TIMESTAMP;
                    TRY(advance(ps));
                    break;
                }
                ps->lx = save;
                ps->tok = save_tok;
            }
            if (sl_tok_is_kw(&t, "case")) {
                TRY(advance(ps));
                OOM_IF(e = new_expr(ps, SL_AST_CASE, &t));
                exprvec ev = {0};
                sl_ast_expr *x;
                sl_status st = SL_OK;
                if (!is_kw(ps, "when")) {
                    e->has_operand = true;
                    if ((st = parse_expr(ps, &x)) || ev_push(&ev, x)) goto case_fail;
                }
                if (!is_kw(ps, "when")) { st = syntax_error(ps, &ps->tok, "expected WHEN"); goto case_fail; }
                while (is_kw(ps, "when")) {
                    if ((st = advance(ps)) || (st = parse_expr(ps, &x))) goto case_fail;
                    if (ev_push(&ev, x)) goto case_oom;
                    if ((st = expect_kw(ps, "then")) || (st = parse_expr(ps, &x))) goto case_fail;
                    if (ev_push(&ev, x)) goto case_oom;
                }
                if (is_kw(ps, "else")) {
                    e->has_else = true;
                    if ((st = advance(ps)) || (st = parse_expr(ps, &x))) goto case_fail;
                    if (ev_push(&ev, x)) goto case_oom;
                }
                if ((st = expect_kw(ps, "end"))) goto case_fail;
                if (set_args(ps, e, ev.v, (int)ev.n)) goto case_oom;
                sl_free(ev.v);
                break;
            case_oom:
                st = sl_err_oom(ps->err);
            case_fail:
                sl_free(ev.v);
                return st;
            }
            if (sl_tok_is_kw(&t, "cast")) {
                TRY(advance(ps));
                TRY(expect_op(ps, "("));
                OOM_IF(e = new_expr(ps, SL_AST_CAST, &t));
                sl_ast_expr *x;
                TRY(parse_expr(ps, &x));
                TRY(expect_kw(ps, "as"));
                TRY(parse_type(ps, &e->cast_type));
                TRY(expect_op(ps, ")"));
                OOM_IF(!set_args(ps, e, &x, 1));
                break;
            }
        }
        /* name, qualified name, t.*, or function call; clause keywords
         * cannot start an expression */
        if (t.kind == SL_TOK_IDENT) {
            static const char *const clause[] = {"from", "where", "group", "having", "select", "join", "on",
                                                 "by", "then", "else", "end", "when", "and", "or", NULL};
            for (int i = 0; clause[i]; i++)
                if (sl_tok_is_kw(&t, clause[i])) return syntax_error(ps, &t, "expected an expression");
        }
        TRY(advance(ps));
        if (is_op(ps, "(") && t.kind == SL_TOK_IDENT) {
            TRY(advance(ps));
            OOM_IF(e = new_expr(ps, SL_AST_FUNC, &t));
            e->name = t.text;
            exprvec ev = {0};
            if (is_kw(ps, "distinct")) { e->distinct = true; TRY(advance(ps)); }
            if (is_op(ps, "*") ) {
                /* count(*) — and predict(m, *) below */
                e->star_arg = true;
                TRY(advance(ps));
            }
            while (!is_op(ps, ")")) {
                if (ev.n || e->star_arg) {
                    if (!is_op(ps, ",")) { sl_free(ev.v); return syntax_error(ps, &ps->tok, "expected ',' or ')' in the arguments of %s()", t.text); }
                    sl_status st = advance(ps);
                    if (st) { sl_free(ev.v); return st; }
                }
                sl_ast_expr *x;
                sl_status st = parse_expr(ps, &x);
                if (st) { sl_free(ev.v); return st; }
                if (ev_push(&ev, x)) { sl_free(ev.v); return sl_err_oom(ps->err); }
            }
            sl_status st = advance(ps);
            if (st || set_args(ps, e, ev.v, (int)ev.n)) { sl_free(ev.v); return st ? st : sl_err_oom(ps->err); }
            sl_free(ev.v);
            if (is_kw(ps, "over")) TRY(parse_over(ps, &e->over));
            break;
        }
        OOM_IF(e = new_expr(ps, SL_AST_COLUMN, &t));
        e->name = t.text;
        if (is_op(ps, ".")) {
            TRY(advance(ps));
            if (is_op(ps, "*")) {
                e->kind = SL_AST_STAR;
                e->qual = t.text;
                e->name = NULL;
                TRY(advance(ps));
                break;
            }
            const char *field = NULL;
            TRY(parse_name(ps, &field, "a column name after '.'"));
            e->qual = t.text;
            e->name = field;
        }
        break;
    }
    case SL_TOK_EOF:
        return syntax_error(ps, &t, "unexpected end of input, expected an expression");
    }
    /* postfix x::type */
    while (is_op(ps, "::")) {
        sl_tok at = ps->tok;
        TRY(advance(ps));
        sl_ast_expr *c;
        OOM_IF(c = new_expr(ps, SL_AST_CAST, &at));
        TRY(parse_type(ps, &c->cast_type));
        OOM_IF(!set_args(ps, c, &e, 1));
        c->line = e->line;
        c->col = e->col;
        e = c;
    }
    *out = e;
    return SL_OK;
}

static sl_status parse_unary(parser *ps, sl_ast_expr **out)
{
    if (is_op(ps, "-") || is_op(ps, "+")) {
        sl_tok t = ps->tok;
        TRY(advance(ps));
        sl_ast_expr *x;
        TRY(parse_unary(ps, &x));
        if (t.text[0] == '+') { *out = x; return SL_OK; }
        if (x->kind == SL_AST_LIT_INT) { x->ival = -x->ival; x->line = t.line; x->col = t.col; *out = x; return SL_OK; }
        if (x->kind == SL_AST_LIT_DOUBLE) { x->dval = -x->dval; x->line = t.line; x->col = t.col; *out = x; return SL_OK; }
        sl_ast_expr *e;
        OOM_IF(e = new_expr(ps, SL_AST_UNARY, &t));
        e->op = SL_OP_NEG;
        OOM_IF(!set_args(ps, e, &x, 1));
        *out = e;
        return SL_OK;
    }
    return parse_primary(ps, out);
}

static sl_status binary(parser *ps, int op, const sl_tok *at, sl_ast_expr *l, sl_ast_expr *r, sl_ast_expr **out)
{
    sl_ast_expr *e;
    OOM_IF(e = new_expr(ps, SL_AST_BINARY, at));
    e->op = op;
    e->line = l->line;
    e->col = l->col;
    sl_ast_expr *a[2] = {l, r};
    OOM_IF(!set_args(ps, e, a, 2));
    *out = e;
    return SL_OK;
}

static sl_status parse_mul(parser *ps, sl_ast_expr **out)
{
    sl_ast_expr *l, *r;
    TRY(parse_unary(ps, &l));
    for (;;) {
        int op = is_op(ps, "*") ? SL_OP_MUL : is_op(ps, "/") ? SL_OP_DIV :
                 is_op(ps, "%") ? SL_OP_MOD : is_kw(ps, "div") ? SL_OP_DIV : 0;
        if (!op) break;
        sl_tok t = ps->tok;
        TRY(advance(ps));
        TRY(parse_unary(ps, &r));
        TRY(binary(ps, op, &t, l, r, &l));
    }
    *out = l;
    return SL_OK;
}

static sl_status parse_add(parser *ps, sl_ast_expr **out)
{
    sl_ast_expr *l, *r;
    TRY(parse_mul(ps, &l));
    for (;;) {
        int op = is_op(ps, "+") ? SL_OP_ADD : is_op(ps, "-") ? SL_OP_SUB :
                 is_op(ps, "||") ? SL_OP_CONCAT : 0;
        if (!op) break;
        sl_tok t = ps->tok;
        TRY(advance(ps));
        TRY(parse_mul(ps, &r));
        TRY(binary(ps, op, &t, l, r, &l));
    }
    *out = l;
    return SL_OK;
}

static sl_status parse_cmp(parser *ps, sl_ast_expr **out)
{
    sl_ast_expr *l, *r;
    TRY(parse_add(ps, &l));
    for (;;) {
        sl_tok t = ps->tok;
        int op = is_op(ps, "=") || is_op(ps, "==") ? SL_OP_EQ :
                 is_op(ps, "<>") || is_op(ps, "!=") ? SL_OP_NE :
                 is_op(ps, "<") ? SL_OP_LT : is_op(ps, "<=") ? SL_OP_LE :
                 is_op(ps, ">") ? SL_OP_GT : is_op(ps, ">=") ? SL_OP_GE :
                 is_op(ps, "<=>") ? SL_OP_NULLSAFE_EQ : 0;
        if (op) {
            TRY(advance(ps));
            TRY(parse_add(ps, &r));
            TRY(binary(ps, op, &t, l, r, &l));
            continue;
        }
        bool negated = false;
        if (is_kw(ps, "is")) {
            TRY(advance(ps));
            if (is_kw(ps, "not")) { negated = true; TRY(advance(ps)); }
            TRY(expect_kw(ps, "null"));
            sl_ast_expr *e;
            OOM_IF(e = new_expr(ps, SL_AST_IS_NULL, &t));
            e->negated = negated;
            e->line = l->line; e->col = l->col;
            OOM_IF(!set_args(ps, e, &l, 1));
            l = e;
            continue;
        }
        if (is_kw(ps, "not")) {
            /* NOT BETWEEN / NOT IN / NOT LIKE */
            sl_lexer save = ps->lx;
            sl_tok save_tok = ps->tok;
            TRY(advance(ps));
            if (!is_kw(ps, "between") && !is_kw(ps, "in") && !is_kw(ps, "like") && !is_kw(ps, "rlike")) {
                ps->lx = save;
                ps->tok = save_tok;
                break;
            }
            negated = true;
        }
        if (is_kw(ps, "between")) {
            TRY(advance(ps));
            sl_ast_expr *lo, *hi, *e;
            TRY(parse_add(ps, &lo));
            TRY(expect_kw(ps, "and"));
            TRY(parse_add(ps, &hi));
            OOM_IF(e = new_expr(ps, SL_AST_BETWEEN, &t));
            e->negated = negated;
            e->line = l->line; e->col = l->col;
            sl_ast_expr *a[3] = {l, lo, hi};
            OOM_IF(!set_args(ps, e, a, 3));
            l = e;
            continue;
        }
        if (is_kw(ps, "in")) {
            TRY(advance(ps));
            TRY(expect_op(ps, "("));
            exprvec ev = {0};
            if (ev_push(&ev, l)) return sl_err_oom(ps->err);
            for (;;) {
                sl_ast_expr *x;
                sl_status st = parse_expr(ps, &x);
                if (st) { sl_free(ev.v); return st; }
                if (ev_push(&ev, x)) { sl_free(ev.v); return sl_err_oom(ps->err); }
                if (is_op(ps, ",")) { if ((st = advance(ps))) { sl_free(ev.v); return st; } continue; }
                break;
            }
            sl_status st = expect_op(ps, ")");
            sl_ast_expr *e = st ? NULL : new_expr(ps, SL_AST_IN, &t);
            if (st || !e || set_args(ps, e, ev.v, (int)ev.n)) { sl_free(ev.v); return st ? st : sl_err_oom(ps->err); }
            sl_free(ev.v);
            e->negated = negated;
            e->line = l->line; e->col = l->col;
            l = e;
            continue;
        }
        if (is_kw(ps, "like") || is_kw(ps, "rlike")) {
            int kind = is_kw(ps, "like") ? 'L' : 'R';
            TRY(advance(ps));
            sl_ast_expr *pat, *e, *esc = NULL;
            TRY(parse_add(ps, &pat));
            if (kind == 'L' && is_kw(ps, "escape")) {
                /* LIKE pattern ESCAPE 'c'; "escape" without a string after
                 * it is not the clause (it may be a column alias) */
                sl_lexer save = ps->lx;
                sl_tok save_tok = ps->tok;
                TRY(advance(ps));
                if (ps->tok.kind == SL_TOK_STRING) {
                    OOM_IF(esc = new_expr(ps, SL_AST_LIT_STRING, &ps->tok));
                    esc->str = ps->tok.text;
                    TRY(advance(ps));
                } else {
                    ps->lx = save;
                    ps->tok = save_tok;
                }
            }
            OOM_IF(e = new_expr(ps, SL_AST_LIKE, &t));
            e->op = kind;
            e->negated = negated;
            e->line = l->line; e->col = l->col;
            sl_ast_expr *a[3] = {l, pat, esc};
            OOM_IF(!set_args(ps, e, a, esc ? 3 : 2));
            l = e;
            continue;
        }
        break;
    }
    *out = l;
    return SL_OK;
}

static sl_status parse_not(parser *ps, sl_ast_expr **out)
{
    if (is_kw(ps, "not")) {
        sl_tok t = ps->tok;
        TRY(advance(ps));
        sl_ast_expr *x, *e;
        TRY(parse_not(ps, &x));
        OOM_IF(e = new_expr(ps, SL_AST_UNARY, &t));
        e->op = SL_OP_NOT;
        OOM_IF(!set_args(ps, e, &x, 1));
        *out = e;
        return SL_OK;
    }
    return parse_cmp(ps, out);
}

static sl_status parse_and(parser *ps, sl_ast_expr **out)
{
    sl_ast_expr *l, *r;
    TRY(parse_not(ps, &l));
    while (is_kw(ps, "and")) {
        sl_tok t = ps->tok;
        TRY(advance(ps));
        TRY(parse_not(ps, &r));
        TRY(binary(ps, SL_OP_AND, &t, l, r, &l));
    }
    *out = l;
    return SL_OK;
}

static sl_status parse_expr(parser *ps, sl_ast_expr **out)
{
    if (++ps->depth > MAX_DEPTH) {
        ps->depth--;
        return syntax_error(ps, &ps->tok, "expression nested too deeply");
    }
    const char *start = ps->tok.start;
    sl_ast_expr *l, *r;
    sl_status st = parse_and(ps, &l);
    while (!st && is_kw(ps, "or")) {
        sl_tok t = ps->tok;
        if ((st = advance(ps)) || (st = parse_and(ps, &r))) break;
        st = binary(ps, SL_OP_OR, &t, l, r, &l);
    }
    ps->depth--;
    if (st) return st;
    /* Keep the source text for naming unaliased columns, as Spark does. */
    const char *end = ps->tok.start;
    while (end > start && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\t' || end[-1] == '\r')) end--;
    if (!l->text) OOM_IF(l->text = sl_arena_strndup(ps->arena, start, (size_t)(end - start)));
    *out = l;
    return SL_OK;
}

/* ---- SELECT ------------------------------------------------------------ */

static sl_status parse_select(parser *ps, sl_ast_select **out);

static sl_status parse_from_item(parser *ps, sl_ast_from **out)
{
    sl_ast_from *f = sl_arena_alloc(ps->arena, sizeof *f);
    OOM_IF(f);
    f->line = ps->tok.line;
    f->col = ps->tok.col;
    if (is_op(ps, "(")) {
        TRY(advance(ps));
        f->kind = SL_FROM_SUBQUERY;
        TRY(parse_select(ps, &f->sub));
        TRY(expect_op(ps, ")"));
    } else {
        f->kind = SL_FROM_TABLE;
        TRY(parse_name(ps, &f->name, "a source, table or view name"));
    }
    if (is_kw(ps, "as")) {
        TRY(advance(ps));
        TRY(parse_name(ps, &f->alias, "an alias"));
    } else if ((ps->tok.kind == SL_TOK_IDENT && !is_reserved(&ps->tok)) || ps->tok.kind == SL_TOK_QIDENT) {
        TRY(parse_name(ps, &f->alias, "an alias"));
    }
    *out = f;
    return SL_OK;
}

static sl_status parse_from(parser *ps, sl_ast_from **out)
{
    sl_ast_from *l;
    TRY(parse_from_item(ps, &l));
    for (;;) {
        sl_join_type jt = SL_JOIN_INNER;
        sl_tok at = ps->tok;
        if (is_kw(ps, "join")) {
        } else if (is_kw(ps, "inner")) {
            TRY(advance(ps));
        } else if (is_kw(ps, "left") || is_kw(ps, "right") || is_kw(ps, "full")) {
            jt = is_kw(ps, "left") ? SL_JOIN_LEFT : is_kw(ps, "right") ? SL_JOIN_RIGHT : SL_JOIN_FULL;
            TRY(advance(ps));
            if (is_kw(ps, "outer")) TRY(advance(ps));
            else if (jt == SL_JOIN_LEFT && is_kw(ps, "semi")) { jt = SL_JOIN_SEMI; TRY(advance(ps)); }
            else if (jt == SL_JOIN_LEFT && is_kw(ps, "anti")) { jt = SL_JOIN_ANTI; TRY(advance(ps)); }
        } else {
            break;
        }
        TRY(expect_kw(ps, "join"));
        sl_ast_from *j = sl_arena_alloc(ps->arena, sizeof *j);
        OOM_IF(j);
        j->kind = SL_FROM_JOIN;
        j->join_type = jt;
        j->line = at.line;
        j->col = at.col;
        j->left = l;
        TRY(parse_from_item(ps, &j->right));
        TRY(expect_kw(ps, "on"));
        TRY(parse_expr(ps, &j->on));
        l = j;
    }
    *out = l;
    return SL_OK;
}

static sl_status parse_expr_list(parser *ps, sl_ast_expr ***out, int *out_n)
{
    exprvec ev = {0};
    for (;;) {
        sl_ast_expr *x;
        sl_status st = parse_expr(ps, &x);
        if (st) { sl_free(ev.v); return st; }
        if (ev_push(&ev, x)) { sl_free(ev.v); return sl_err_oom(ps->err); }
        if (!is_op(ps, ",")) break;
        if ((st = advance(ps))) { sl_free(ev.v); return st; }
    }
    *out = sl_arena_alloc(ps->arena, sizeof **out * ev.n);
    if (!*out) { sl_free(ev.v); return sl_err_oom(ps->err); }
    memcpy(*out, ev.v, sizeof **out * ev.n);
    *out_n = (int)ev.n;
    sl_free(ev.v);
    return SL_OK;
}

static sl_status parse_select(parser *ps, sl_ast_select **out)
{
    sl_ast_select *s = sl_arena_alloc(ps->arena, sizeof *s);
    OOM_IF(s);
    s->line = ps->tok.line;
    s->col = ps->tok.col;
    TRY(expect_kw(ps, "select"));
    if (is_kw(ps, "distinct")) { s->distinct = true; TRY(advance(ps)); }
    else if (is_kw(ps, "all")) TRY(advance(ps));
    size_t cap = 0;
    sl_ast_item *items = NULL;
    for (;;) {
        sl_ast_item it = {0};
        sl_status st = parse_expr(ps, &it.expr);
        if (!st && is_kw(ps, "as")) {
            if (!(st = advance(ps))) st = parse_name(ps, &it.alias, "an alias after AS");
        } else if (!st && ((ps->tok.kind == SL_TOK_IDENT && !is_reserved(&ps->tok)) ||
                           ps->tok.kind == SL_TOK_QIDENT)) {
            st = parse_name(ps, &it.alias, "an alias");
        }
        if (!st && sl_grow((void **)&items, &cap, (size_t)s->n_items + 1, sizeof *items))
            st = sl_err_oom(ps->err);
        if (st) { sl_free(items); return st; }
        items[s->n_items++] = it;
        if (!is_op(ps, ",")) break;
        if ((st = advance(ps))) { sl_free(items); return st; }
    }
    s->items = sl_arena_alloc(ps->arena, sizeof *items * (size_t)s->n_items);
    if (!s->items) { sl_free(items); return sl_err_oom(ps->err); }
    memcpy(s->items, items, sizeof *items * (size_t)s->n_items);
    sl_free(items);

    TRY(expect_kw(ps, "from"));
    TRY(parse_from(ps, &s->from));
    if (is_kw(ps, "where")) {
        TRY(advance(ps));
        TRY(parse_expr(ps, &s->where));
    }
    if (is_kw(ps, "group")) {
        TRY(advance(ps));
        TRY(expect_kw(ps, "by"));
        if (is_kw(ps, "batch")) {
            s->group_by_batch = true;
            TRY(advance(ps));
            if (is_op(ps, ",")) {
                TRY(advance(ps));
                TRY(parse_expr_list(ps, &s->group, &s->n_group));
            }
        } else {
            TRY(parse_expr_list(ps, &s->group, &s->n_group));
        }
    }
    if (is_kw(ps, "having")) {
        TRY(advance(ps));
        TRY(parse_expr(ps, &s->having));
    }
    if (is_kw(ps, "deduplicate")) {
        TRY(advance(ps));
        TRY(expect_kw(ps, "by"));
        TRY(parse_expr_list(ps, &s->dedup, &s->n_dedup));
        if (is_kw(ps, "within")) {
            TRY(advance(ps));
            TRY(expect_kw(ps, "watermark"));
            s->dedup_within = true;
        }
    }
    *out = s;
    return SL_OK;
}

/* ---- statements -------------------------------------------------------- */

/* WITH ( name = value, … ) — names may be identifiers, dotted identifiers
 * or strings; values strings, numbers or identifiers. */
static sl_status parse_options(parser *ps, sl_ast_stmt *stmt)
{
    TRY(expect_op(ps, "("));
    size_t cap = 0;
    sl_ast_opt *opts = NULL;
    sl_status st = SL_OK;
    while (!is_op(ps, ")")) {
        sl_ast_opt o = {0};
        o.line = ps->tok.line;
        o.col = ps->tok.col;
        if (stmt->n_opts && (st = expect_op(ps, ","))) break;
        if (ps->tok.kind == SL_TOK_STRING || ps->tok.kind == SL_TOK_QIDENT) {
            o.name = ps->tok.text;
            if ((st = advance(ps))) break;
        } else if (ps->tok.kind == SL_TOK_IDENT) {
            sl_buf b;
            sl_buf_init(&b);
            sl_buf_puts(&b, ps->tok.text);
            st = advance(ps);
            while (!st && is_op(ps, ".")) {
                if ((st = advance(ps))) break;
                if (ps->tok.kind != SL_TOK_IDENT) { st = syntax_error(ps, &ps->tok, "expected an option name"); break; }
                sl_buf_putc(&b, '.');
                sl_buf_puts(&b, ps->tok.text);
                st = advance(ps);
            }
            /* A failed append leaves a shorter name: that must be an
             * out-of-memory error, never a different option. */
            o.name = st || b.oom ? NULL : sl_arena_strndup(ps->arena, b.data, b.len);
            sl_buf_fini(&b);
            if (st) break;
            if (!o.name) { st = sl_err_oom(ps->err); break; }
        } else {
            st = syntax_error(ps, &ps->tok, "expected an option name such as connector or 'bootstrap.servers'");
            break;
        }
        if ((st = expect_op(ps, "="))) break;
        if (ps->tok.kind == SL_TOK_STRING || ps->tok.kind == SL_TOK_INT || ps->tok.kind == SL_TOK_FLOAT ||
            ps->tok.kind == SL_TOK_IDENT) {
            o.value = ps->tok.text;
            if ((st = advance(ps))) break;
        } else {
            st = syntax_error(ps, &ps->tok, "expected a value for option '%s'", o.name);
            break;
        }
        if (sl_grow((void **)&opts, &cap, (size_t)stmt->n_opts + 1, sizeof *opts)) { st = sl_err_oom(ps->err); break; }
        opts[stmt->n_opts++] = o;
    }
    if (!st) st = expect_op(ps, ")");
    if (!st) {
        stmt->opts = sl_arena_alloc(ps->arena, sizeof *opts * (size_t)(stmt->n_opts ? stmt->n_opts : 1));
        if (!stmt->opts) st = sl_err_oom(ps->err);
        else if (stmt->n_opts) memcpy(stmt->opts, opts, sizeof *opts * (size_t)stmt->n_opts);
    }
    sl_free(opts);
    return st;
}

/* WATERMARK FOR col AS col - INTERVAL '5' SECOND */
static sl_status parse_watermark(parser *ps, sl_ast_watermark *wm)
{
    wm->line = ps->tok.line;
    wm->col = ps->tok.col;
    TRY(expect_kw(ps, "watermark"));
    TRY(expect_kw(ps, "for"));
    TRY(parse_name(ps, &wm->column, "the event-time column"));
    TRY(expect_kw(ps, "as"));
    const char *again = NULL;
    sl_tok at = ps->tok;
    TRY(parse_name(ps, &again, "the event-time column"));
    if (strcasecmp(again, wm->column) != 0)
        return syntax_error(ps, &at, "the watermark must be written as %s - INTERVAL '…'", wm->column);
    if (is_op(ps, "-")) {
        TRY(advance(ps));
        sl_tok it = ps->tok;
        TRY(expect_kw(ps, "interval"));
        TRY(parse_interval(ps, &it, &wm->delay_us));
    }
    return SL_OK;
}

static sl_status parse_columns(parser *ps, sl_ast_stmt *stmt)
{
    TRY(expect_op(ps, "("));
    size_t cap = 0;
    sl_ast_coldef *cols = NULL;
    sl_status st = SL_OK;
    for (;;) {
        if (is_kw(ps, "watermark")) {
            if ((st = parse_watermark(ps, &stmt->wm))) break;
        } else {
            sl_ast_coldef c = {0};
            c.line = ps->tok.line;
            c.col = ps->tok.col;
            if ((st = parse_name(ps, &c.name, "a column name")) || (st = parse_type(ps, &c.type))) break;
            if (is_kw(ps, "not")) { /* NOT NULL accepted and ignored: streams carry NULLs */
                if ((st = advance(ps)) || (st = expect_kw(ps, "null"))) break;
            }
            if (sl_grow((void **)&cols, &cap, (size_t)stmt->n_cols + 1, sizeof *cols)) { st = sl_err_oom(ps->err); break; }
            cols[stmt->n_cols++] = c;
        }
        if (!is_op(ps, ",")) break;
        if ((st = advance(ps))) break;
    }
    if (!st) st = expect_op(ps, ")");
    if (!st) {
        stmt->cols = sl_arena_alloc(ps->arena, sizeof *cols * (size_t)(stmt->n_cols ? stmt->n_cols : 1));
        if (!stmt->cols) st = sl_err_oom(ps->err);
        else if (stmt->n_cols) memcpy(stmt->cols, cols, sizeof *cols * (size_t)stmt->n_cols);
    }
    sl_free(cols);
    return st;
}

static sl_status parse_stmt(parser *ps, sl_ast_stmt **out)
{
    sl_ast_stmt *stmt = sl_arena_alloc(ps->arena, sizeof *stmt);
    OOM_IF(stmt);
    stmt->line = ps->tok.line;
    stmt->col = ps->tok.col;
    if (is_kw(ps, "set")) {
        stmt->kind = SL_STMT_SET;
        TRY(advance(ps));
        sl_ast_opt tmp[1];
        /* reuse the option grammar for one pair */
        if (ps->tok.kind != SL_TOK_STRING && ps->tok.kind != SL_TOK_IDENT && ps->tok.kind != SL_TOK_QIDENT)
            return syntax_error(ps, &ps->tok, "expected SET 'key' = 'value'");
        sl_buf b;
        sl_buf_init(&b);
        sl_buf_puts(&b, ps->tok.text);
        sl_status st = advance(ps);
        while (!st && is_op(ps, ".")) {
            if ((st = advance(ps))) break;
            sl_buf_putc(&b, '.');
            sl_buf_puts(&b, ps->tok.text);
            st = advance(ps);
        }
        tmp[0].name = st || b.oom ? NULL : sl_arena_strndup(ps->arena, b.data, b.len);
        sl_buf_fini(&b);
        if (st) return st;
        OOM_IF(tmp[0].name);
        TRY(expect_op(ps, "="));
        if (ps->tok.kind == SL_TOK_EOF || ps->tok.kind == SL_TOK_OP)
            return syntax_error(ps, &ps->tok, "expected a value for SET %s", tmp[0].name);
        stmt->set_key = tmp[0].name;
        stmt->set_value = ps->tok.text;
        TRY(advance(ps));
        *out = stmt;
        return SL_OK;
    }
    TRY(expect_kw(ps, "create"));
    if (is_kw(ps, "or")) { /* CREATE OR REPLACE: accepted, every name is new per script */
        TRY(advance(ps));
        TRY(expect_kw(ps, "replace"));
    }
    if (is_kw(ps, "temporary") || is_kw(ps, "temp")) TRY(advance(ps));
    if (is_kw(ps, "source") || is_kw(ps, "stream")) {
        stmt->kind = SL_STMT_CREATE_SOURCE;
    } else if (is_kw(ps, "table")) {
        stmt->kind = SL_STMT_CREATE_TABLE;
    } else if (is_kw(ps, "view")) {
        stmt->kind = SL_STMT_CREATE_VIEW;
    } else if (is_kw(ps, "sink")) {
        stmt->kind = SL_STMT_CREATE_SINK;
    } else if (is_kw(ps, "model")) {
        stmt->kind = SL_STMT_CREATE_MODEL;
    } else {
        return syntax_error(ps, &ps->tok, "expected SOURCE, TABLE, VIEW, SINK or MODEL after CREATE");
    }
    TRY(advance(ps));
    TRY(parse_name(ps, &stmt->name, "a name"));
    switch (stmt->kind) {
    case SL_STMT_CREATE_SOURCE:
    case SL_STMT_CREATE_TABLE:
        TRY(parse_columns(ps, stmt));
        TRY(expect_kw(ps, "with"));
        TRY(parse_options(ps, stmt));
        break;
    case SL_STMT_CREATE_VIEW:
        if (is_op(ps, "(")) { /* CREATE VIEW v (WATERMARK FOR ts AS ts - INTERVAL …) AS … */
            TRY(advance(ps));
            TRY(parse_watermark(ps, &stmt->wm));
            TRY(expect_op(ps, ")"));
        }
        TRY(expect_kw(ps, "as"));
        TRY(parse_select(ps, &stmt->select));
        break;
    case SL_STMT_CREATE_SINK:
        TRY(expect_kw(ps, "with"));
        TRY(parse_options(ps, stmt));
        TRY(expect_kw(ps, "as"));
        TRY(parse_select(ps, &stmt->select));
        break;
    case SL_STMT_CREATE_MODEL:
        if (is_kw(ps, "from")) {
            TRY(advance(ps));
            if (ps->tok.kind != SL_TOK_STRING) return syntax_error(ps, &ps->tok, "expected the model's path as a string");
            stmt->from_path = ps->tok.text;
            TRY(advance(ps));
        } else {
            TRY(expect_kw(ps, "with"));
            TRY(parse_options(ps, stmt));
            TRY(expect_kw(ps, "as"));
            TRY(parse_select(ps, &stmt->select));
        }
        break;
    default:
        break;
    }
    *out = stmt;
    return SL_OK;
}

sl_status sl_sql_parse(const char *text, const char *origin, sl_var_lookup vars,
                       void *vars_ctx, sl_ast_script **out, sl_error *err)
{
    *out = NULL;
    sl_ast_script *s = sl_calloc(1, sizeof *s);
    if (!s) return sl_err_oom(err);
    sl_arena_init(&s->arena);
    s->text = text;
    parser ps = {0};
    ps.arena = &s->arena;
    ps.err = err;
    ps.origin = origin;
    sl_lexer_init(&ps.lx, text, &s->arena, vars, vars_ctx, origin);
    size_t cap = 0;
    sl_ast_stmt **stmts = NULL;
    sl_status st = advance(&ps);
    while (!st) {
        while (!st && sl_tok_is_op(&ps.tok, ";")) st = advance(&ps);
        if (st || ps.tok.kind == SL_TOK_EOF) break;
        sl_ast_stmt *stmt = NULL;
        if ((st = parse_stmt(&ps, &stmt))) break;
        if (sl_grow((void **)&stmts, &cap, (size_t)s->n_stmts + 1, sizeof *stmts)) { st = sl_err_oom(err); break; }
        stmts[s->n_stmts++] = stmt;
        if (ps.tok.kind != SL_TOK_EOF && !sl_tok_is_op(&ps.tok, ";"))
            st = syntax_error(&ps, &ps.tok, "expected ';' at the end of the statement");
    }
    if (!st) {
        s->stmts = sl_arena_alloc(&s->arena, sizeof *stmts * (size_t)(s->n_stmts ? s->n_stmts : 1));
        if (!s->stmts) st = sl_err_oom(err);
        else if (s->n_stmts) memcpy(s->stmts, stmts, sizeof *stmts * (size_t)s->n_stmts);
    }
    sl_free(stmts);
    if (st) { sl_ast_script_free(s); return st; }
    *out = s;
    return SL_OK;
}

void sl_ast_script_free(sl_ast_script *s)
{
    if (!s) return;
    sl_arena_fini(&s->arena);
    sl_free(s);
}

void sl_sql_caret(sl_error *err, const char *text, const char *origin, int line, int col)
{
    if (!err || !text || line < 1) return;
    const char *p = text;
    for (int l = 1; l < line && *p; p++)
        if (*p == '\n') l++;
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n > 200) n = 200;
    char where[300];
    snprintf(where, sizeof where, "%s:%d:%d", origin ? origin : "<sql>", line, col);
    char msg[sizeof err->msg + 600];
    int pad = col - 1 < (int)n ? col - 1 : (int)n;
    /* Tabs stay tabs under the caret so it lines up in a terminal. */
    char spaces[256];
    int k;
    for (k = 0; k < pad && k < 255; k++) spaces[k] = p[k] == '\t' ? '\t' : ' ';
    spaces[k] = 0;
    snprintf(msg, sizeof msg, "%s: %s\n  %.*s\n  %s^", where, err->msg, (int)n, p, spaces);
    size_t len = strlen(msg);
    if (len >= sizeof err->msg) len = sizeof err->msg - 1;
    memcpy(err->msg, msg, len);
    err->msg[len] = 0;
}
