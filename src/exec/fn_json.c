/* JSON functions on STRING columns: get_json_object(json, path), Spark's
 * (and Hive's) JSONPath extraction returning STRING.  sluice has no struct
 * type, so this is what stands in for Spark's from_json(col, schema).field:
 * CAST(get_json_object(col, '$.field') AS type) (docs/SEMANTICS.md).
 *
 * The evaluation mirrors Spark's GetJsonObject step by step, because its
 * answers are shaped by Jackson's streaming parser rather than by a JSONPath
 * standard: a string found outside any wildcard comes out raw (unescaped,
 * no quotes), anything else as compact JSON re-written by the generator
 * (doubles as Java prints them: 1.50 -> 1.5, 1e3 -> 1000.0); a member whose
 * value is null does not match; `[*]` gives a JSON array, or the element
 * alone when exactly one matched; an unparsable document or path gives
 * NULL.  The path is compiled once per distinct text (it is nearly always a
 * literal) and kept in the kernel's state.  Each row's document is first
 * checked to be well-formed (Spark reads the whole top-level value through
 * Jackson, so a syntax error anywhere in it gives NULL; text after it is
 * never read) and then walked without building a tree. */
#include "exec/fn_int.h"

#include "core/buf.h"
#include "core/textconv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- paths ------------------------------------------------------------- */

typedef enum step_kind { ST_NAMED, ST_SUB_WILD, ST_SUB_INDEX, ST_WILDCARD } step_kind;

typedef struct step {
    step_kind kind;
    char *name;      /* ST_NAMED */
    size_t name_len;
    long long index; /* ST_SUB_INDEX */
} step;

typedef struct jpath {
    char *text;      /* the path this was compiled from */
    size_t text_len;
    int valid;       /* 0: Spark's parser rejects it; every row is NULL */
    step *steps;
    int n_steps;
} jpath;

static void jpath_free(void *p)
{
    jpath *jp = p;
    if (!jp) return;
    for (int i = 0; i < jp->n_steps; i++) sl_free(jp->steps[i].name);
    sl_free(jp->steps);
    sl_free(jp->text);
    sl_free(jp);
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* Spark's JsonPathParser: '$' then any of `.*` / `['*']` (a wildcard that
 * matches nothing: Spark evaluates it to no result), `.name` (name = up to
 * the next '.' or '['), `['name']` (no ' or ? inside), `[*]`, `[digits]`.
 * Its regex parsers skip whitespace before each token. Returns 0 (valid),
 * 1 (not a path) or -1 (OOM). */
static int jpath_parse(jpath *jp, const char *s, size_t n)
{
    size_t i = 0, cap = 0;
#define SKIP_WS() while (i < n && is_space(s[i])) i++
#define AT(lit) (n - i >= sizeof(lit) - 1 && !memcmp(s + i, lit, sizeof(lit) - 1))
    int n_wild = 0;
    SKIP_WS();
    if (i >= n || s[i] != '$') return 1;
    i++;
    for (;;) {
        SKIP_WS();
        if (i >= n) return 0;
        /* Each [*] may open an array in the output; more than the
         * generator's depth is refused (Spark has no limit, but no real
         * document nests 48 arrays deep). */
        if (n_wild > 48) return 1;
        if (jp->n_steps == (int)cap) {
            size_t nc = cap ? cap * 2 : 8;
            step *ns = sl_realloc(jp->steps, nc * sizeof *ns);
            if (!ns) return -1;
            jp->steps = ns;
            cap = nc;
        }
        step *st = &jp->steps[jp->n_steps];
        memset(st, 0, sizeof *st);
        if (AT(".*")) {
            st->kind = ST_WILDCARD;
            i += 2;
        } else if (AT("['*']")) {
            st->kind = ST_WILDCARD;
            i += 5;
        } else if (s[i] == '.') {
            i++;
            SKIP_WS();
            size_t b = i;
            while (i < n && s[i] != '.' && s[i] != '[') i++;
            if (i == b) return 1;
            st->kind = ST_NAMED;
            if (!(st->name = sl_malloc(i - b + 1))) return -1;
            memcpy(st->name, s + b, i - b);
            st->name[i - b] = 0;
            st->name_len = i - b;
        } else if (AT("['")) {
            i += 2;
            SKIP_WS();
            size_t b = i;
            while (i < n && s[i] != '\'' && s[i] != '?') i++;
            if (i == b || !AT("']")) return 1;
            st->kind = ST_NAMED;
            if (!(st->name = sl_malloc(i - b + 1))) return -1;
            memcpy(st->name, s + b, i - b);
            st->name[i - b] = 0;
            st->name_len = i - b;
            i += 2;
        } else if (s[i] == '[') {
            i++;
            SKIP_WS();
            if (i < n && s[i] == '*') {
                st->kind = ST_SUB_WILD;
                n_wild++;
                i++;
            } else {
                size_t b = i;
                long long v = 0;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    if (v > (INT64_MAX - 9) / 10) return 1; /* Long.parseLong would throw */
                    v = v * 10 + (s[i++] - '0');
                }
                if (i == b) return 1;
                st->kind = ST_SUB_INDEX;
                st->index = v;
            }
            SKIP_WS();
            if (i >= n || s[i] != ']') return 1;
            i++;
        } else {
            return 1;
        }
        jp->n_steps++;
    }
#undef SKIP_WS
#undef AT
}

