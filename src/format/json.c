/* JSON records straight into columns, directed by the declared schema.
 *
 * No document tree is built: one pass over the record finds each key, maps
 * it to a schema column (a per-position hint makes the usual case — every
 * record with the same keys in the same order — one memcmp), and notes the
 * value's span in a slot.  When the object closes, each slot is converted to
 * its column's type and appended.  String scanning looks for the closing
 * quote 16 bytes at a time with SSE2.  Nested values are skipped with a depth
 * cap, so no input can exhaust the stack; a value of the wrong type makes the
 * record malformed (format.c applies the mode).  The writer at the end
 * renders rows as Spark's JSON sink does. */
#include "format/format_int.h"

#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"

#include <string.h>
#include <strings.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Deeper nesting than this in a skipped value makes the record malformed. */
#define MAX_DEPTH 512

typedef struct scan {
    const char *s;
    size_t i, n;
} scan;

static inline void skip_ws(scan *sc)
{
    while (sc->i < sc->n) {
        unsigned char c = (unsigned char)sc->s[sc->i];
        /* every JSON whitespace byte is <= ' ': one test for the usual case */
        if (c > ' ' || (c != ' ' && c != '\t' && c != '\n' && c != '\r')) break;
        sc->i++;
    }
}

/* Bytes that may appear in a JSON number token. */
static const uint8_t num_char[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['-'] = 1, ['+'] = 1, ['.'] = 1, ['e'] = 1, ['E'] = 1};

/* sc->i is just past the opening quote. Leaves sc->i past the closing quote
 * and returns 0 (no escapes), 1 (escapes), or -1 (unterminated or a raw
 * control character, which JSON forbids). */
static inline int scan_string(scan *sc)
{
    const char *s = sc->s;
    size_t i = sc->i, n = sc->n;
    int esc = 0;
    for (;;) {
#ifdef __SSE2__
        const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
                      ctl = _mm_set1_epi8(0x1f);
        while (i + 16 <= n) {
            __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)),
                                     _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl));
            int mask = _mm_movemask_epi8(m);
            if (mask) { i += (size_t)__builtin_ctz((unsigned)mask); goto found; }
            i += 16;
        }
#endif
        while (i < n) {
            unsigned char c = (unsigned char)s[i];
            if (c == '"' || c == '\\' || c < 0x20) goto found;
            i++;
        }
        return -1;
    found:
        if (s[i] == '"') { sc->i = i + 1; return esc; }
        if (s[i] != '\\') return -1;
        esc = 1;
        i += 2;
        if (i > n) return -1;
    }
}

/* Skips a number's characters; the converter validates them. */
static inline void scan_number(scan *sc)
{
    const char *s = sc->s;
    size_t i = sc->i, n = sc->n;
    while (i < n && num_char[(unsigned char)s[i]]) i++;
    sc->i = i;
}

static const double pow10_neg[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Scans and converts a short plain decimal ("975.38", "-3") in one pass,
 * exactly (mantissa < 10^15 fits a double; one correctly rounded division).
 * Returns false — leaving the caller to rescan — for anything else:
 * exponents, long mantissas, a bare '-' or '.'. */
static inline bool scan_f64(scan *sc, double *out)
{
    const char *s = sc->s;
    size_t i = sc->i, n = sc->n;
    bool neg = false;
    if (s[i] == '-') { neg = true; i++; }
    uint64_t m = 0;
    int nd = 0, e10 = 0;
    size_t st = i;
    while (i < n && (unsigned)(s[i] - '0') <= 9) {
        m = m * 10 + (uint64_t)(s[i] - '0');
        nd++;
        i++;
    }
    if (i == st) return false;
    if (i < n && s[i] == '.') {
        size_t fs = ++i;
        while (i < n && (unsigned)(s[i] - '0') <= 9) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            nd++;
            e10--;
            i++;
        }
        if (i == fs) return false;
    }
    if ((i < n && num_char[(unsigned char)s[i]]) || nd > 15 || e10 < -22) return false;
    double d = (double)m / pow10_neg[-e10];
    *out = neg ? -d : d;
    sc->i = i;
    return true;
}

