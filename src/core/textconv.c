/* Text <-> value conversions with Spark's non-ANSI rules.  Every reader (JSON,
 * CSV), every CAST from or to STRING and every printer goes through here, so
 * the hot parsers (integers, doubles) avoid libc where a fast exact path
 * exists: a double whose decimal mantissa fits 2^53 and whose exponent is
 * small is computed exactly with one multiply or divide (Clinger's fast
 * path); anything else falls back to strtod on a bounded stack copy. */
#include "core/textconv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Spark's UTF8String.trimAll drops ASCII whitespace and control chars. */
static void trim(const char **s, size_t *n)
{
    const char *p = *s, *e = *s + *n;
    while (p < e && (unsigned char)*p <= ' ') p++;
    while (e > p && (unsigned char)e[-1] <= ' ') e--;
    *s = p;
    *n = (size_t)(e - p);
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static bool ieq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (m != n) return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != lit[i]) return false;
    return true;
}

bool sl_text_to_i64(const char *s, size_t n, int64_t *out)
{
    trim(&s, &n);
    if (n == 0) return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') { neg = s[0] == '-'; i++; }
    /* Accumulate negatively so INT64_MIN fits, as Spark's UTF8String.toLong. */
    int64_t v = 0;
    size_t digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        int d = s[i] - '0';
        if (v < (INT64_MIN + d) / 10) return false;
        v = v * 10 - d;
    }
    if (i < n) {
        /* Non-ANSI cast keeps the integral part of "1.9" (the fraction must
         * still be digits). */
        if (s[i] != '.') return false;
        for (i++; i < n; i++, digits++)
            if (s[i] < '0' || s[i] > '9') return false;
    }
    if (digits == 0) return false;
    if (!neg) {
        if (v == INT64_MIN) return false;
        v = -v;
    }
    *out = v;
    return true;
}

bool sl_text_to_i32(const char *s, size_t n, int32_t *out)
{
    int64_t v;
    if (!sl_text_to_i64(s, n, &v) || v < INT32_MIN || v > INT32_MAX) return false;
    *out = (int32_t)v;
    return true;
}

static const double pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Decimal syntax check plus the exact fast path; returns 1 with *out set,
 * 0 when the syntax is valid but needs strtod, -1 when invalid. */
static int f64_fast(const char *s, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) { neg = s[i] == '-'; i++; }
    uint64_t mant = 0;
    int nd = 0, exp10 = 0, ndigits = 0;
    bool overflow = false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndigits++) {
        if (nd < 19) { mant = mant * 10 + (uint64_t)(s[i] - '0'); if (mant) nd++; }
        else { overflow = true; exp10++; }
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndigits++) {
            if (nd < 19) { mant = mant * 10 + (uint64_t)(s[i] - '0'); if (mant) nd++; exp10--; }
            else overflow = true;
        }
    }
    if (ndigits == 0) return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+')) { eneg = s[i] == '-'; i++; }
        if (i >= n || s[i] < '0' || s[i] > '9') return -1;
        int e = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000) e = e * 10 + (s[i] - '0');
        exp10 += eneg ? -e : e;
    }
    /* Java's parseDouble accepts a type suffix: "1.5d", "2f". */
    if (i < n && (s[i] == 'd' || s[i] == 'D' || s[i] == 'f' || s[i] == 'F')) i++;
    if (i != n) return -1;
    if (!overflow && mant <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        double d = (double)mant;
        d = exp10 < 0 ? d / pow10_exact[-exp10] : d * pow10_exact[exp10];
        *out = neg ? -d : d;
        return 1;
    }
    return 0;
}