/* The compiled path for this text, reusing the previous one when the text
 * is the same (a literal path compiles once per query). */
static sl_status jpath_get(void **state, const char *s, size_t n, jpath **out, sl_error *err)
{
    jpath *jp = *state;
    if (jp && jp->text_len == n && !memcmp(jp->text, s, n)) { *out = jp; return SL_OK; }
    jpath_free(jp);
    *state = NULL;
    jp = sl_calloc(1, sizeof *jp);
    if (!jp || !(jp->text = sl_malloc(n + 1))) { jpath_free(jp); return sl_err_oom(err); }
    memcpy(jp->text, s, n);
    jp->text[n] = 0;
    jp->text_len = n;
    int rc = jpath_parse(jp, s, n);
    if (rc < 0) { jpath_free(jp); return sl_err_oom(err); }
    jp->valid = rc == 0;
    *state = jp;
    *out = jp;
    return SL_OK;
}

/* ---- a well-formedness check of one JSON value ------------------------- */

typedef struct scan { const char *p, *e; } scan;

static void ws(scan *sc)
{
    while (sc->p < sc->e && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r')) sc->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Past a string at sc->p (the opening quote); 0 or -1. Raw control
 * characters are accepted, as Spark's factory allows them. */
static int skip_string(scan *sc)
{
    const char *p = sc->p + 1, *e = sc->e;
    while (p < e && *p != '"') {
        if (*p == '\\') {
            if (++p >= e) return -1;
            if (*p == 'u') {
                if (e - p < 5) return -1;
                for (int k = 1; k <= 4; k++)
                    if (hexval(p[k]) < 0) return -1;
                p += 4;
            } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                return -1; /* strchr would find the terminator: a NUL is no escape */
            }
        }
        p++;
    }
    if (p >= e) return -1;
    sc->p = p + 1;
    return 0;
}

static int skip_number(scan *sc)
{
    const char *p = sc->p, *e = sc->e;
    if (p < e && *p == '-') p++;
    if (p >= e || *p < '0' || *p > '9') return -1;
    if (*p == '0') p++;
    else while (p < e && *p >= '0' && *p <= '9') p++;
    if (p < e && *p == '.') {
        p++;
        if (p >= e || *p < '0' || *p > '9') return -1;
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || *p < '0' || *p > '9') return -1;
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    /* Jackson refuses a number run straight into letters ("12ab"). */
    if (p < e && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_')) return -1;
    sc->p = p;
    return 0;
}

static int skip_word(scan *sc, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(sc->e - sc->p) < n || memcmp(sc->p, w, n)) return -1;
    sc->p += n;
    return 0;
}

/* Past one value (leading whitespace skipped); 0 or -1. */
static int skip_value(scan *sc, int depth)
{
    ws(sc);
    if (sc->p >= sc->e || depth > 512) return -1;
    switch (*sc->p) {
    case '"': return skip_string(sc);
    case 't': return skip_word(sc, "true");
    case 'f': return skip_word(sc, "false");
    case 'n': return skip_word(sc, "null");
    case '{':
        sc->p++;
        ws(sc);
        if (sc->p < sc->e && *sc->p == '}') { sc->p++; return 0; }
        for (;;) {
            ws(sc);
            if (sc->p >= sc->e || *sc->p != '"' || skip_string(sc)) return -1;
            ws(sc);
            if (sc->p >= sc->e || *sc->p != ':') return -1;
            sc->p++;
            if (skip_value(sc, depth + 1)) return -1;
            ws(sc);
            if (sc->p >= sc->e) return -1;
            if (*sc->p == '}') { sc->p++; return 0; }
            if (*sc->p++ != ',') return -1;
        }
    case '[':
        sc->p++;
        ws(sc);
        if (sc->p < sc->e && *sc->p == ']') { sc->p++; return 0; }
        for (;;) {
            if (skip_value(sc, depth + 1)) return -1;
            ws(sc);
            if (sc->p >= sc->e) return -1;
            if (*sc->p == ']') { sc->p++; return 0; }
            if (*sc->p++ != ',') return -1;
        }
    default: return skip_number(sc);
    }
}

/* ---- output: a tiny generator with Jackson's separators ----------------- */

typedef struct gen {
    sl_buf *b;
    int depth;
    unsigned char count[64]; /* values written in each open array */
} gen;

/* A comma before a value that is not an array's first. */
static void gen_sep(gen *g)
{
    if (g->depth > 0 && g->count[g->depth - 1]++) sl_buf_putc(g->b, ',');
}

static int gen_begin_array(gen *g)
{
    if (g->depth >= (int)sizeof g->count) return -1;
    gen_sep(g);
    sl_buf_putc(g->b, '[');
    g->count[g->depth++] = 0;
    return 0;
}

static void gen_end_array(gen *g)
{
    sl_buf_putc(g->b, ']');
    g->depth--;
}

static void put_utf8(sl_buf *b, uint32_t c)
{
    char u[4];
    size_t n;
    if (c < 0x80) { u[0] = (char)c; n = 1; }
    else if (c < 0x800) { u[0] = (char)(0xc0 | c >> 6); u[1] = (char)(0x80 | (c & 63)); n = 2; }
    else if (c < 0x10000) {
        u[0] = (char)(0xe0 | c >> 12); u[1] = (char)(0x80 | ((c >> 6) & 63)); u[2] = (char)(0x80 | (c & 63)); n = 3;
    } else {
        u[0] = (char)(0xf0 | c >> 18); u[1] = (char)(0x80 | ((c >> 12) & 63));
        u[2] = (char)(0x80 | ((c >> 6) & 63)); u[3] = (char)(0x80 | (c & 63)); n = 4;
    }
    sl_buf_append(b, u, n);
}

/* Appends the unescaped text of the (well-formed) string at p. */
static void unescape(sl_buf *b, const char *p)
{
    p++;
    const char *run = p;
    while (*p != '"') {
        if (*p != '\\') { p++; continue; }
        sl_buf_append(b, run, (size_t)(p - run));
        p++;
        switch (*p) {
        case 'b': sl_buf_putc(b, '\b'); break;
        case 'f': sl_buf_putc(b, '\f'); break;
        case 'n': sl_buf_putc(b, '\n'); break;
        case 'r': sl_buf_putc(b, '\r'); break;
        case 't': sl_buf_putc(b, '\t'); break;
        case 'u': {
            uint32_t c = 0;
            for (int k = 1; k <= 4; k++) c = c * 16 + (uint32_t)hexval(p[k]);
            p += 4;
            /* a surrogate pair becomes one code point */
            if (c >= 0xd800 && c < 0xdc00 && p[1] == '\\' && p[2] == 'u') {
                uint32_t lo = 0;
                int ok = 1;
                for (int k = 3; k <= 6; k++) {
                    int h = hexval(p[k]);
                    if (h < 0) { ok = 0; break; }
                    lo = lo * 16 + (uint32_t)h;
                }
                if (ok && lo >= 0xdc00 && lo < 0xe000) {
                    c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                    p += 6;
                }
            }
            put_utf8(b, c);
            break;
        }
        default: sl_buf_putc(b, *p); /* " \ / */
        }
        run = ++p;
    }
    sl_buf_append(b, run, (size_t)(p - run));
}

/* A string as Jackson's generator quotes it: ", \ and control characters
 * escaped (short forms where JSON has them, else \u00XX), the rest as is. */
static void put_quoted(sl_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    sl_buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        sl_buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': sl_buf_puts(b, "\\\""); break;
        case '\\': sl_buf_puts(b, "\\\\"); break;
        case '\n': sl_buf_puts(b, "\\n"); break;
        case '\r': sl_buf_puts(b, "\\r"); break;
        case '\t': sl_buf_puts(b, "\\t"); break;
        case '\b': sl_buf_puts(b, "\\b"); break;
        case '\f': sl_buf_puts(b, "\\f"); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sl_buf_append(b, u, 6);
        }
        }
    }
    sl_buf_append(b, s + run, n - run);
    sl_buf_putc(b, '"');
}

