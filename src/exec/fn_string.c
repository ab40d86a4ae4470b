/* String kernels: concat, concat_ws, upper/lower, trim family, length,
 * substring, LIKE, and the PCRE2-backed regexp_replace, regexp_extract and
 * rlike.  Each runs one loop over its columns and appends into one result
 * column (amortised growth, no per-row allocation).  Lengths and positions
 * count UTF-8 characters, as Spark counts Java chars of BMP text.  A regex is
 * compiled once and kept in *state; when the pattern varies by row (LIKE and
 * RLIKE operators need not take a literal) it is recompiled only when the
 * text changes. */
#include "exec/fn_int.h"

#include "core/buf.h"

#include <stdio.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Appends NULL or string; the common tail of every string kernel. */
#define APPEND_OR_FAIL(expr) do { if (expr) goto oom; } while (0)

static sl_col *new_str(int64_t n, size_t bytes)
{
    sl_col *o = sl_col_new(SL_TYPE_STRING);
    if (o && sl_col_reserve(o, n, bytes)) { sl_col_unref(o); return NULL; }
    return o;
}

static size_t total_chars(sl_col *const *args, int n_args)
{
    size_t t = 0;
    for (int a = 0; a < n_args; a++)
        if (args[a]->type == SL_TYPE_STRING) t += args[a]->chars_len;
    return t;
}

/* ---- concat, concat_ws ----------------------------------------------------- */

static sl_status k_concat(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                          const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err)
{
    sl_col *o = new_str(n_rows, total_chars(args, n_args));
    if (!o) return sl_err_oom(err);
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_fn_any_null(args, n_args, i)) { APPEND_OR_FAIL(sl_col_append_null(o)); continue; }
        size_t len = 0;
        for (int a = 0; a < n_args; a++) {
            const int32_t *off = sl_col_offsets(args[a]);
            len += (size_t)(off[i + 1] - off[i]);
        }
        APPEND_OR_FAIL(sl_col_reserve(o, 1, len));
        char *dst = o->chars + o->chars_len;
        for (int a = 0; a < n_args; a++) {
            size_t l;
            const char *s = sl_col_str(args[a], i, &l);
            if (l) memcpy(dst, s, l);
            dst += l;
        }
        /* The bytes are in place; append_str with them as source is a no-op
         * copy, so account for them directly. */
        o->chars_len += len;
        sl_col_offsets(o)[o->len + 1] = (int32_t)o->chars_len;
        if (o->validity) sl_bit_set(o->validity, o->len);
        o->len++;
    }
    *out = o;
    return SL_OK;
oom:
    sl_col_unref(o);
    return sl_err_oom(err);
}

static sl_status k_concat_ws(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                             const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err)
{
    sl_col *o = new_str(n_rows, total_chars(args, n_args));
    sl_buf b;
    sl_buf_init(&b);
    if (!o) return sl_err_oom(err);
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_col_is_null(args[0], i)) { APPEND_OR_FAIL(sl_col_append_null(o)); continue; }
        size_t sl;
        const char *sep = sl_col_str(args[0], i, &sl);
        sl_buf_reset(&b);
        int first = 1;
        for (int a = 1; a < n_args; a++) {
            if (sl_col_is_null(args[a], i)) continue; /* concat_ws skips NULLs */
            size_t l;
            const char *s = sl_col_str(args[a], i, &l);
            if (!first) sl_buf_append(&b, sep, sl);
            sl_buf_append(&b, s, l);
            first = 0;
        }
        if (b.oom) goto oom;
        APPEND_OR_FAIL(sl_col_append_str(o, b.data ? b.data : "", b.len));
    }
    sl_buf_fini(&b);
    *out = o;
    return SL_OK;
oom:
    sl_buf_fini(&b);
    sl_col_unref(o);
    return sl_err_oom(err);
}

/* ---- per-row transforms ------------------------------------------------ */

typedef enum { T_UPPER, T_LOWER, T_TRIM, T_LTRIM, T_RTRIM } xform;

