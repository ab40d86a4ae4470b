/* A JSON document tree: a recursive-descent parser that builds every node in
 * one arena, for the small JSON files sluice reads whole (model metadata,
 * XGBoost models, checkpoint offsets, Parquet records materialised for model
 * loading).  Stream records never come through here.
 *
 * Arrays and objects collect their children in a heap scratch vector while
 * parsing (their size is unknown until the closing bracket) and copy them
 * into the arena once complete, so the arena holds no dead growth. */
#include "core/jdoc.h"
#include "core/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512

typedef struct parser {
    const char *s, *end, *p;
    sl_arena *arena;
    sl_error *err;
    int depth;
} parser;

static sl_status perr(parser *ps, const char *what)
{
    int line = 1, col = 1;
    for (const char *q = ps->s; q < ps->p && q < ps->end; q++) {
        if (*q == '\n') { line++; col = 1; } else col++;
    }
    return sl_err_at(ps->err, SL_ERR_FORMAT, line, col,
                     "JSON: %s at line %d, column %d", what, line, col);
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                               *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(parser *ps, unsigned *out)
{
    if (ps->end - ps->p < 4) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(ps->p[i]);
        if (h < 0) return -1;
        v = v * 16 + (unsigned)h;
    }
    ps->p += 4;
    *out = v;
    return 0;
}