/* Copies the (well-formed) value at sc->p compactly, as Jackson's
 * copyCurrentStructure re-writes it; leaves sc->p after it. */
static void copy_value(sl_buf *b, scan *sc, sl_buf *tmp)
{
    ws(sc);
    const char *p = sc->p;
    switch (*p) {
    case '"': {
        skip_string(sc);
        sl_buf_reset(tmp);
        unescape(tmp, p);
        put_quoted(b, tmp->data ? tmp->data : "", tmp->len);
        return;
    }
    case '{': case '[': {
        char close = *p == '{' ? '}' : ']';
        sl_buf_putc(b, *p);
        sc->p++;
        ws(sc);
        if (*sc->p == close) { sc->p++; sl_buf_putc(b, close); return; }
        for (;;) {
            if (close == '}') {
                ws(sc);
                copy_value(b, sc, tmp); /* the key */
                ws(sc);
                sc->p++;                /* ':' */
                sl_buf_putc(b, ':');
            }
            copy_value(b, sc, tmp);
            ws(sc);
            char c = *sc->p++;
            sl_buf_putc(b, c);
            if (c == close) return;
        }
    }
    case 't': case 'f': case 'n':
        sl_buf_puts(b, *p == 't' ? "true" : *p == 'f' ? "false" : "null");
        sc->p += *p == 'f' ? 5 : 4;
        return;
    default: {
        skip_number(sc);
        size_t n = (size_t)(sc->p - p);
        int is_int = !memchr(p, '.', n) && !memchr(p, 'e', n) && !memchr(p, 'E', n);
        char num[SL_TEXT_MAX];
        if (is_int) {
            /* long or BigInteger: the digits, "-0" as "0" */
            if (n == 2 && p[0] == '-' && p[1] == '0') sl_buf_putc(b, '0');
            else sl_buf_append(b, p, n);
            return;
        }
        char *s = sl_malloc(n + 1);
        if (!s) { b->oom = 1; return; }
        memcpy(s, p, n);
        s[n] = 0;
        double d = strtod(s, NULL);
        sl_free(s);
        sl_f64_to_text(d, num);
        sl_buf_puts(b, num);
        return;
    }
    }
}