/* Simple case mapping of the two-byte UTF-8 letters, as Java's
 * toUpperCase/toLowerCase map them one to one.  (Mappings that change the
 * length, such as German sharp s to "SS", are left as they are.) */
static uint32_t cp_upper(uint32_t c)
{
    if ((c >= 0xe0 && c <= 0xfe && c != 0xf7)) return c - 0x20;
    if (c == 0xff) return 0x178;
    if (c == 0xb5) return 0x39c;
    if (c >= 0x100 && c <= 0x17f) {
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) return (c & 1) ? c : c - 1;
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149) return c;
        if (c == 0x17f) return c;
        return (c & 1) ? c - 1 : c;
    }
    if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) return c - 0x20;
    if (c == 0x3c2) return 0x3a3;
    if (c >= 0x3ac && c <= 0x3af) return c == 0x3ac ? 0x386 : c - 0x25;
    if (c >= 0x430 && c <= 0x44f) return c - 0x20;
    if (c >= 0x450 && c <= 0x45f) return c - 0x50;
    return c;
}

static uint32_t cp_lower(uint32_t c)
{
    if ((c >= 0xc0 && c <= 0xde && c != 0xd7)) return c + 0x20;
    if (c == 0x178) return 0xff;
    if (c >= 0x100 && c <= 0x17f) {
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) return (c & 1) ? c + 1 : c;
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17f) return c;
        return (c & 1) ? c : c + 1;
    }
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 0x20;
    if (c == 0x386) return 0x3ac;
    if (c >= 0x388 && c <= 0x38a) return c + 0x25;
    if (c >= 0x410 && c <= 0x42f) return c + 0x20;
    if (c >= 0x400 && c <= 0x40f) return c + 0x50;
    return c;
}

static sl_status transform(sl_col *const *args, int64_t n_rows, xform x, sl_col **out,
                           sl_error *err)
{
    sl_col *o = new_str(n_rows, args[0]->chars_len);
    if (!o) return sl_err_oom(err);
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_col_is_null(args[0], i)) { APPEND_OR_FAIL(sl_col_append_null(o)); continue; }
        size_t l;
        const char *s = sl_col_str(args[0], i, &l);
        if (x == T_UPPER || x == T_LOWER) {
            APPEND_OR_FAIL(sl_col_append_str(o, s, l));
            char *d = o->chars + o->chars_len - l;
            for (size_t k = 0; k < l; k++) {
                unsigned char c = (unsigned char)d[k];
                if (c < 0x80) {
                    if (x == T_UPPER && c >= 'a' && c <= 'z') d[k] = (char)(c - 32);
                    else if (x == T_LOWER && c >= 'A' && c <= 'Z') d[k] = (char)(c + 32);
                } else if (c >= 0xc2 && c < 0xe0 && k + 1 < l &&
                           ((unsigned char)d[k + 1] & 0xc0) == 0x80) {
                    /* two-byte letters (Latin-1, Latin Extended-A, Greek,
                     * Cyrillic) map to two-byte letters, so in place */
                    uint32_t cp = ((uint32_t)(c & 0x1f) << 6) | ((unsigned char)d[k + 1] & 0x3f);
                    uint32_t m = x == T_UPPER ? cp_upper(cp) : cp_lower(cp);
                    d[k] = (char)(0xc0 | (m >> 6));
                    d[k + 1] = (char)(0x80 | (m & 0x3f));
                    k++;
                }
            }
        } else {
            /* Spark's trim removes the space character only. */
            size_t b = 0, e = l;
            if (x != T_RTRIM) while (b < e && s[b] == ' ') b++;
            if (x != T_LTRIM) while (e > b && s[e - 1] == ' ') e--;
            APPEND_OR_FAIL(sl_col_append_str(o, s + b, e - b));
        }
    }
    *out = o;
    return SL_OK;
oom:
    sl_col_unref(o);
    return sl_err_oom(err);
}