/* Skips any value (used for nested values and unknown keys). */
static int skip_value(scan *sc, int depth)
{
    if (depth > MAX_DEPTH) return -1;
    skip_ws(sc);
    if (sc->i >= sc->n) return -1;
    char c = sc->s[sc->i];
    if (c == '"') { sc->i++; return scan_string(sc) < 0 ? -1 : 0; }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        sc->i++;
        skip_ws(sc);
        if (sc->i < sc->n && sc->s[sc->i] == close) { sc->i++; return 0; }
        for (;;) {
            if (c == '{') {
                skip_ws(sc);
                if (sc->i >= sc->n || sc->s[sc->i] != '"') return -1;
                sc->i++;
                if (scan_string(sc) < 0) return -1;
                skip_ws(sc);
                if (sc->i >= sc->n || sc->s[sc->i] != ':') return -1;
                sc->i++;
            }
            if (skip_value(sc, depth + 1)) return -1;
            skip_ws(sc);
            if (sc->i >= sc->n) return -1;
            if (sc->s[sc->i] == ',') { sc->i++; continue; }
            if (sc->s[sc->i] == close) { sc->i++; return 0; }
            return -1;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t start = sc->i;
        scan_number(sc);
        return sc->i > start ? 0 : -1;
    }
    static const struct { const char *lit; size_t len; } lits[] = {
        {"true", 4}, {"false", 5}, {"null", 4}, {"NaN", 3}, {"Infinity", 8}};
    for (size_t k = 0; k < sizeof lits / sizeof lits[0]; k++)
        if (sc->n - sc->i >= lits[k].len && !memcmp(sc->s + sc->i, lits[k].lit, lits[k].len)) {
            sc->i += lits[k].len;
            return 0;
        }
    return -1;
}