/* ---- evaluation: Spark's evaluatePath ---------------------------------- */

typedef enum style { RAW, QUOTED, FLATTEN } style;

typedef struct ectx {
    sl_buf tmp;   /* scratch for unescaping */
    int oom;
} ectx;

static int eval(ectx *cx, const char *v, const char *e, const step *s, int n, style sty, gen *g);

/* Calls f on each element of the array at v (each element's start). */
#define FOR_EACH_ELEM(v, e, elem, body)                                    \
    do {                                                                   \
        scan sc_ = {(v) + 1, (e)};                                         \
        ws(&sc_);                                                          \
        if (*sc_.p == ']') break;                                          \
        for (;;) {                                                         \
            ws(&sc_);                                                      \
            const char *elem = sc_.p;                                      \
            body;                                                          \
            skip_value(&sc_, 0);                                           \
            ws(&sc_);                                                      \
            if (*sc_.p++ == ']') break;                                    \
        }                                                                  \
    } while (0)

static int eval(ectx *cx, const char *v, const char *e, const step *s, int n, style sty, gen *g)
{
    if (n == 0) {
        if (*v == '"' && sty == RAW) {
            unescape(g->b, v);
            return 1;
        }
        if (*v == '[' && sty == FLATTEN) {
            int dirty = 0;
            FOR_EACH_ELEM(v, e, el, dirty |= eval(cx, el, e, s, 0, sty, g));
            return dirty;
        }
        gen_sep(g);
        scan sc = {v, e};
        copy_value(g->b, &sc, &cx->tmp);
        return 1;
    }
    if (*v == '{' && s[0].kind == ST_NAMED) {
        int dirty = 0;
        scan sc = {v + 1, e};
        ws(&sc);
        if (*sc.p == '}') return 0;
        for (;;) {
            ws(&sc);
            const char *key = sc.p;
            skip_string(&sc);
            ws(&sc);
            sc.p++; /* ':' */
            ws(&sc);
            if (!dirty) {
                sl_buf_reset(&cx->tmp);
                unescape(&cx->tmp, key);
                /* a member whose value is null does not match */
                if (cx->tmp.len == s[0].name_len && !memcmp(cx->tmp.data ? cx->tmp.data : "", s[0].name,
                                                            s[0].name_len) && *sc.p != 'n')
                    dirty = eval(cx, sc.p, e, s + 1, n - 1, sty, g);
            }
            skip_value(&sc, 0);
            ws(&sc);
            if (*sc.p++ == '}') break;
        }
        return dirty;
    }
    if (*v != '[') return 0;
    if (s[0].kind == ST_SUB_WILD && n >= 2 && s[1].kind == ST_SUB_WILD) {
        /* Hive's non-structure-preserving double wildcard */
        int dirty = 0;
        if (gen_begin_array(g)) { cx->oom = 1; return 0; }
        FOR_EACH_ELEM(v, e, el, dirty |= eval(cx, el, e, s + 2, n - 2, FLATTEN, g));
        gen_end_array(g);
        return dirty;
    }
    if (s[0].kind == ST_SUB_WILD && sty != QUOTED) {
        /* matches go to a buffer first: one match is written without the
         * array around it, as Hive does */
        sl_buf buf;
        sl_buf_init(&buf);
        gen inner = {.b = &buf};
        int dirty = 0;
        gen_begin_array(&inner);
        FOR_EACH_ELEM(v, e, el, dirty += eval(cx, el, e, s + 1, n - 1, sty == RAW ? QUOTED : FLATTEN, &inner));
        gen_end_array(&inner);
        if (buf.oom) cx->oom = 1;
        if (dirty > 1) {
            gen_sep(g);
            sl_buf_append(g->b, buf.data, buf.len);
        } else if (dirty == 1) {
            gen_sep(g);
            sl_buf_append(g->b, buf.data + 1, buf.len - 2);
        }
        sl_buf_fini(&buf);
        return dirty > 0;
    }
    if (s[0].kind == ST_SUB_WILD) {
        int dirty = 0;
        if (gen_begin_array(g)) { cx->oom = 1; return 0; }
        FOR_EACH_ELEM(v, e, el, dirty |= eval(cx, el, e, s + 1, n - 1, QUOTED, g));
        gen_end_array(g);
        return dirty;
    }
    if (s[0].kind == ST_SUB_INDEX) {
        style next = n >= 2 && s[1].kind == ST_SUB_WILD ? QUOTED : sty;
        long long i = 0;
        int dirty = 0;
        FOR_EACH_ELEM(v, e, el, if (i++ == s[0].index) { dirty = eval(cx, el, e, s + 1, n - 1, next, g); });
        return dirty;
    }
    return 0; /* `.*`, or a name on an array: no match */
}