bool sl_text_to_f64(const char *s, size_t n, double *out)
{
    trim(&s, &n);
    if (n == 0) return false;
    int r = f64_fast(s, n, out);
    if (r == 1) return true;
    if (r < 0) {
        const char *p = s;
        size_t m = n;
        bool neg = false;
        if (*p == '-' || *p == '+') { neg = *p == '-'; p++; m--; }
        if (ieq(p, m, "nan") && p == s) { *out = NAN; return true; }
        if (ieq(p, m, "infinity") || ieq(p, m, "inf")) {
            *out = neg ? -INFINITY : INFINITY;
            return true;
        }
        return false;
    }
    char tmp[512];
    if (n >= sizeof tmp) return false;
    memcpy(tmp, s, n);
    size_t m = n;
    if (tmp[m - 1] == 'd' || tmp[m - 1] == 'D' || tmp[m - 1] == 'f' || tmp[m - 1] == 'F') m--;
    tmp[m] = 0;
    char *end;
    *out = strtod(tmp, &end);
    return end == tmp + m;
}

bool sl_text_to_bool(const char *s, size_t n, bool *out)
{
    trim(&s, &n);
    if (ieq(s, n, "t") || ieq(s, n, "true") || ieq(s, n, "y") || ieq(s, n, "yes") ||
        ieq(s, n, "1")) {
        *out = true;
        return true;
    }
    if (ieq(s, n, "f") || ieq(s, n, "false") || ieq(s, n, "n") || ieq(s, n, "no") ||
        ieq(s, n, "0")) {
        *out = false;
        return true;
    }
    return false;
}

/* ---- calendar ------------------------------------------------------------ */

