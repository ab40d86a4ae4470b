/* SQL tokenizer (see lexer.h). */
#include "sql/lexer.h"
#include "core/buf.h"
#include "core/status.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sl_lexer_init(sl_lexer *lx, const char *src, sl_arena *arena,
                   sl_var_lookup vars, void *vars_ctx, const char *origin)
{
    memset(lx, 0, sizeof *lx);
    lx->src = lx->p = lx->line_start = src;
    lx->line = 1;
    lx->arena = arena;
    lx->vars = vars;
    lx->vars_ctx = vars_ctx;
    lx->origin = origin;
}

int sl_tok_is_kw(const sl_tok *t, const char *kw)
{
    return t->kind == SL_TOK_IDENT && strcasecmp(t->text, kw) == 0;
}

int sl_tok_is_op(const sl_tok *t, const char *op)
{
    return t->kind == SL_TOK_OP && strcmp(t->text, op) == 0;
}

static int col_of(const sl_lexer *lx, const char *at) { return (int)(at - lx->line_start) + 1; }

static sl_status lex_error(sl_lexer *lx, const char *at, const char *msg, sl_error *err)
{
    sl_err_at(err, SL_ERR_PARSE, lx->line, col_of(lx, at), "%s", msg);
    sl_sql_caret(err, lx->src, lx->origin, lx->line, col_of(lx, at));
    return SL_ERR_PARSE;
}

static const char *lookup_var(sl_lexer *lx, const char *name)
{
    const char *v = lx->vars ? lx->vars(lx->vars_ctx, name) : NULL;
    if (!v) v = getenv(name);
    return v;
}

/* Expands ${NAME} at *pp into out; *pp is left after the closing brace. */
static sl_status expand_var(sl_lexer *lx, const char **pp, sl_buf *out, sl_error *err)
{
    const char *p = *pp + 2, *start = *pp;
    const char *close = strchr(p, '}');
    if (!close || close - p > 200) return lex_error(lx, start, "unterminated ${…} variable", err);
    char name[256];
    memcpy(name, p, (size_t)(close - p));
    name[close - p] = 0;
    const char *v = lookup_var(lx, name);
    if (!v) {
        char msg[700];
        snprintf(msg, sizeof msg,
                 "variable ${%s} is not set (pass --var %s=VALUE or set it in the environment)",
                 name, name);
        return lex_error(lx, start, msg, err);
    }
    sl_buf_puts(out, v);
    *pp = close + 1;
    return SL_OK;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
           c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return -1;
        v = v << 4 | h;
    }
    return v;
}

static void put_utf8(sl_buf *b, uint32_t cp)
{
    if (cp < 0x80) sl_buf_putc(b, (char)cp);
    else if (cp < 0x800) { sl_buf_putc(b, (char)(0xc0 | cp >> 6)); sl_buf_putc(b, (char)(0x80 | (cp & 0x3f))); }
    else if (cp < 0x10000) {
        sl_buf_putc(b, (char)(0xe0 | cp >> 12));
        sl_buf_putc(b, (char)(0x80 | (cp >> 6 & 0x3f)));
        sl_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
    } else {
        sl_buf_putc(b, (char)(0xf0 | cp >> 18));
        sl_buf_putc(b, (char)(0x80 | (cp >> 12 & 0x3f)));
        sl_buf_putc(b, (char)(0x80 | (cp >> 6 & 0x3f)));
        sl_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
    }
}

/* A backslash escape in a string literal at *pp, with Spark's rules
 * (ParserUtils.unescapeSQLString): \uXXXX is a UTF-16 code unit (a pair of
 * them a supplementary character), \[01][0-7][0-7] an octal character code,
 * \b \n \r \t \Z (Ctrl-Z) \' \" \\ the usual characters; \% and \_ keep
 * their backslash, so that 'a\_b' is the LIKE pattern a\_b (a literal
 * underscore); before any other character the backslash is dropped.  A NUL
 * (\0, \000, \u0000) cannot be held in a string here and is refused. */