static size_t put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) { d[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ps->p is at the opening quote. The unescaped text is never longer than
 * the escaped one (\uXXXX is 6 bytes for at most 3 of UTF-8, a surrogate
 * pair 12 for 4), so one arena block of the raw length suffices. */
static sl_status parse_string(parser *ps, const char **out, size_t *out_len)
{
    ps->p++;
    const char *start = ps->p;
    const char *q = start;
    bool escaped = false;
    while (q < ps->end && *q != '"') {
        if (*q == '\\') { escaped = true; q++; }
        q++;
    }
    if (q >= ps->end) { ps->p = start - 1; return perr(ps, "unterminated string"); }
    size_t raw = (size_t)(q - start);
    char *d = sl_arena_alloc(ps->arena, raw + 1);
    if (!d) return sl_err_oom(ps->err);
    if (!escaped) {
        for (size_t i = 0; i < raw; i++) {
            if ((unsigned char)start[i] < 0x20) {
                ps->p = start + i;
                return perr(ps, "control character in string");
            }
        }
        memcpy(d, start, raw);
        d[raw] = 0;
        ps->p = q + 1;
        *out = d;
        *out_len = raw;
        return SL_OK;
    }
    size_t n = 0;
    while (ps->p < q) {
        char c = *ps->p;
        if ((unsigned char)c < 0x20) return perr(ps, "control character in string");
        if (c != '\\') { d[n++] = c; ps->p++; continue; }
        ps->p++;
        char e = *ps->p++;
        switch (e) {
        case '"': d[n++] = '"'; break;
        case '\\': d[n++] = '\\'; break;
        case '/': d[n++] = '/'; break;
        case 'b': d[n++] = '\b'; break;
        case 'f': d[n++] = '\f'; break;
        case 'n': d[n++] = '\n'; break;
        case 'r': d[n++] = '\r'; break;
        case 't': d[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (read_hex4(ps, &cp) < 0) return perr(ps, "bad \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                    ps->p += 2;
                    if (read_hex4(ps, &lo) < 0) return perr(ps, "bad \\u escape");
                    if (lo < 0xDC00 || lo > 0xDFFF) return perr(ps, "bad surrogate pair");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else {
                    return perr(ps, "lone surrogate");
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return perr(ps, "lone surrogate");
            }
            n += put_utf8(d + n, cp);
            break;
        }
        default:
            ps->p--;
            return perr(ps, "bad escape");
        }
    }
    d[n] = 0;
    ps->p = q + 1;
    *out = d;
    *out_len = n;
    return SL_OK;
}

static sl_status parse_number(parser *ps, sl_jval *v)
{
    const char *st = ps->p, *q = ps->p;
    bool integral = true;
    if (q < ps->end && *q == '-') q++;
    if (q >= ps->end || !(*q >= '0' && *q <= '9')) return perr(ps, "bad number");
    if (*q == '0') q++;
    else while (q < ps->end && *q >= '0' && *q <= '9') q++;
    if (q < ps->end && *q == '.') {
        integral = false;
        q++;
        if (q >= ps->end || !(*q >= '0' && *q <= '9')) { ps->p = q; return perr(ps, "bad number"); }
        while (q < ps->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        integral = false;
        q++;
        if (q < ps->end && (*q == '+' || *q == '-')) q++;
        if (q >= ps->end || !(*q >= '0' && *q <= '9')) { ps->p = q; return perr(ps, "bad number"); }
        while (q < ps->end && *q >= '0' && *q <= '9') q++;
    }
    size_t len = (size_t)(q - st);
    /* strtod needs a terminated string; the source text need not be one. */
    char small[64];
    char *tmp = small;
    if (len >= sizeof small) {
        tmp = sl_arena_alloc(ps->arena, len + 1);
        if (!tmp) return sl_err_oom(ps->err);
    }
    memcpy(tmp, st, len);
    tmp[len] = 0;
    v->type = SL_JNUM;
    v->num = strtod(tmp, NULL);
    if (integral) {
        errno = 0;
        long long ll = strtoll(tmp, NULL, 10);
        if (errno == 0) { v->is_int = true; v->i = ll; }
    }
    ps->p = q;
    return SL_OK;
}

static sl_status parse_value(parser *ps, sl_jval **out);

/* Scratch vectors for children of one array/object. */
typedef struct scratch {
    sl_jval **vals;
    const char **keys;
    size_t n, cap, kcap;
} scratch;

static sl_status finish_container(parser *ps, sl_jval *v, scratch *sc, bool obj)
{
    v->n = sc->n;
    if (sc->n) {
        v->items = sl_arena_alloc(ps->arena, sc->n * sizeof *v->items);
        if (!v->items) return sl_err_oom(ps->err);
        memcpy(v->items, sc->vals, sc->n * sizeof *v->items);
        if (obj) {
            v->keys = sl_arena_alloc(ps->arena, sc->n * sizeof *v->keys);
            if (!v->keys) return sl_err_oom(ps->err);
            memcpy(v->keys, sc->keys, sc->n * sizeof *v->keys);
        }
    }
    return SL_OK;
}

static sl_status parse_container(parser *ps, sl_jval *v, bool obj)
{
    if (++ps->depth > MAX_DEPTH) return perr(ps, "nesting deeper than 512");
    char close = obj ? '}' : ']';
    v->type = obj ? SL_JOBJ : SL_JARR;
    ps->p++;
    scratch sc = {0};
    sl_status st = SL_OK;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        goto done;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len;
        skip_ws(ps);
        if (obj) {
            if (ps->p >= ps->end || *ps->p != '"') { st = perr(ps, "expected a string key"); goto done; }
            if ((st = parse_string(ps, &key, &key_len)) != SL_OK) goto done;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') { st = perr(ps, "expected ':'"); goto done; }
            ps->p++;
        }
        sl_jval *child;
        if ((st = parse_value(ps, &child)) != SL_OK) goto done;
        if (sl_grow((void **)&sc.vals, &sc.cap, sc.n + 1, sizeof *sc.vals) < 0) {
            st = sl_err_oom(ps->err);
            goto done;
        }
        if (obj && sl_grow((void **)&sc.keys, &sc.kcap, sc.n + 1, sizeof *sc.keys) < 0) {
            st = sl_err_oom(ps->err);
            goto done;
        }
        sc.vals[sc.n] = child;
        if (obj) sc.keys[sc.n] = key;
        sc.n++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == close) { ps->p++; break; }
        st = perr(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        goto done;
    }
done:
    if (st == SL_OK) st = finish_container(ps, v, &sc, obj);
    sl_free(sc.vals);
    sl_free(sc.keys);
    ps->depth--;
    return st;
}

static bool match_word(parser *ps, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0) return false;
    ps->p += n;
    return true;
}

static sl_status parse_value(parser *ps, sl_jval **out)
{
    skip_ws(ps);
    if (ps->p >= ps->end) return perr(ps, "unexpected end of input");
    sl_jval *v = sl_arena_alloc(ps->arena, sizeof *v);
    if (!v) return sl_err_oom(ps->err);
    *out = v;
    char c = *ps->p;
    switch (c) {
    case '{': return parse_container(ps, v, true);
    case '[': return parse_container(ps, v, false);
    case '"':
        v->type = SL_JSTR;
        return parse_string(ps, &v->str, &v->str_len);
    case 't':
        if (!match_word(ps, "true")) return perr(ps, "unexpected token");
        v->type = SL_JBOOL;
        v->b = true;
        return SL_OK;
    case 'f':
        if (!match_word(ps, "false")) return perr(ps, "unexpected token");
        v->type = SL_JBOOL;
        return SL_OK;
    case 'n':
        if (!match_word(ps, "null")) return perr(ps, "unexpected token");
        v->type = SL_JNULL;
        return SL_OK;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(ps, v);
        return perr(ps, "unexpected character");
    }
}

sl_jdoc *sl_jdoc_new(void)
{
    sl_jdoc *doc = sl_calloc(1, sizeof *doc);
    if (doc) sl_arena_init(&doc->arena);
    return doc;
}

void sl_jdoc_free(sl_jdoc *doc)
{
    if (!doc) return;
    sl_arena_fini(&doc->arena);
    sl_free(doc);
}

sl_status sl_jdoc_parse(const char *text, size_t len, sl_jdoc **out, sl_error *err)
{
    *out = NULL;
    sl_jdoc *doc = sl_jdoc_new();
    if (!doc) return sl_err_oom(err);
    parser ps = { text, text + len, text, &doc->arena, err, 0 };
    sl_status st = parse_value(&ps, &doc->root);
    if (st == SL_OK) {
        skip_ws(&ps);
        if (ps.p != ps.end) st = perr(&ps, "trailing characters after the document");
    }
    if (st != SL_OK) {
        sl_jdoc_free(doc);
        return st;
    }
    *out = doc;
    return SL_OK;
}

sl_status sl_jdoc_parse_file(const char *path, sl_jdoc **out, sl_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return sl_err(err, SL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (sl_grow((void **)&buf, &cap, n + 65536, 1) < 0) {
            fclose(f);
            sl_free(buf);
            return sl_err_oom(err);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        sl_free(buf);
        return sl_err(err, SL_ERR_IO, "cannot read %s", path);
    }
    sl_status st = sl_jdoc_parse(buf, n, out, err);
    sl_free(buf);
    if (st != SL_OK && st != SL_ERR_NOMEM) sl_err_prefix(err, "%s", path);
    return st;
}

const sl_jval *sl_jval_get(const sl_jval *v, const char *key)
{
    if (!v || v->type != SL_JOBJ) return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0) return v->items[i];
    return NULL;
}

const char *sl_jval_get_str(const sl_jval *v, const char *key, const char *dflt)
{
    const sl_jval *m = sl_jval_get(v, key);
    return m && m->type == SL_JSTR ? m->str : dflt;
}

double sl_jval_get_num(const sl_jval *v, const char *key, double dflt)
{
    const sl_jval *m = sl_jval_get(v, key);
    return m && m->type == SL_JNUM ? m->num : dflt;
}

int64_t sl_jval_get_int(const sl_jval *v, const char *key, int64_t dflt)
{
    const sl_jval *m = sl_jval_get(v, key);
    if (!m || m->type != SL_JNUM) return dflt;
    return m->is_int ? m->i : (int64_t)m->num;
}