/* Proleptic Gregorian day count (the classic era-based algorithm). */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void sl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Reads 1..max digits; returns how many were read. */
static int read_num(const char *s, size_t n, size_t *i, int max, int64_t *out)
{
    int k = 0;
    int64_t v = 0;
    while (*i < n && k < max && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    *out = v;
    return k;
}

/* The date part shared by timestamps and dates: [+-]yyyy[-[m]m[-[d]d]]. */
static bool parse_date_part(const char *s, size_t n, size_t *i, int64_t *y,
                            unsigned *mo, unsigned *d)
{
    bool neg = false;
    if (*i < n && (s[*i] == '-' || s[*i] == '+')) { neg = s[*i] == '-'; (*i)++; }
    int64_t v;
    int k = read_num(s, n, i, 7, &v);
    if (k < 4) return false;
    *y = neg ? -v : v;
    *mo = 1;
    *d = 1;
    if (*i < n && s[*i] == '-') {
        (*i)++;
        if (read_num(s, n, i, 2, &v) < 1 || v < 1 || v > 12) return false;
        *mo = (unsigned)v;
        if (*i < n && s[*i] == '-') {
            (*i)++;
            if (read_num(s, n, i, 2, &v) < 1 || v < 1 || v > days_in_month(*y, *mo))
                return false;
            *d = (unsigned)v;
        } else if (*i < n) {
            return false;
        }
    } else if (*i < n) {
        return false;
    }
    return true;
}

bool sl_text_to_date(const char *s, size_t n, int32_t *out_days)
{
    trim(&s, &n);
    if (n == 0) return false;
    /* Spark: "yyyy-mm-dd" may be followed by ' ' or 'T' and anything. */
    size_t cut = n;
    for (size_t j = 0; j < n; j++)
        if (s[j] == ' ' || s[j] == 'T') { cut = j; break; }
    size_t i = 0;
    int64_t y;
    unsigned m, d;
    if (!parse_date_part(s, cut, &i, &y, &m, &d) || i != cut) return false;
    int64_t days = sl_days_from_civil(y, m, d);
    if (days < INT32_MIN || days > INT32_MAX) return false;
    *out_days = (int32_t)days;
    return true;
}

static inline bool dig(char c) { return c >= '0' && c <= '9'; }
static inline int d2(const char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

/* The common shapes of files and logs, without the general parser's
 * scanning: "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-ddTHH:mm:ss", then an
 * optional "." and 1-6 fraction digits, then an optional "Z".  Returns
 * 1 with *out_us set, 0 when the text is not of this shape (the general
 * parser then decides), -1 when it is but a field is out of range. */
static int ts_fast(const char *s, size_t n, int64_t *out_us)
{
    if (n < 19 || n > 27) return 0;
    if (!(dig(s[0]) && dig(s[1]) && dig(s[2]) && dig(s[3]) && s[4] == '-' && dig(s[5]) &&
          dig(s[6]) && s[7] == '-' && dig(s[8]) && dig(s[9]) && (s[10] == ' ' || s[10] == 'T') &&
          dig(s[11]) && dig(s[12]) && s[13] == ':' && dig(s[14]) && dig(s[15]) && s[16] == ':' &&
          dig(s[17]) && dig(s[18])))
        return 0;
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && s[i] == '.') {
        size_t k = 0;
        for (i++; i < n && dig(s[i]); i++, k++) frac = frac * 10 + (s[i] - '0');
        if (k == 0 || k > 6) return 0;
        for (; k < 6; k++) frac *= 10;
    }
    if (i < n && s[i] == 'Z') i++;
    if (i != n) return 0;
    int hh = d2(s + 11), mi = d2(s + 14), ss = d2(s + 17);
    if (hh > 23 || mi > 59 || ss > 59) return -1;
    /* Consecutive values mostly share their date: the last date's day
     * number is kept per thread, keyed by its 10 bytes of text. */
    static _Thread_local uint64_t last_lo, last_hi = UINT64_MAX;
    static _Thread_local int64_t last_days;
    uint64_t lo, hi = (uint64_t)(unsigned char)s[8] | (uint64_t)(unsigned char)s[9] << 8;
    memcpy(&lo, s, 8);
    int64_t days;
    if (lo == last_lo && hi == last_hi) {
        days = last_days;
    } else {
        int64_t y = d2(s) * 100 + d2(s + 2);
        unsigned mo = (unsigned)d2(s + 5), d = (unsigned)d2(s + 8);
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return -1;
        days = sl_days_from_civil(y, mo, d);
        last_lo = lo;
        last_hi = hi;
        last_days = days;
    }
    *out_us = (days * 86400 + hh * 3600 + mi * 60 + ss) * 1000000 + frac;
    return 1;
}

bool sl_text_to_timestamp(const char *s, size_t n, int64_t *out_us)
{
    trim(&s, &n);
    if (n == 0) return false;
    int fast = ts_fast(s, n, out_us);
    if (fast) return fast > 0;
    size_t i = 0;
    /* Find where the date part ends so parse_date_part sees only it. */
    size_t cut = n;
    for (size_t j = 1; j < n; j++)
        if (s[j] == ' ' || s[j] == 'T') { cut = j; break; }
    int64_t y;
    unsigned mo, d;
    if (!parse_date_part(s, cut, &i, &y, &mo, &d) || i != cut) return false;
    int64_t hh = 0, mi = 0, ss = 0, frac = 0, off_s = 0;
    if (i < n) {
        i++; /* ' ' or 'T' */
        if (i < n) {
            if (read_num(s, n, &i, 2, &hh) < 1 || hh > 23) return false;
            if (i >= n || s[i] != ':') return false;
            i++;
            if (read_num(s, n, &i, 2, &mi) < 1 || mi > 59) return false;
            if (i < n && s[i] == ':') {
                i++;
                if (read_num(s, n, &i, 2, &ss) < 1 || ss > 59) return false;
                if (i < n && s[i] == '.') {
                    i++;
                    int k = 0;
                    while (i < n && s[i] >= '0' && s[i] <= '9') {
                        if (k < 6) frac = frac * 10 + (s[i] - '0');
                        k++;
                        i++;
                    }
                    if (k == 0 || k > 9) return false;
                    for (; k < 6; k++) frac *= 10;
                }
            }
            /* Zone: Z, [+-]hh[:mm], [+-]hhmm, or UTC/GMT with an offset. */
            if (i < n && s[i] == ' ') i++;
            if (i < n) {
                if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
                    i++;
                } else {
                    if (n - i >= 3 && (ieq(s + i, 3, "utc") || ieq(s + i, 3, "gmt"))) i += 3;
                    if (i < n) {
                        if (s[i] != '+' && s[i] != '-') return false;
                        bool neg = s[i] == '-';
                        i++;
                        int64_t oh = 0, om = 0;
                        int k = read_num(s, n, &i, 2, &oh);
                        if (k < 1 || oh > 18) return false;
                        if (i < n && s[i] == ':') i++;
                        if (i < n && read_num(s, n, &i, 2, &om) != 2) return false;
                        if (om > 59) return false;
                        off_s = (oh * 3600 + om * 60) * (neg ? -1 : 1);
                    }
                }
            }
            if (i != n) return false;
        }
    }
    int64_t days = sl_days_from_civil(y, mo, d);
    if (days > 106751991 || days < -106751991) return false;
    *out_us = ((days * 86400 + hh * 3600 + mi * 60 + ss - off_s) * 1000000) + frac;
    return true;
}