#define XFORM_KERNEL(fname, X)                                                            \
    static sl_status fname(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,  \
                           const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err) \
    {                                                                                     \
        return transform(args, n_rows, X, out, err);                                      \
    }
XFORM_KERNEL(k_upper, T_UPPER)
XFORM_KERNEL(k_lower, T_LOWER)
XFORM_KERNEL(k_trim, T_TRIM)
XFORM_KERNEL(k_ltrim, T_LTRIM)
XFORM_KERNEL(k_rtrim, T_RTRIM)

static int64_t utf8_count(const char *s, size_t n)
{
    int64_t c = 0;
    for (size_t k = 0; k < n; k++) c += ((unsigned char)s[k] & 0xc0) != 0x80;
    return c;
}

/* Byte offset of character index ci (clamped to n). */
static size_t utf8_offset(const char *s, size_t n, int64_t ci)
{
    size_t k = 0;
    for (int64_t c = 0; k < n; k++) {
        if (((unsigned char)s[k] & 0xc0) != 0x80) {
            if (c == ci) return k;
            c++;
        }
    }
    return n;
}

static sl_status k_length(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                          const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err)
{
    sl_col *o = sl_fn_new_result(SL_TYPE_INT, n_rows, args, 1);
    if (!o) return sl_err_oom(err);
    int32_t *d = sl_col_i32(o);
    for (int64_t i = 0; i < n_rows; i++) {
        size_t l;
        const char *s = sl_col_str(args[0], i, &l);
        d[i] = (int32_t)utf8_count(s, l);
    }
    *out = o;
    return SL_OK;
}

static sl_status k_substring(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                             const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err)
{
    sl_col *o = new_str(n_rows, args[0]->chars_len);
    if (!o) return sl_err_oom(err);
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_fn_any_null(args, n_args, i)) { APPEND_OR_FAIL(sl_col_append_null(o)); continue; }
        size_t l;
        const char *s = sl_col_str(args[0], i, &l);
        int64_t pos = sl_col_i32(args[1])[i];
        int64_t len = n_args > 2 ? sl_col_i32(args[2])[i] : INT32_MAX;
        /* UTF8String.substringSQL: 1-based, negative counts from the end,
         * position 0 behaves as 1. */
        int64_t nch = utf8_count(s, l);
        int64_t start = pos > 0 ? pos - 1 : pos < 0 ? nch + pos : 0;
        int64_t end = start + len;
        if (end > INT32_MAX) end = INT32_MAX;
        if (start < 0) start = 0;
        if (start >= end || start >= nch) { APPEND_OR_FAIL(sl_col_append_str(o, "", 0)); continue; }
        if (end > nch) end = nch;
        size_t b = utf8_offset(s, l, start), e = utf8_offset(s, l, end);
        APPEND_OR_FAIL(sl_col_append_str(o, s + b, e - b));
    }
    *out = o;
    return SL_OK;
oom:
    sl_col_unref(o);
    return sl_err_oom(err);
}

/* ---- LIKE -------------------------------------------------------------- */