static void put_utf8(char *o, size_t *k, uint32_t cp)
{
    if (cp < 0x80) o[(*k)++] = (char)cp;
    else if (cp < 0x800) {
        o[(*k)++] = (char)(0xc0 | (cp >> 6));
        o[(*k)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        o[(*k)++] = (char)(0xe0 | (cp >> 12));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[(*k)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        o[(*k)++] = (char)(0xf0 | (cp >> 18));
        o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[(*k)++] = (char)(0x80 | (cp & 0x3f));
    }
}

static int hex4(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* Unescapes a string body into f->scratch (never longer than the input:
 * \uXXXX is 6 bytes for at most 3, a surrogate pair 12 for 4). Returns -1
 * on a bad escape or OOM (scratch.oom tells which). */
static int unescape(sl_format *f, const char *s, size_t n)
{
    sl_buf_reset(&f->scratch);
    if (sl_buf_reserve(&f->scratch, n + 1)) return -1;
    char *o = f->scratch.data;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '\\') { o[k++] = c; continue; }
        if (++i >= n) return -1;
        switch (s[i]) {
        case '"': o[k++] = '"'; break;
        case '\\': o[k++] = '\\'; break;
        case '/': o[k++] = '/'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (n - i < 5 || hex4(s + i + 1, &cp)) return -1;
            i += 4;
            if (cp >= 0xd800 && cp < 0xdc00) {
                uint32_t lo;
                if (n - i >= 7 && s[i + 1] == '\\' && s[i + 2] == 'u' &&
                    !hex4(s + i + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                } else {
                    cp = 0xfffd; /* a lone surrogate, as Jackson replaces it */
                }
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                cp = 0xfffd;
            }
            put_utf8(o, &k, cp);
            break;
        }
        default:
            return -1;
        }
    }
    f->scratch.len = k;
    return 0;
}

static inline bool key_eq(const char *a, const char *b, size_t n)
{
    if (n > 16) return !memcmp(a, b, n); /* a call pays off only for long keys */
    for (size_t k = 0; k < n; k++)
        if (a[k] != b[k]) return false;
    return true;
}

/* Maps a key to a schema column: exact match first, then case-insensitive.
 * `ord` is the key's position in the object, for the hint. */
static inline int find_col(sl_format *f, int ord, const char *k, size_t klen)
{
    const sl_schema *sch = f->schema;
    if (ord < SL_JSON_KEY_HINTS) {
        int h = f->key_hint[ord];
        if (h >= 0 && f->name_len[h] == klen && key_eq(sch->fields[h].name, k, klen)) return h;
    }
    int found = -1;
    for (int c = 0; c < sch->n; c++)
        if (f->name_len[c] == klen && key_eq(sch->fields[c].name, k, klen)) { found = c; break; }
    if (found < 0)
        for (int c = 0; c < sch->n; c++)
            if (f->name_len[c] == klen && !strncasecmp(sch->fields[c].name, k, klen)) {
                found = c;
                break;
            }
    if (found >= 0 && (f->skip[found] || found == f->corrupt_col)) found = -1;
    if (ord < SL_JSON_KEY_HINTS && found >= 0) f->key_hint[ord] = found;
    return found;
}

/* Scans one object (sc->i at '{') into the slots. Returns 0 or -1 when the
 * JSON is malformed. */
static int scan_object(sl_format *f, scan *sc)
{
    int n = f->schema->n;
    sl_json_slot *slots = f->slots;
    for (int c = 0; c < n; c++) slots[c].kind = SL_JV_NONE;
    sc->i++;
    skip_ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == '}') { sc->i++; return 0; }
    for (int ord = 0;; ord++) {
        skip_ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != '"') return -1;
        size_t ks = ++sc->i;
        int c = -2;
        /* The usual case: the key the hint expects, quote included, read in
         * one comparison without scanning the key first.  A name ending in
         * a backslash would make that quote an escape, so it never takes
         * this path. */
        if (ord < SL_JSON_KEY_HINTS && f->key_hint[ord] >= 0) {
            int h = f->key_hint[ord];
            uint32_t L = f->name_len[h];
            const char *name = f->schema->fields[h].name;
            if (ks + L < sc->n && sc->s[ks + L] == '"' && (L == 0 || name[L - 1] != '\\') &&
                key_eq(sc->s + ks, name, L)) {
                c = h;
                sc->i = ks + L + 1;
            }
        }
        if (c == -2) {
            int kesc = scan_string(sc);
            if (kesc < 0) return -1;
            const char *key = sc->s + ks;
            size_t klen = sc->i - 1 - ks;
            if (kesc) {
                if (unescape(f, key, klen)) return -1;
                key = f->scratch.data;
                klen = f->scratch.len;
            }
            c = find_col(f, ord, key, klen);
        }
        skip_ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != ':') return -1;
        sc->i++;
        skip_ws(sc);
        if (sc->i >= sc->n) return -1;
        size_t vs = sc->i;
        char ch = sc->s[vs];
        uint8_t kind;
        if (ch == '"') {
            sc->i++;
            int e = scan_string(sc);
            if (e < 0) return -1;
            kind = e ? SL_JV_STR_ESC : SL_JV_STR;
            vs++;
            if (c >= 0) {
                slots[c].p = sc->s + vs;
                slots[c].len = (uint32_t)(sc->i - 1 - vs);
                slots[c].kind = kind;
            }
        } else {
            if (ch == '-' || (ch >= '0' && ch <= '9')) {
                if (c >= 0 && f->schema->fields[c].type == SL_TYPE_DOUBLE &&
                    scan_f64(sc, &slots[c].d)) {
                    kind = SL_JV_NUM_D;
                } else {
                    sc->i = vs;
                    scan_number(sc);
                    /* -Infinity, as Spark's allowNonNumericNumbers reads it */
                    if (sc->i == vs + 1 && sc->n - sc->i >= 8 && !memcmp(sc->s + sc->i, "Infinity", 8))
                        sc->i += 8;
                    kind = SL_JV_NUM;
                }
            } else if (ch == '{' || ch == '[') {
                if (skip_value(sc, 1)) return -1;
                kind = SL_JV_RAW;
            } else if (sc->n - vs >= 4 && !memcmp(sc->s + vs, "null", 4)) {
                sc->i += 4;
                kind = SL_JV_NULL;
            } else if (sc->n - vs >= 4 && !memcmp(sc->s + vs, "true", 4)) {
                sc->i += 4;
                kind = SL_JV_TRUE;
            } else if (sc->n - vs >= 5 && !memcmp(sc->s + vs, "false", 5)) {
                sc->i += 5;
                kind = SL_JV_FALSE;
            } else if (skip_value(sc, 1) == 0) {
                kind = SL_JV_NUM; /* NaN, Infinity: Spark's allowNonNumericNumbers */
            } else {
                return -1;
            }
            if (c >= 0) {
                slots[c].p = sc->s + vs;
                slots[c].len = (uint32_t)(sc->i - vs);
                slots[c].kind = kind;
            }
        }
        skip_ws(sc);
        if (sc->i >= sc->n) return -1;
        if (sc->s[sc->i] == ',') { sc->i++; continue; }
        if (sc->s[sc->i] == '}') { sc->i++; return 0; }
        return -1;
    }
}