/* ---- printers ------------------------------------------------------------ */

/* Shortest decimal digits that read back to v.  When some representation
 * of at most 15 significant digits reads back, v rounded to 15 digits is
 * that representation padded with zeros (15 digits cannot hold two values
 * within half an ulp of v), so one try at 15 digits with trailing zeros
 * dropped finds it; otherwise 16, then 17 digits (17 always reads back).
 * At most three printf/strtod rounds per (normal) value: the file sinks
 * print every DOUBLE they write through here, so the usual magnitudes take
 * shortest_digits_exact, the same rounds in integer arithmetic. */
static const uint64_t pow10_u64[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull,
    1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
    100000000000000ull, 1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
    1000000000000000000ull, 10000000000000000000ull};

static unsigned __int128 pow10_u128(int s)
{
    return s < 20 ? pow10_u64[s] : (unsigned __int128)pow10_u64[s - 19] * pow10_u64[19];
}

/* What the printf/strtod rounds below compute, in exact integer arithmetic,
 * for v in [1e-5, 1e15) whose significand is not a power of two (there the
 * gap below v is half the gap above).  v = f / 2^E with f < 2^53, E <= 69;
 * for prec = 15, 16, 17 the digits D = f * 10^s / 2^E rounded half-even
 * (what %.*e prints), s chosen so D has prec digits, and D * 10^-s reads
 * back to v iff it lies within half an ulp of v (at exactly half, iff f is
 * even: strtod rounds half-even).  f * 10^s < 2^53 * 10^21 < 2^123.
 * Returns the digit count, or 0 when v is outside this path. */
static int shortest_digits_exact(double v, char *digits, int *exp10)
{
    if (!(v >= 1e-5 && v < 1e15)) return 0;
    int bexp;
    double m = frexp(v, &bexp);                 /* v = m * 2^bexp, m in [0.5, 1) */
    uint64_t f = (uint64_t)ldexp(m, 53);        /* exact: 53 bits */
    int E = 53 - bexp;                          /* v = f / 2^E */
    if (f == (1ull << 52) || E < 0 || E > 69) return 0;
    int e10 = (int)floor(log10(v));             /* may be off by one: fixed below */
    unsigned __int128 half = (unsigned __int128)1 << (E > 0 ? E - 1 : 0);
    unsigned __int128 mask = E > 0 ? ((unsigned __int128)1 << E) - 1 : 0;
    for (int prec = 15; prec <= 17; prec++) {
        uint64_t D = 0;
        unsigned __int128 dev = 0;             /* |D * 2^E - f * 10^s| */
        int s = 0, tries = 0;
        for (;;) {
            s = prec - 1 - e10;
            if (s < 0 || s > 21 || ++tries > 3) return 0;
            unsigned __int128 x = (unsigned __int128)f * pow10_u128(s);
            unsigned __int128 q = E > 0 ? x >> E : x, r = E > 0 ? (x & mask) : 0;
            bool up = E > 0 && (r > half || (r == half && (q & 1)));
            D = (uint64_t)q + up;
            dev = up ? ((unsigned __int128)1 << E) - r : r;
            if (q < pow10_u64[prec - 1]) { e10--; continue; }   /* e10 was one too high */
            if (q >= pow10_u64[prec]) { e10++; continue; }      /* one too low */
            break;
        }
        bool reads_back = prec == 17 || 2 * dev < pow10_u128(s) || (2 * dev == pow10_u128(s) && !(f & 1));
        if (!reads_back) continue;
        int e = e10;
        if (D == pow10_u64[prec]) { D /= 10; e++; } /* rounding carried into a new digit */
        char tmp[24];
        int nd = 0;
        for (uint64_t d = D; d; d /= 10) tmp[nd++] = (char)('0' + d % 10);
        for (int k = 0; k < nd; k++) digits[k] = tmp[nd - 1 - k];
        while (nd > 1 && digits[nd - 1] == '0') nd--;
        digits[nd] = 0;
        *exp10 = e;
        return nd;
    }
    return 0;
}