static size_t utf8_len1(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

static bool esc_at(const char *p, size_t m, size_t i, const char *esc, size_t el)
{
    return el && i + el <= m && !memcmp(p + i, esc, el);
}

int sl_like_check(const char *p, size_t m, const char *esc, size_t el, char *why, size_t why_len)
{
    for (size_t i = 0; i < m;) {
        if (!esc_at(p, m, i, esc, el)) { i++; continue; }
        i += el;
        if (i >= m) {
            snprintf(why, why_len, "the LIKE pattern '%.*s' is invalid: it ends with the escape character '%.*s'",
                     (int)(m > 200 ? 200 : m), p, (int)el, esc);
            return -1;
        }
        if (p[i] == '_' || p[i] == '%') { i++; continue; }
        if (esc_at(p, m, i, esc, el)) { i += el; continue; }
        size_t cl = utf8_len1((unsigned char)p[i]);
        if (i + cl > m) cl = m - i;
        snprintf(why, why_len,
                 "the LIKE pattern '%.*s' is invalid: the escape character '%.*s' may precede only _, %% or "
                 "itself, not '%.*s' (double it to match it literally)",
                 (int)(m > 200 ? 200 : m), p, (int)el, esc, (int)cl, p + i);
        return -1;
    }
    return 0;
}

/* SQL LIKE: % any run, _ one character, the escape character (default '\\')
 * makes the next _, % or escape literal; the pattern has passed
 * sl_like_check.  Iterative with one backtrack point per %, so no input
 * recurses or goes quadratic beyond O(n*m). */
static bool like_match(const char *s, size_t n, const char *p, size_t m, const char *esc, size_t el)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < n) {
        if (pi < m) {
            char c;
            if (esc_at(p, m, pi, esc, el) && pi + el < m) {
                pi += el;
                c = p[pi];
            } else {
                c = p[pi];
                if (c == '%') { star_p = ++pi; star_s = si; continue; }
                if (c == '_') {
                    si += utf8_len1((unsigned char)s[si]);
                    if (si > n) si = n;
                    pi++;
                    continue;
                }
            }
            if (s[si] == c) { si++; pi++; continue; }
        }
        if (star_p == (size_t)-1) return false;
        pi = star_p;
        star_s += utf8_len1((unsigned char)s[star_s]);
        si = star_s;
        if (si > n) return false;
    }
    while (pi < m && p[pi] == '%' && !esc_at(p, m, pi, esc, el)) pi++;
    return pi == m;
}

/* like(str, pattern [, escape]): the escape argument is a one-character
 * literal (the binder checks it, and a literal pattern, before the query
 * starts); a pattern from a column is checked row by row. */
static sl_status k_like(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                        const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err)
{
    const char *esc = "\\";
    size_t el = 1;
    if (n_args > 2 && n_rows > 0) {
        if (sl_col_is_null(args[2], 0)) return sl_err(err, SL_ERR_TYPE, "the LIKE escape character is NULL");
        esc = sl_col_str(args[2], 0, &el);
        if (!el || utf8_len1((unsigned char)esc[0]) != el) /* like(s, p, e) called as a function */
            return sl_err(err, SL_ERR_TYPE, "the LIKE escape must be one character, not '%.*s'", (int)el, esc);
    }
    sl_col *o = sl_fn_new_result(SL_TYPE_BOOLEAN, n_rows, args, 2);
    if (!o) return sl_err_oom(err);
    const char *checked = NULL;
    size_t checked_len = 0;
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_fn_any_null(args, 2, i)) continue;
        size_t l, pl;
        const char *s = sl_col_str(args[0], i, &l);
        const char *p = sl_col_str(args[1], i, &pl);
        if (!checked || checked_len != pl || memcmp(checked, p, pl)) {
            char why[600];
            if (sl_like_check(p, pl, esc, el, why, sizeof why)) {
                sl_col_unref(o);
                return sl_err(err, SL_ERR_TYPE, "%s", why);
            }
            checked = p;
            checked_len = pl;
        }
        if (like_match(s, l, p, pl, esc, el)) sl_bit_set(o->data, i);
    }
    *out = o;
    return SL_OK;
}

/* ---- regular expressions ------------------------------------------------ */

typedef struct rx_state {
    char *pat;
    size_t pat_len;
    pcre2_code *re;
    pcre2_match_data *md;
} rx_state;

static void rx_free(void *p)
{
    rx_state *rx = p;
    if (!rx) return;
    pcre2_match_data_free(rx->md);
    pcre2_code_free(rx->re);
    sl_free(rx->pat);
    sl_free(rx);
}