/* A JSON integer token (no fraction or exponent) into int64. */
static bool json_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && s[0] == '-') { neg = true; i = 1; }
    if (i >= n) return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9) return false;
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return false;
        *out = (int64_t)(0 - v);
    } else {
        if (v > (uint64_t)INT64_MAX) return false;
        *out = (int64_t)v;
    }
    return true;
}

static const double pow10_tab[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A JSON number token into a double.  The common short decimal ("975.38")
 * is exact with one division (Clinger's fast path); exponents, long
 * mantissas and NaN/Infinity go to the general parser. */
static inline bool json_f64(const char *s, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && s[0] == '-') { neg = true; i = 1; }
    uint64_t m = 0;
    int nd = 0, e10 = 0;
    size_t st = i;
    while (i < n && (unsigned)(s[i] - '0') <= 9) {
        m = m * 10 + (uint64_t)(s[i] - '0');
        nd++;
        i++;
    }
    if (i == st) return sl_text_to_f64(s, n, out);
    if (i < n && s[i] == '.') {
        size_t fs = ++i;
        while (i < n && (unsigned)(s[i] - '0') <= 9) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            nd++;
            e10--;
            i++;
        }
        if (i == fs) return false;
    }
    if (i != n || nd > 15 || e10 < -22) return sl_text_to_f64(s, n, out);
    double d = (double)m / pow10_tab[-e10];
    *out = neg ? -d : d;
    return true;
}

/* Converts and appends one slot. Returns 0, 1 (wrong type: NULL appended)
 * or -1 (OOM). */
