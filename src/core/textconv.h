/* Text <-> value conversions with Spark's rules, shared by CAST, the JSON and
 * CSV readers and every printer (console, JSON and CSV writers).
 *
 * Parsers return true and set *out when the whole text (after trimming ASCII
 * whitespace) is a value of the type, false otherwise — the caller turns
 * false into NULL (lenient cast) or a malformed record (readers).
 * Printers write a NUL-terminated string into buf (at least SL_TEXT_MAX
 * bytes) and return its length. */
#ifndef SL_CORE_TEXTCONV_H
#define SL_CORE_TEXTCONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_TEXT_MAX 64

/* Integers: optional sign, digits; Spark's non-ANSI cast also accepts a
 * fractional part and truncates it ("1.9" -> 1); out of range -> false. */
bool sl_text_to_i64(const char *s, size_t n, int64_t *out);
bool sl_text_to_i32(const char *s, size_t n, int32_t *out);
/* Doubles: decimal and exponent forms, "NaN", "Infinity", "-Infinity",
 * "inf". */
bool sl_text_to_f64(const char *s, size_t n, double *out);
/* 't','true','y','yes','1' / 'f','false','n','no','0', case-insensitive. */
bool sl_text_to_bool(const char *s, size_t n, bool *out);
/* 'yyyy', 'yyyy-MM', 'yyyy-MM-dd', 'yyyy-MM-dd HH:mm[:ss[.ffffff]]', with 'T'
 * as separator, and an optional 'Z' or '+hh:mm' offset; UTC otherwise. */
bool sl_text_to_timestamp(const char *s, size_t n, int64_t *out_us);
bool sl_text_to_date(const char *s, size_t n, int32_t *out_days);

/* As Java's Double.toString (what Spark prints): "975.38", "1.0", "1.0E10",
 * "1.0E-4", "NaN", "Infinity". */
size_t sl_f64_to_text(double v, char *buf);
/* Decimal, as printf's %lld. */
size_t sl_i64_to_text(int64_t v, char *buf);
/* "2022-10-13 21:58:18", with ".123" / ".123456" when there are fractional
 * seconds (trailing zeros dropped), as Spark's console shows timestamps. */
size_t sl_timestamp_to_text(int64_t us, char *buf);
/* ISO-8601 with milliseconds and 'Z', as Spark's JSON writer emits:
 * "2022-10-13T21:58:18.000Z". */
size_t sl_timestamp_to_iso(int64_t us, char *buf);
size_t sl_date_to_text(int32_t days, char *buf);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
void sl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Formats/parses with a Spark datetime pattern ('yyyy-MM-dd HH:mm:ss',
 * 'dd/MM/yyyy', …): the letters y M d H h m s S a E z X and quoted text. */
bool sl_text_to_timestamp_fmt(const char *s, size_t n, const char *pattern, int64_t *out_us);
size_t sl_timestamp_format(int64_t us, const char *pattern, char *buf, size_t buf_len);

#endif