/* Compiles the pattern unless *state already holds it. */
static sl_status rx_get(void **state, const char *p, size_t pl, rx_state **out, sl_error *err)
{
    rx_state *rx = *state;
    if (rx && rx->pat_len == pl && !memcmp(rx->pat, p, pl)) { *out = rx; return SL_OK; }
    if (!rx) {
        rx = sl_calloc(1, sizeof *rx);
        if (!rx) return sl_err_oom(err);
        *state = rx;
    }
    pcre2_match_data_free(rx->md);
    pcre2_code_free(rx->re);
    sl_free(rx->pat);
    rx->md = NULL;
    rx->re = NULL;
    rx->pat = sl_strndup(p, pl);
    if (!rx->pat) { rx->pat_len = 0; return sl_err_oom(err); }
    rx->pat_len = pl;
    int ec;
    PCRE2_SIZE eo;
    rx->re = pcre2_compile((PCRE2_SPTR)p, pl, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
    if (!rx->re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        sl_free(rx->pat);
        rx->pat = NULL;
        rx->pat_len = (size_t)-1;
        return sl_err(err, SL_ERR_TYPE, "bad regular expression '%.*s' at offset %zu: %s",
                      (int)pl, p, (size_t)eo, (const char *)msg);
    }
    rx->md = pcre2_match_data_create_from_pattern(rx->re, NULL);
    if (!rx->md) return sl_err_oom(err);
    *out = rx;
    return SL_OK;
}

/* Expands a Java replacement string: $n (and ${n}) is group n, '\' quotes
 * the next character. */
static void expand(sl_buf *b, const char *r, size_t rl, const char *s, PCRE2_SIZE *ov,
                   uint32_t n_groups)
{
    for (size_t k = 0; k < rl; k++) {
        char c = r[k];
        if (c == '\\' && k + 1 < rl) { sl_buf_putc(b, r[++k]); continue; }
        if (c == '$' && k + 1 < rl && r[k + 1] >= '0' && r[k + 1] <= '9') {
            uint32_t g = (uint32_t)(r[++k] - '0');
            /* Java takes more digits while the group number stays valid. */
            while (k + 1 < rl && r[k + 1] >= '0' && r[k + 1] <= '9' &&
                   g * 10 + (uint32_t)(r[k + 1] - '0') < n_groups)
                g = g * 10 + (uint32_t)(r[++k] - '0');
            if (g < n_groups && ov[2 * g] != PCRE2_UNSET)
                sl_buf_append(b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
            continue;
        }
        sl_buf_putc(b, c);
    }
}

/* regexp_replace(s, '[^0-9]', r) with a literal r (no '$' or '\\'), the
 * reference pipeline's digit stripping: an ASCII row is copied byte by byte,
 * every non-digit byte replaced by r, which is what the pattern does to
 * ASCII text.  Rows with other bytes (multi-byte or invalid UTF-8, where a
 * match is a code point or nothing) go through PCRE2.  Returns 1 when the
 * row was done, 0 to use PCRE2. */
static bool is_nondigit_class(const char *p, size_t pl)
{
    return pl == 6 && !memcmp(p, "[^0-9]", 6);
}

static int strip_nondigits_ascii(sl_buf *b, const char *s, size_t l, const char *r, size_t rl)
{
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)s[i] >= 0x80) return 0;
    for (size_t i = 0; i < l;) {
        size_t j = i;
        while (j < l && s[j] >= '0' && s[j] <= '9') j++;
        if (j > i) sl_buf_append(b, s + i, j - i);
        if (j < l) {
            if (rl) sl_buf_append(b, r, rl);
            j++;
        }
        i = j;
    }
    return 1;
}