static inline int append_slot(sl_format *f, int c, sl_col *col, const sl_json_slot *sl)
{
    switch (sl->kind) {
    case SL_JV_NONE:
    case SL_JV_NULL:
        return sl_col_append_null(col);
    case SL_JV_STR:
        if (col->type == SL_TYPE_STRING) {
            if (f->max_chars >= 0 && (int64_t)sl->len > f->max_chars)
                return sl_col_append_null(col) ? -1 : 1;   /* over maxCharsPerColumn */
            return sl_fmt_app_str(col, sl->p, sl->len);
        }
        return sl_format_append_text(f, c, col, sl->p, sl->len);
    case SL_JV_STR_ESC:
        if (unescape(f, sl->p, sl->len))
            return f->scratch.oom ? -1 : (sl_col_append_null(col) ? -1 : 1);
        if (col->type == SL_TYPE_STRING) {
            if (f->max_chars >= 0 && (int64_t)f->scratch.len > f->max_chars)
                return sl_col_append_null(col) ? -1 : 1;
            return sl_fmt_app_str(col, f->scratch.data, f->scratch.len);
        }
        return sl_format_append_text(f, c, col, f->scratch.data, f->scratch.len);
    case SL_JV_NUM_D:
        return sl_fmt_app_f64(col, sl->d);
    case SL_JV_NUM:
        switch (col->type) {
        case SL_TYPE_DOUBLE: {
            double v;
            if (json_f64(sl->p, sl->len, &v)) return sl_fmt_app_f64(col, v);
            break;
        }
        case SL_TYPE_BIGINT: {
            int64_t v;
            if (json_int(sl->p, sl->len, &v)) return sl_fmt_app_i64(col, v);
            break;
        }
        case SL_TYPE_INT: {
            int64_t v;
            if (json_int(sl->p, sl->len, &v) && v >= INT32_MIN && v <= INT32_MAX)
                return sl_fmt_app_i32(col, (int32_t)v);
            break;
        }
        case SL_TYPE_STRING:
            return sl_fmt_app_str(col, sl->p, sl->len);
        case SL_TYPE_TIMESTAMP: {
            /* Spark reads a number for a timestamp as epoch seconds. */
            int64_t v;
            double d;
            if (json_int(sl->p, sl->len, &v) && v < INT64_MAX / 1000000 && v > INT64_MIN / 1000000)
                return sl_fmt_app_i64(col, v * 1000000);
            if (sl_text_to_f64(sl->p, sl->len, &d) && d == d && d < 9.2e12 && d > -9.2e12)
                return sl_fmt_app_i64(col, (int64_t)(d * 1e6));
            break;
        }
        default:
            break;
        }
        break;
    case SL_JV_TRUE:
    case SL_JV_FALSE:
        if (col->type == SL_TYPE_BOOLEAN) return sl_col_append_bool(col, sl->kind == SL_JV_TRUE);
        if (col->type == SL_TYPE_STRING)
            return sl_fmt_app_str(col, sl->p, sl->len);
        break;
    case SL_JV_RAW:
        /* Spark puts a nested value's JSON text in a STRING field. */
        if (col->type == SL_TYPE_STRING) return sl_fmt_app_str(col, sl->p, sl->len);
        break;
    }
    return sl_col_append_null(col) ? -1 : 1;
}

/* Appends the row of the scanned object. Returns 0, 1 if some field had the
 * wrong type, -1 on OOM. */
static int append_row(sl_format *f, sl_batch *out)
{
    int bad = 0;
    int n = f->schema->n;
    for (int c = 0; c < n; c++) {
        if (f->skip[c] || c == f->corrupt_col) continue;
        int rc = append_slot(f, c, out->cols[c], &f->slots[c]);
        if (rc < 0) return -1;
        bad |= rc;
    }
    return bad;
}