static int shortest_digits(double v, char *digits, int *exp10)
{
    int fast = shortest_digits_exact(v, digits, exp10);
    if (fast) return fast;
    char tmp[40];
    /* subnormals have fewer significant bits: there the argument fails, so
     * every length is tried */
    for (int prec = v < 2.2250738585072014e-308 ? 1 : 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (prec == 17 || strtod(tmp, NULL) == v) {
            int nd = 0;
            char *p = tmp;
            for (; *p && *p != 'e'; p++)
                if (*p >= '0' && *p <= '9') digits[nd++] = *p;
            *exp10 = atoi(p + 1);
            while (nd > 1 && digits[nd - 1] == '0') nd--;
            digits[nd] = 0;
            return nd;
        }
    }
    return 0;
}

size_t sl_f64_to_text(double v, char *buf)
{
    if (isnan(v)) return (size_t)sprintf(buf, "NaN");
    if (isinf(v)) return (size_t)sprintf(buf, v < 0 ? "-Infinity" : "Infinity");
    char *p = buf;
    if (signbit(v)) { *p++ = '-'; v = -v; }
    if (v == 0) { strcpy(p, "0.0"); return (size_t)(p - buf) + 3; }
    char dg[24];
    int e;
    int nd = shortest_digits(v, dg, &e);
    if (v >= 1e-3 && v < 1e7) {
        if (e >= 0) {
            for (int k = 0; k <= e; k++) *p++ = k < nd ? dg[k] : '0';
            *p++ = '.';
            if (nd > e + 1) for (int k = e + 1; k < nd; k++) *p++ = dg[k];
            else *p++ = '0';
        } else {
            *p++ = '0';
            *p++ = '.';
            for (int k = 0; k < -e - 1; k++) *p++ = '0';
            for (int k = 0; k < nd; k++) *p++ = dg[k];
        }
        *p = 0;
        return (size_t)(p - buf);
    }
    *p++ = dg[0];
    *p++ = '.';
    if (nd > 1) for (int k = 1; k < nd; k++) *p++ = dg[k];
    else *p++ = '0';
    p += sprintf(p, "E%d", e);
    return (size_t)(p - buf);
}

typedef struct tm_parts {
    int64_t y;
    unsigned mo, d, h, mi, s;
    int64_t us;   /* 0..999999 */
    int wday;     /* 0 = Monday */
} tm_parts;

static void split_us(int64_t us, tm_parts *t)
{
    int64_t secs = floor_div(us, 1000000);
    t->us = us - secs * 1000000;
    int64_t days = floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    sl_civil_from_days(days, &t->y, &t->mo, &t->d);
    t->h = (unsigned)(sod / 3600);
    t->mi = (unsigned)(sod / 60 % 60);
    t->s = (unsigned)(sod % 60);
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    t->wday = (int)(((days % 7) + 7 + 3) % 7);
}

static inline void put2(char *p, unsigned v) { p[0] = (char)('0' + v / 10); p[1] = (char)('0' + v % 10); }