static sl_status k_regexp_replace(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                                  const sl_eval_ctx *ctx, void **state, sl_col **out,
                                  sl_error *err)
{
    sl_col *o = new_str(n_rows, args[0]->chars_len);
    sl_buf b;
    sl_buf_init(&b);
    if (!o) return sl_err_oom(err);
    sl_status st = SL_OK;
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_fn_any_null(args, 3, i)) { APPEND_OR_FAIL(sl_col_append_null(o)); continue; }
        size_t l, pl, rl;
        const char *s = sl_col_str(args[0], i, &l);
        const char *p = sl_col_str(args[1], i, &pl);
        const char *r = sl_col_str(args[2], i, &rl);
        sl_buf_reset(&b);
        if (is_nondigit_class(p, pl) && (!rl || (!memchr(r, '$', rl) && !memchr(r, '\\', rl))) &&
            strip_nondigits_ascii(&b, s, l, r, rl)) {
            if (b.oom) goto oom;
            APPEND_OR_FAIL(sl_col_append_str(o, b.data ? b.data : "", b.len));
            continue;
        }
        rx_state *rx;
        if ((st = rx_get(state, p, pl, &rx, err))) goto fail;
        uint32_t ng = pcre2_get_ovector_count(rx->md);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rx->md);
        size_t at = 0, copied = 0;
        while (at <= l) {
            int rc = pcre2_match(rx->re, (PCRE2_SPTR)s, l, at, 0, rx->md, NULL);
            if (rc < 0) break;
            sl_buf_append(&b, s + copied, ov[0] - copied);
            expand(&b, r, rl, s, ov, ng);
            copied = ov[1];
            if (ov[1] == ov[0]) {
                /* An empty match: step one character so the loop advances. */
                if (ov[1] >= l) break;
                size_t step = utf8_len1((unsigned char)s[ov[1]]);
                sl_buf_append(&b, s + ov[1], step);
                copied = ov[1] + step;
                at = copied;
            } else {
                at = ov[1];
            }
        }
        if (copied < l) sl_buf_append(&b, s + copied, l - copied);
        if (b.oom) goto oom;
        APPEND_OR_FAIL(sl_col_append_str(o, b.data ? b.data : "", b.len));
    }
    sl_buf_fini(&b);
    *out = o;
    return SL_OK;
oom:
    st = sl_err_oom(err);
fail:
    sl_buf_fini(&b);
    sl_col_unref(o);
    return st;
}

static sl_status k_regexp_extract(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                                  const sl_eval_ctx *ctx, void **state, sl_col **out,
                                  sl_error *err)
{
    sl_col *o = new_str(n_rows, args[0]->chars_len / 2);
    if (!o) return sl_err_oom(err);
    sl_status st = SL_OK;
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_fn_any_null(args, n_args, i)) { APPEND_OR_FAIL(sl_col_append_null(o)); continue; }
        size_t l, pl;
        const char *s = sl_col_str(args[0], i, &l);
        const char *p = sl_col_str(args[1], i, &pl);
        int64_t g = n_args > 2 ? sl_col_i32(args[2])[i] : 1;
        rx_state *rx;
        if ((st = rx_get(state, p, pl, &rx, err))) goto fail;
        uint32_t ng = pcre2_get_ovector_count(rx->md);
        uint32_t cap;
        pcre2_pattern_info(rx->re, PCRE2_INFO_CAPTURECOUNT, &cap);
        if (g < 0 || g > (int64_t)cap) {
            st = sl_err(err, SL_ERR_TYPE,
                        "regexp_extract(): the regex '%.*s' has %u groups, but group %lld was asked for",
                        (int)pl, p, cap, (long long)g);
            goto fail;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rx->md);
        int rc = pcre2_match(rx->re, (PCRE2_SPTR)s, l, 0, 0, rx->md, NULL);
        if (rc < 0 || (uint32_t)g >= ng || ov[2 * g] == PCRE2_UNSET) {
            APPEND_OR_FAIL(sl_col_append_str(o, "", 0)); /* Spark: no match -> '' */
            continue;
        }
        APPEND_OR_FAIL(sl_col_append_str(o, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
    }
    *out = o;
    return SL_OK;
oom:
    st = sl_err_oom(err);
fail:
    sl_col_unref(o);
    return st;
}