sl_status sl_format_json_parse(sl_format *f, const char *rec, size_t len,
                               sl_batch *out, int64_t *out_rows, sl_error *err)
{
    scan sc = {rec, 0, len};
    *out_rows = 0;
    /* a UTF-8 byte-order mark at the start of a file's first line */
    if (len >= 3 && !memcmp(rec, "\xef\xbb\xbf", 3)) sc.i = 3;
    skip_ws(&sc);
    if (sc.i >= sc.n) return SL_OK; /* blank lines are skipped, as Spark does */
    f->stats.records++;
    sl_format_save(f, out);
    if ((int64_t)len > f->max_record) return sl_format_oversize(f, rec, len, out, out_rows, err);
    char ch = rec[sc.i];
    int64_t rows = 0;
    int bad = 0;
    if (ch == '{') {
        if (scan_object(f, &sc)) goto malformed;
        skip_ws(&sc);
        if (sc.i != sc.n) goto malformed;
        int rc = append_row(f, out);
        if (rc < 0) goto oom;
        bad = rc;
        rows = 1;
    } else if (ch == '[') {
        /* A top-level array of objects: one row per element. */
        sc.i++;
        skip_ws(&sc);
        if (sc.i < sc.n && rec[sc.i] == ']') {
            sc.i++;
        } else {
            for (;;) {
                skip_ws(&sc);
                if (sc.i >= sc.n || rec[sc.i] != '{') goto malformed;
                if (scan_object(f, &sc)) goto malformed;
                int rc = append_row(f, out);
                if (rc < 0) goto oom;
                bad |= rc;
                if (f->corrupt_col >= 0 && sl_col_append_null(out->cols[f->corrupt_col])) goto oom;
                rows++;
                skip_ws(&sc);
                if (sc.i >= sc.n) goto malformed;
                if (rec[sc.i] == ',') { sc.i++; continue; }
                if (rec[sc.i] == ']') { sc.i++; break; }
                goto malformed;
            }
        }
        skip_ws(&sc);
        if (sc.i != sc.n) goto malformed;
        if (bad) goto malformed; /* one bad element spoils the record */
        *out_rows = rows;
        return SL_OK;
    } else {
        goto malformed;
    }
    if (bad) return sl_format_partial(f, rec, len, out, out_rows, err);
    if (sl_format_corrupt_ok(f, out)) goto oom;
    *out_rows = rows;
    return SL_OK;
malformed:
    return sl_format_malformed(f, rec, len, out, out_rows, err);
oom:
    sl_format_rollback(f, out);
    return sl_err_oom(err);
}

/* ---- writer ------------------------------------------------------------- */

void sl_format_json_row(const sl_batch *b, const sl_schema *schema, int64_t row,
                        sl_buf *out)
{
    char tmp[SL_TEXT_MAX];
    int first = 1;
    sl_buf_putc(out, '{');
    for (int c = 0; c < schema->n && c < b->n_cols; c++) {
        const sl_col *col = b->cols[c];
        if (sl_col_is_null(col, row) || col->type == SL_TYPE_NULL) continue;
        if (!first) sl_buf_putc(out, ',');
        first = 0;
        const char *name = schema->fields[c].name;
        sl_buf_json_str(out, name, strlen(name));
        sl_buf_putc(out, ':');
        switch (col->type) {
        case SL_TYPE_BOOLEAN:
            sl_buf_puts(out, sl_col_bool(col, row) ? "true" : "false");
            break;
        case SL_TYPE_INT:
            sl_buf_append(out, tmp, sl_i64_to_text(sl_col_i32(col)[row], tmp));
            break;
        case SL_TYPE_BIGINT:
            sl_buf_append(out, tmp, sl_i64_to_text(sl_col_i64(col)[row], tmp));
            break;
        case SL_TYPE_DOUBLE: {
            double v = sl_col_f64(col)[row];
            size_t n = sl_f64_to_text(v, tmp);
            /* NaN and Infinity are not JSON numbers: quote them. */
            if (v != v || v - v != 0) sl_buf_json_str(out, tmp, n);
            else sl_buf_append(out, tmp, n);
            break;
        }
        case SL_TYPE_STRING: {
            size_t n;
            const char *s = sl_col_str(col, row, &n);
            sl_buf_json_str(out, s, n);
            break;
        }
        case SL_TYPE_TIMESTAMP: {
            size_t n = sl_timestamp_to_iso(sl_col_i64(col)[row], tmp);
            sl_buf_json_str(out, tmp, n);
            break;
        }
        case SL_TYPE_DATE: {
            size_t n = sl_date_to_text(sl_col_i32(col)[row], tmp);
            sl_buf_json_str(out, tmp, n);
            break;
        }
        default:
            sl_buf_puts(out, "null");
        }
    }
    sl_buf_putc(out, '}');
}