/* "yyyy-MM-dd?HH:mm:ss" for years 0..9999 without printf; 0 otherwise. */
static size_t put_datetime(const tm_parts *t, char sep, char *buf)
{
    if (t->y < 0 || t->y > 9999) return 0;
    put2(buf, (unsigned)(t->y / 100));
    put2(buf + 2, (unsigned)(t->y % 100));
    buf[4] = '-';
    put2(buf + 5, t->mo);
    buf[7] = '-';
    put2(buf + 8, t->d);
    buf[10] = sep;
    put2(buf + 11, t->h);
    buf[13] = ':';
    put2(buf + 14, t->mi);
    buf[16] = ':';
    put2(buf + 17, t->s);
    buf[19] = 0;
    return 19;
}

size_t sl_i64_to_text(int64_t v, char *buf)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    char *p = buf;
    if (v < 0) *p++ = '-';
    while (n) *p++ = tmp[--n];
    *p = 0;
    return (size_t)(p - buf);
}

size_t sl_timestamp_to_text(int64_t us, char *buf)
{
    tm_parts t;
    split_us(us, &t);
    size_t fast = put_datetime(&t, ' ', buf);
    if (fast) {
        if (!t.us) return fast;
        char *p = buf + fast;
        *p++ = '.';
        unsigned f = (unsigned)t.us, div = 100000;
        while (f) { *p++ = (char)('0' + f / div); f %= div; div /= 10; }
        *p = 0;
        return (size_t)(p - buf);
    }
    int n = snprintf(buf, SL_TEXT_MAX, "%04lld-%02u-%02u %02u:%02u:%02u", (long long)t.y,
                     t.mo, t.d, t.h, t.mi, t.s);
    if (t.us) {
        char f[8];
        snprintf(f, sizeof f, "%06lld", (long long)t.us);
        int k = 6;
        while (k > 0 && f[k - 1] == '0') k--;
        f[k] = 0;
        n += snprintf(buf + n, SL_TEXT_MAX - (size_t)n, ".%s", f);
    }
    return (size_t)n;
}

size_t sl_timestamp_to_iso(int64_t us, char *buf)
{
    tm_parts t;
    split_us(us, &t);
    size_t fast = put_datetime(&t, 'T', buf);
    if (fast) {
        unsigned ms = (unsigned)(t.us / 1000);
        char *p = buf + fast;
        *p++ = '.';
        *p++ = (char)('0' + ms / 100);
        put2(p, ms % 100);
        p += 2;
        *p++ = 'Z';
        *p = 0;
        return (size_t)(p - buf);
    }
    return (size_t)snprintf(buf, SL_TEXT_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u.%03lldZ",
                            (long long)t.y, t.mo, t.d, t.h, t.mi, t.s,
                            (long long)(t.us / 1000));
}