static sl_status k_rlike(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                         const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err)
{
    sl_col *o = sl_fn_new_result(SL_TYPE_BOOLEAN, n_rows, args, 2);
    if (!o) return sl_err_oom(err);
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_fn_any_null(args, 2, i)) continue;
        size_t l, pl;
        const char *s = sl_col_str(args[0], i, &l);
        const char *p = sl_col_str(args[1], i, &pl);
        rx_state *rx;
        sl_status st = rx_get(state, p, pl, &rx, err);
        if (st) { sl_col_unref(o); return st; }
        if (pcre2_match(rx->re, (PCRE2_SPTR)s, l, 0, 0, rx->md, NULL) >= 0) sl_bit_set(o->data, i);
    }
    *out = o;
    return SL_OK;
}

/* ---- resolvers ---------------------------------------------------------- */

static int r_length(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                    char *why, size_t why_len)
{
    want[0] = SL_TYPE_STRING;
    *out_ret = SL_TYPE_INT;
    return 0;
}

static int r_bool_pred(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                       char *why, size_t why_len)
{
    for (int i = 0; i < n_args; i++) want[i] = SL_TYPE_STRING;
    *out_ret = SL_TYPE_BOOLEAN;
    return 0;
}

static int r_substring(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                       char *why, size_t why_len)
{
    want[0] = SL_TYPE_STRING;
    for (int i = 1; i < n_args; i++) {
        if (args[i] != SL_TYPE_NULL && !sl_type_is_integral(args[i]) && args[i] != SL_TYPE_STRING) {
            snprintf(why, why_len, "substring() takes an integer %s, not %s",
                     i == 1 ? "position" : "length", sl_type_name(args[i]));
            return -1;
        }
        want[i] = SL_TYPE_INT;
    }
    *out_ret = SL_TYPE_STRING;
    return 0;
}

static int r_regexp_extract(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                            char *why, size_t why_len)
{
    want[0] = want[1] = SL_TYPE_STRING;
    if (n_args > 2) {
        if (args[2] != SL_TYPE_NULL && !sl_type_is_integral(args[2])) {
            snprintf(why, why_len, "regexp_extract() takes an integer group index, not %s",
                     sl_type_name(args[2]));
            return -1;
        }
        want[2] = SL_TYPE_INT;
    }
    *out_ret = SL_TYPE_STRING;
    return 0;
}

const sl_func_def sl_fn_string_defs[] = {
    {"concat", 1, -1, 0, sl_fn_resolve_str_str, k_concat, NULL},
    {"concat_ws", 1, -1, 0, sl_fn_resolve_str_str, k_concat_ws, NULL},
    {"upper", 1, 1, 0, sl_fn_resolve_str_str, k_upper, NULL},
    {"ucase", 1, 1, 0, sl_fn_resolve_str_str, k_upper, NULL},
    {"lower", 1, 1, 0, sl_fn_resolve_str_str, k_lower, NULL},
    {"lcase", 1, 1, 0, sl_fn_resolve_str_str, k_lower, NULL},
    {"trim", 1, 1, 0, sl_fn_resolve_str_str, k_trim, NULL},
    {"ltrim", 1, 1, 0, sl_fn_resolve_str_str, k_ltrim, NULL},
    {"rtrim", 1, 1, 0, sl_fn_resolve_str_str, k_rtrim, NULL},
    {"length", 1, 1, 0, r_length, k_length, NULL},
    {"char_length", 1, 1, 0, r_length, k_length, NULL},
    {"substring", 2, 3, 0, r_substring, k_substring, NULL},
    {"substr", 2, 3, 0, r_substring, k_substring, NULL},
    {"regexp_replace", 3, 3, SL_FN_CONST_ARG1, sl_fn_resolve_str_str, k_regexp_replace, rx_free},
    {"regexp_extract", 2, 3, SL_FN_CONST_ARG1, r_regexp_extract, k_regexp_extract, rx_free},
    {"like", 2, 3, 0, r_bool_pred, k_like, NULL},
    {"rlike", 2, 2, 0, r_bool_pred, k_rlike, rx_free},
};
const int sl_fn_string_count = sizeof sl_fn_string_defs / sizeof sl_fn_string_defs[0];
