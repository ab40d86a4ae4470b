/* Options: the name/value pairs of a WITH (…) clause or of SET.
 *
 * Names compare case-insensitively, as Spark's DataStreamReader options do.
 * Values are strings; the typed getters parse them and report a clear error
 * naming the option when the text does not fit. */
#ifndef SL_CORE_OPTIONS_H
#define SL_CORE_OPTIONS_H

#include "sluice.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_option {
    char *name, *value;
} sl_option;

typedef struct sl_options {
    int n, cap;
    sl_option *items;
} sl_options;

void sl_options_init(sl_options *o);
void sl_options_fini(sl_options *o);
/* Adds or replaces; copies both strings. Returns 0 or -1 on OOM. */
int sl_options_set(sl_options *o, const char *name, const char *value);
/* Copies every option of src into dst (replacing same names). */
int sl_options_merge(sl_options *dst, const sl_options *src);
/* Borrowed value or NULL. */
const char *sl_options_get(const sl_options *o, const char *name);
const char *sl_options_get_or(const sl_options *o, const char *name, const char *dflt);
sl_status sl_options_get_i64(const sl_options *o, const char *name, int64_t dflt,
                             int64_t *out, sl_error *err);
sl_status sl_options_get_f64(const sl_options *o, const char *name, double dflt,
                             double *out, sl_error *err);
sl_status sl_options_get_bool(const sl_options *o, const char *name, bool dflt,
                              bool *out, sl_error *err);
/* Parses a duration such as '5 seconds', '2s', '10 minutes', '1 hour',
 * '500 ms', 'INTERVAL 5 SECOND' into microseconds. */
sl_status sl_parse_duration(const char *text, int64_t *out_us, sl_error *err);

#endif