static sl_status lex_escape(sl_lexer *lx, const char **pp, sl_buf *b, sl_error *err)
{
    const char *p = *pp;
    char c = p[1];
    if (c == 'u' && hex4(p + 2) >= 0) {
        uint32_t cp = (uint32_t)hex4(p + 2);
        int n = 6;
        if (cp >= 0xd800 && cp < 0xdc00) {
            int lo = p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
            if (lo < 0xdc00 || lo >= 0xe000)
                return lex_error(lx, p, "\\u escape: a high surrogate must be followed by a \\u low surrogate", err);
            cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
            n = 12;
        } else if (cp >= 0xdc00 && cp < 0xe000) {
            return lex_error(lx, p, "\\u escape: a low surrogate without a high one before it", err);
        }
        if (cp == 0) return lex_error(lx, p, "a NUL character in a string literal is not supported", err);
        put_utf8(b, cp);
        *pp = p + n;
        return SL_OK;
    }
    if ((c == '0' || c == '1') && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
        int v = (c - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0');
        if (v == 0) return lex_error(lx, p, "a NUL character in a string literal is not supported", err);
        sl_buf_putc(b, (char)v);
        *pp = p + 4;
        return SL_OK;
    }
    switch (c) {
    case '0': return lex_error(lx, p, "a NUL character in a string literal is not supported", err);
    case 'b': sl_buf_putc(b, '\b'); break;
    case 'n': sl_buf_putc(b, '\n'); break;
    case 'r': sl_buf_putc(b, '\r'); break;
    case 't': sl_buf_putc(b, '\t'); break;
    case 'Z': sl_buf_putc(b, '\x1a'); break;
    case '%': case '_': sl_buf_putc(b, '\\'); sl_buf_putc(b, c); break;
    case '\n': lx->line++; lx->line_start = p + 2; sl_buf_putc(b, c); break;
    default: sl_buf_putc(b, c); break;
    }
    *pp = p + 2;
    return SL_OK;
}

static sl_status lex_quoted(sl_lexer *lx, char q, sl_tok *t, sl_error *err)
{
    sl_buf b;
    sl_buf_init(&b);
    const char *p = lx->p + 1;
    for (;;) {
        if (!*p) { sl_buf_fini(&b); return lex_error(lx, lx->p, q == '\'' ? "unterminated string literal" : "unterminated quoted identifier", err); }
        if (*p == q) {
            if (p[1] == q) { sl_buf_putc(&b, q); p += 2; continue; }
            p++;
            break;
        }
        if (*p == '\\' && q == '\'' && p[1]) {
            sl_status st = lex_escape(lx, &p, &b, err);
            if (st) { sl_buf_fini(&b); return st; }
            continue;
        }
        if (*p == '$' && p[1] == '{') {
            sl_status st = expand_var(lx, &p, &b, err);
            if (st) { sl_buf_fini(&b); return st; }
            continue;
        }
        if (*p == '\n') { lx->line++; lx->line_start = p + 1; }
        sl_buf_putc(&b, *p++);
    }
    if (b.oom) { sl_buf_fini(&b); return sl_err_oom(err); }
    t->text = sl_arena_strndup(lx->arena, b.data ? b.data : "", b.len);
    sl_buf_fini(&b);
    if (!t->text) return sl_err_oom(err);
    t->kind = q == '\'' ? SL_TOK_STRING : SL_TOK_QIDENT;
    lx->p = p;
    return SL_OK;
}

sl_status sl_lexer_next(sl_lexer *lx, sl_tok *t, sl_error *err)
{
    const char *p = lx->p;
    /* whitespace and comments */
    for (;;) {
        if (*p == '\n') { lx->line++; lx->line_start = ++p; continue; }
        if (isspace((unsigned char)*p)) { p++; continue; }
        if (p[0] == '-' && p[1] == '-') { while (*p && *p != '\n') p++; continue; }
        if (p[0] == '/' && p[1] == '*') {
            const char *s = p;
            p += 2;
            while (*p && !(p[0] == '*' && p[1] == '/')) {
                if (*p == '\n') { lx->line++; lx->line_start = p + 1; }
                p++;
            }
            if (!*p) { lx->p = s; return lex_error(lx, s, "unterminated /* comment", err); }
            p += 2;
            continue;
        }
        break;
    }
    lx->p = p;
    memset(t, 0, sizeof *t);
    t->start = p;
    t->line = lx->line;
    t->col = col_of(lx, p);
    if (!*p) { t->kind = SL_TOK_EOF; t->text = ""; return SL_OK; }

    unsigned char c = (unsigned char)*p;
    if (c == '\'' || c == '"' || c == '`') {
        sl_status st = lex_quoted(lx, (char)c, t, err);
        t->len = (size_t)(lx->p - t->start);
        return st;
    }
    if (c == '$' && p[1] == '{') {
        sl_buf b;
        sl_buf_init(&b);
        sl_status st = expand_var(lx, &p, &b, err);
        if (st) { sl_buf_fini(&b); return st; }
        t->kind = SL_TOK_STRING;
        t->text = sl_arena_strndup(lx->arena, b.data ? b.data : "", b.len);
        sl_buf_fini(&b);
        if (!t->text) return sl_err_oom(err);
        lx->p = p;
        t->len = (size_t)(p - t->start);
        return SL_OK;
    }
    if (isalpha(c) || c == '_') {
        while (isalnum((unsigned char)*p) || *p == '_') p++;
        t->kind = SL_TOK_IDENT;
    } else if (isdigit(c) || (c == '.' && isdigit((unsigned char)p[1]))) {
        t->kind = SL_TOK_INT;
        while (isdigit((unsigned char)*p)) p++;
        if (*p == '.' && isdigit((unsigned char)p[1])) { t->kind = SL_TOK_FLOAT; p++; while (isdigit((unsigned char)*p)) p++; }
        else if (*p == '.' && !isalpha((unsigned char)p[1])) { t->kind = SL_TOK_FLOAT; p++; }
        if ((*p == 'e' || *p == 'E') && (isdigit((unsigned char)p[1]) ||
            ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
            t->kind = SL_TOK_FLOAT;
            p += 2;
            while (isdigit((unsigned char)*p)) p++;
        }
        if (isalpha((unsigned char)*p) || *p == '_')
            return lex_error(lx, t->start, "malformed number", err);
    } else {
        static const char *const ops[] = {"<=>", "<>", "!=", "<=", ">=", "||", "==", "::"};
        t->kind = SL_TOK_OP;
        size_t n = 0;
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
            if (strncmp(p, ops[i], strlen(ops[i])) == 0) { n = strlen(ops[i]); break; }
        if (!n) {
            if (!strchr("(),;.*+-/%=<>[]", c)) {
                char msg[64];
                snprintf(msg, sizeof msg, isprint(c) ? "unexpected character '%c'" : "unexpected byte 0x%02x", c);
                return lex_error(lx, p, msg, err);
            }
            n = 1;
        }
        p += n;
    }
    t->len = (size_t)(p - t->start);
    t->text = sl_arena_strndup(lx->arena, t->start, t->len);
    if (!t->text) return sl_err_oom(err);
    lx->p = p;
    return SL_OK;
}
