/* The SQL tokenizer: turns text into tokens with 1-based positions.
 * Identifiers keep their case; keywords are recognised case-insensitively by
 * the parser (sl_tok_is_kw). "quoted" and `quoted` identifiers keep any
 * character, so names such as "CREDIT-LIMIT/SANC AMT" work. ${NAME} inside
 * string literals and quoted identifiers is replaced by the variable's value;
 * a bare ${NAME} is a string token holding the value. */
#ifndef SL_SQL_LEXER_H
#define SL_SQL_LEXER_H

#include "core/mem.h"
#include "sql/ast.h"

typedef enum sl_tok_kind {
    SL_TOK_EOF, SL_TOK_IDENT, SL_TOK_QIDENT, SL_TOK_STRING, SL_TOK_INT,
    SL_TOK_FLOAT, SL_TOK_OP
} sl_tok_kind;

typedef struct sl_tok {
    sl_tok_kind kind;
    const char *text;   /* arena copy: identifier/string value, op spelling */
    const char *start;  /* position in the source */
    size_t len;         /* source length */
    int line, col;
} sl_tok;

typedef struct sl_lexer {
    const char *src, *p;
    int line;
    const char *line_start;
    sl_arena *arena;
    sl_var_lookup vars;
    void *vars_ctx;
    const char *origin;
} sl_lexer;

void sl_lexer_init(sl_lexer *lx, const char *src, sl_arena *arena,
                   sl_var_lookup vars, void *vars_ctx, const char *origin);
sl_status sl_lexer_next(sl_lexer *lx, sl_tok *out, sl_error *err);
/* Case-insensitive keyword test on an unquoted identifier token. */
int sl_tok_is_kw(const sl_tok *t, const char *kw);
int sl_tok_is_op(const sl_tok *t, const char *op);

#endif