size_t sl_date_to_text(int32_t days, char *buf)
{
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    return (size_t)snprintf(buf, SL_TEXT_MAX, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* ---- Spark datetime patterns --------------------------------------------- */

static const char *const month_names[12] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"};
static const char *const day_names[7] = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

static bool is_pattern_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t sl_timestamp_format(int64_t us, const char *pattern, char *buf, size_t buf_len)
{
    tm_parts t;
    split_us(us, &t);
    size_t o = 0;
    char tmp[64];
#define PUT(str, len)                                                  \
    do {                                                               \
        size_t l_ = (len);                                             \
        if (o + l_ >= buf_len) l_ = o + 1 < buf_len ? buf_len - o - 1 : 0; \
        memcpy(buf + o, (str), l_);                                    \
        o += l_;                                                       \
    } while (0)
    for (const char *p = pattern; *p;) {
        char c = *p;
        if (c == '\'') {
            p++;
            if (*p == '\'') { PUT("'", 1); p++; continue; }
            while (*p && !(*p == '\'' && p[1] != '\'')) {
                if (*p == '\'') p++;
                PUT(p, 1);
                p++;
            }
            if (*p) p++;
            continue;
        }
        if (!is_pattern_letter(c)) { PUT(p, 1); p++; continue; }
        int cnt = 0;
        while (p[cnt] == c) cnt++;
        p += cnt;
        int len = 0;
        switch (c) {
        case 'y': case 'u':
            len = cnt == 2 ? snprintf(tmp, sizeof tmp, "%02lld", (long long)((t.y % 100 + 100) % 100))
                           : snprintf(tmp, sizeof tmp, "%0*lld", cnt, (long long)t.y);
            break;
        case 'M': case 'L':
            if (cnt >= 4) len = snprintf(tmp, sizeof tmp, "%s", month_names[t.mo - 1]);
            else if (cnt == 3) len = snprintf(tmp, sizeof tmp, "%.3s", month_names[t.mo - 1]);
            else len = snprintf(tmp, sizeof tmp, "%0*u", cnt, t.mo);
            break;
        case 'd': len = snprintf(tmp, sizeof tmp, "%0*u", cnt, t.d); break;
        case 'H': len = snprintf(tmp, sizeof tmp, "%0*u", cnt, t.h); break;
        case 'h': len = snprintf(tmp, sizeof tmp, "%0*u", cnt, t.h % 12 ? t.h % 12 : 12); break;
        case 'm': len = snprintf(tmp, sizeof tmp, "%0*u", cnt, t.mi); break;
        case 's': len = snprintf(tmp, sizeof tmp, "%0*u", cnt, t.s); break;
        case 'S': {
            char f[16];
            snprintf(f, sizeof f, "%06lld000", (long long)t.us);
            len = cnt > 9 ? 9 : cnt;
            memcpy(tmp, f, (size_t)len);
            break;
        }
        case 'a': len = snprintf(tmp, sizeof tmp, "%s", t.h < 12 ? "AM" : "PM"); break;
        case 'E':
            len = cnt >= 4 ? snprintf(tmp, sizeof tmp, "%s", day_names[t.wday])
                           : snprintf(tmp, sizeof tmp, "%.3s", day_names[t.wday]);
            break;
        case 'z': case 'V': len = snprintf(tmp, sizeof tmp, "UTC"); break;
        case 'X': len = snprintf(tmp, sizeof tmp, "Z"); break;
        case 'x': case 'Z':
            len = snprintf(tmp, sizeof tmp, cnt >= 3 ? "+00:00" : "+0000");
            break;
        default: /* unknown letters are printed as they are */
            for (int k = 0; k < cnt && k < 60; k++) tmp[len++] = c;
        }
        /* snprintf returns the untruncated length: clamp to what is in tmp */
        if (len < 0) len = 0;
        if (len > (int)sizeof tmp - 1) len = (int)sizeof tmp - 1;
        PUT(tmp, (size_t)len);
    }
#undef PUT
    if (buf_len) buf[o] = 0;
    return o;
}

static bool match_name(const char *s, size_t n, size_t *i, const char *const *names,
                       int count, bool full, int *out)
{
    for (int k = 0; k < count; k++) {
        size_t l = full ? strlen(names[k]) : 3;
        if (n - *i >= l) {
            size_t j = 0;
            for (; j < l; j++)
                if (lower((unsigned char)s[*i + j]) != lower((unsigned char)names[k][j])) break;
            if (j == l) { *i += l; *out = k; return true; }
        }
    }
    return false;
}

bool sl_text_to_timestamp_fmt(const char *s, size_t n, const char *pattern, int64_t *out_us)
{
    trim(&s, &n);
    int64_t y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, frac = 0, off_s = 0;
    bool pm = false, has_ampm = false;
    size_t i = 0;
    for (const char *p = pattern; *p;) {
        char c = *p;
        if (c == '\'') {
            p++;
            if (*p == '\'') { if (i >= n || s[i] != '\'') return false; i++; p++; continue; }
            while (*p && !(*p == '\'' && p[1] != '\'')) {
                if (*p == '\'') p++;
                if (i >= n || s[i] != *p) return false;
                i++;
                p++;
            }
            if (*p) p++;
            continue;
        }
        if (!is_pattern_letter(c)) {
            if (i >= n || s[i] != c) return false;
            i++;
            p++;
            continue;
        }
        int cnt = 0;
        while (p[cnt] == c) cnt++;
        p += cnt;
        /* A numeric field of one letter takes up to 2 digits (9 for years);
         * of more letters, exactly that many (years: at least). */
        int maxw = cnt == 1 ? 2 : cnt;
        int64_t v = 0;
        int k;
        switch (c) {
        case 'y': case 'u':
            k = read_num(s, n, &i, cnt == 2 ? 2 : 9, &v);
            if (k < (cnt == 2 ? 2 : 1)) return false;
            y = cnt == 2 ? 2000 + v : v;
            break;
        case 'M': case 'L':
            if (cnt >= 3) {
                int idx;
                if (!match_name(s, n, &i, month_names, 12, cnt >= 4, &idx)) return false;
                mo = idx + 1;
            } else {
                if (read_num(s, n, &i, maxw, &mo) < (cnt == 1 ? 1 : cnt)) return false;
            }
            break;
        case 'd': if (read_num(s, n, &i, maxw, &d) < (cnt == 1 ? 1 : cnt)) return false; break;
        case 'H': if (read_num(s, n, &i, maxw, &h) < (cnt == 1 ? 1 : cnt)) return false; break;
        case 'h':
            if (read_num(s, n, &i, maxw, &h) < (cnt == 1 ? 1 : cnt) || h < 1 || h > 12) return false;
            break;
        case 'm': if (read_num(s, n, &i, maxw, &mi) < (cnt == 1 ? 1 : cnt)) return false; break;
        case 's': if (read_num(s, n, &i, maxw, &sec) < (cnt == 1 ? 1 : cnt)) return false; break;
        case 'S':
            k = read_num(s, n, &i, cnt, &v);
            if (k < 1) return false;
            for (; k < 6; k++) v *= 10;
            for (; k > 6; k--) v /= 10;
            frac = v;
            break;
        case 'a':
            if (n - i < 2) return false;
            if (ieq(s + i, 2, "am")) pm = false;
            else if (ieq(s + i, 2, "pm")) pm = true;
            else return false;
            has_ampm = true;
            i += 2;
            break;
        case 'E': {
            int idx;
            if (!match_name(s, n, &i, day_names, 7, cnt >= 4, &idx)) return false;
            break;
        }
        case 'z': case 'V':
            if (n - i >= 3 && (ieq(s + i, 3, "utc") || ieq(s + i, 3, "gmt"))) i += 3;
            else if (i < n && s[i] == 'Z') i++;
            else return false;
            break;
        case 'X': case 'x': case 'Z':
            if (i < n && s[i] == 'Z' && c == 'X') { i++; break; }
            if (i < n && (s[i] == '+' || s[i] == '-')) {
                bool neg = s[i] == '-';
                i++;
                int64_t oh = 0, om = 0;
                if (read_num(s, n, &i, 2, &oh) != 2) return false;
                if (i < n && s[i] == ':') i++;
                read_num(s, n, &i, 2, &om);
                off_s = (oh * 3600 + om * 60) * (neg ? -1 : 1);
            } else {
                return false;
            }
            break;
        default:
            return false;
        }
    }
    if (i != n) return false;
    if (has_ampm) {
        if (h == 12) h = 0;
        if (pm) h += 12;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (unsigned)mo) || h > 23 ||
        mi > 59 || sec > 59)
        return false;
    int64_t days = sl_days_from_civil(y, (unsigned)mo, (unsigned)d);
    if (days > 106751991 || days < -106751991) return false;
    *out_us = (days * 86400 + h * 3600 + mi * 60 + sec - off_s) * 1000000 + frac;
    return true;
}