static sl_status k_get_json_object(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                                   const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err)
{
    sl_col *o = sl_col_new(SL_TYPE_STRING);
    if (!o || sl_col_reserve(o, n_rows, 0)) { sl_col_unref(o); return sl_err_oom(err); }
    sl_buf b;
    ectx cx = {0};
    sl_buf_init(&b);
    sl_buf_init(&cx.tmp);
    sl_status st = SL_OK;
    for (int64_t i = 0; i < n_rows && !st; i++) {
        int found = 0;
        if (!sl_fn_any_null(args, n_args, i)) {
            size_t pl, jl;
            const char *p = sl_col_str(args[1], i, &pl), *j = sl_col_str(args[0], i, &jl);
            jpath *jp = NULL;
            if ((st = jpath_get(state, p, pl, &jp, err))) break;
            scan sc = {j, j + jl};
            if (jp->valid && !skip_value(&sc, 0)) {
                /* The value is well-formed: the walk below cannot run past
                 * it, so it needs no bounds checks beyond its end. */
                scan at = {j, sc.p};
                ws(&at);
                gen g = {.b = &b};
                sl_buf_reset(&b);
                found = eval(&cx, at.p, sc.p, jp->steps, jp->n_steps, RAW, &g);
            }
        }
        if (b.oom || cx.tmp.oom || cx.oom) { st = sl_err_oom(err); break; }
        if ((found ? sl_col_append_str(o, b.data ? b.data : "", b.len) : sl_col_append_null(o)))
            st = sl_err_oom(err);
    }
    sl_buf_fini(&b);
    sl_buf_fini(&cx.tmp);
    if (st) { sl_col_unref(o); return st; }
    *out = o;
    return SL_OK;
}

const sl_func_def sl_fn_json_defs[] = {
    {"get_json_object", 2, 2, 0, sl_fn_resolve_str_str, k_get_json_object, jpath_free},
};
const int sl_fn_json_count = sizeof sl_fn_json_defs / sizeof sl_fn_json_defs[0];
