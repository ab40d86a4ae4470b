/* The syntax tree of sluice SQL, as the parser builds it and the binder reads
 * it.  Every node lives in the statement list's arena (sl_ast_script), so a
 * half-built tree after a syntax error is released with the arena and never
 * leaks.  Positions are 1-based line/column of the node's first token, for
 * error messages with a caret. */
#ifndef SL_SQL_AST_H
#define SL_SQL_AST_H

#include "core/mem.h"
#include "sluice.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum sl_ast_kind {
    SL_AST_LIT_INT,      /* ival */
    SL_AST_LIT_DOUBLE,   /* dval */
    SL_AST_LIT_STRING,   /* str */
    SL_AST_LIT_BOOL,     /* ival */
    SL_AST_LIT_NULL,
    SL_AST_LIT_INTERVAL, /* ival = microseconds */
    SL_AST_LIT_TIMESTAMP,/* str: TIMESTAMP '…' */
    SL_AST_COLUMN,       /* qual (may be NULL), name */
    SL_AST_STAR,         /* qual (may be NULL): * or t.* */
    SL_AST_UNARY,        /* op: '-', 'N' (NOT); args[0] */
    SL_AST_BINARY,       /* op: SL_OP_*; args[0], args[1] */
    SL_AST_FUNC,         /* name, args, distinct, star_arg (count(*)) */
    SL_AST_CASE,         /* args: [operand?] when,then pairs [else]; see fields */
    SL_AST_CAST,         /* args[0], cast_type */
    SL_AST_BETWEEN,      /* args[0..2], negated */
    SL_AST_IN,           /* args[0] then list, negated */
    SL_AST_LIKE,         /* args[0], args[1], negated; op 'L' like, 'R' rlike */
    SL_AST_IS_NULL,      /* args[0], negated */
    SL_AST_FIELD         /* args[0].name: struct field access, e.g. w.start */
} sl_ast_kind;

enum {
    SL_OP_ADD = 1, SL_OP_SUB, SL_OP_MUL, SL_OP_DIV, SL_OP_MOD,
    SL_OP_EQ, SL_OP_NE, SL_OP_LT, SL_OP_LE, SL_OP_GT, SL_OP_GE, SL_OP_NULLSAFE_EQ,
    SL_OP_AND, SL_OP_OR, SL_OP_CONCAT, SL_OP_NEG, SL_OP_NOT
};

typedef struct sl_ast_expr sl_ast_expr;

/* f(…) OVER ([PARTITION BY …] ORDER BY … [ROWS frame]): a window function.
 * Frames are ROWS frames ending at the current row; `preceding` is how many
 * rows before it the frame starts (-1: UNBOUNDED PRECEDING). */
typedef struct sl_ast_over {
    int line, col;
    int n_part;
    sl_ast_expr **part;
    int n_order;
    sl_ast_expr **order;
    bool *desc;
    bool has_frame;
    int64_t preceding;
} sl_ast_over;

struct sl_ast_expr {
    sl_ast_kind kind;
    int line, col;
    int op;
    int64_t ival;
    double dval;
    const char *str;
    const char *qual, *name;
    bool distinct, star_arg, negated, has_operand, has_else;
    sl_type cast_type;
    int n_args;
    sl_ast_expr **args;
    const char *text;    /* the expression's source text, for column names */
    sl_ast_over *over;   /* SL_AST_FUNC … OVER (…), else NULL */
};

typedef struct sl_ast_select sl_ast_select;

typedef enum sl_ast_from_kind { SL_FROM_TABLE, SL_FROM_SUBQUERY, SL_FROM_JOIN } sl_ast_from_kind;
typedef enum sl_join_type {
    SL_JOIN_INNER, SL_JOIN_LEFT, SL_JOIN_RIGHT, SL_JOIN_FULL, SL_JOIN_SEMI, SL_JOIN_ANTI
} sl_join_type;

typedef struct sl_ast_from sl_ast_from;
struct sl_ast_from {
    sl_ast_from_kind kind;
    int line, col;
    const char *name;       /* table/view/source name */
    const char *alias;
    sl_ast_select *sub;     /* SL_FROM_SUBQUERY */
    sl_join_type join_type; /* SL_FROM_JOIN */
    sl_ast_from *left, *right;
    sl_ast_expr *on;
};

typedef struct sl_ast_item {
    sl_ast_expr *expr;
    const char *alias;     /* NULL when none */
} sl_ast_item;

struct sl_ast_select {
    int line, col;
    bool distinct;
    int n_items;
    sl_ast_item *items;
    sl_ast_from *from;
    sl_ast_expr *where;
    int n_group;
    sl_ast_expr **group;
    bool group_by_batch;    /* GROUP BY BATCH, …: per-micro-batch aggregation */
    sl_ast_expr *having;
    int n_dedup;            /* DEDUPLICATE BY … */
    sl_ast_expr **dedup;
    bool dedup_within;      /* … WITHIN WATERMARK */
};

typedef struct sl_ast_coldef {
    const char *name;
    sl_type type;
    int line, col;
} sl_ast_coldef;

typedef struct sl_ast_watermark {
    const char *column;     /* NULL when none */
    int64_t delay_us;
    int line, col;
} sl_ast_watermark;

typedef struct sl_ast_opt {
    const char *name, *value;
    int line, col;
} sl_ast_opt;

typedef enum sl_ast_stmt_kind {
    SL_STMT_CREATE_SOURCE, SL_STMT_CREATE_TABLE, SL_STMT_CREATE_VIEW,
    SL_STMT_CREATE_SINK, SL_STMT_CREATE_MODEL, SL_STMT_SET
} sl_ast_stmt_kind;

typedef struct sl_ast_stmt {
    sl_ast_stmt_kind kind;
    int line, col;
    const char *name;
    int n_cols;
    sl_ast_coldef *cols;
    sl_ast_watermark wm;
    int n_opts;
    sl_ast_opt *opts;
    sl_ast_select *select;
    const char *from_path;     /* CREATE MODEL … FROM 'path' */
    const char *set_key, *set_value;
} sl_ast_stmt;

typedef struct sl_ast_script {
    sl_arena arena;
    int n_stmts;
    sl_ast_stmt **stmts;
    const char *text;          /* the source text (owned by the caller) */
} sl_ast_script;

/* Parses a whole script. `vars` resolves ${NAME} (may return NULL: then the
 * environment is tried, then it is an error). On error, *out is NULL and err
 * has the line/column; the message includes the offending line with a caret. */
typedef const char *(*sl_var_lookup)(void *ctx, const char *name);
sl_status sl_sql_parse(const char *text, const char *origin, sl_var_lookup vars,
                       void *vars_ctx, sl_ast_script **out, sl_error *err);
void sl_ast_script_free(sl_ast_script *s);

/* Adds the source line and a caret under `col` to an error message. */
void sl_sql_caret(sl_error *err, const char *text, const char *origin, int line, int col);

#endif
