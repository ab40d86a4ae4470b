/* Option lists and the typed getters over them. */
#include "core/options.h"
#include "core/mem.h"
#include "core/status.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sl_options_init(sl_options *o) { memset(o, 0, sizeof *o); }

void sl_options_fini(sl_options *o)
{
    for (int i = 0; i < o->n; i++) {
        sl_free(o->items[i].name);
        sl_free(o->items[i].value);
    }
    sl_free(o->items);
    memset(o, 0, sizeof *o);
}

int sl_options_set(sl_options *o, const char *name, const char *value)
{
    char *v = sl_strdup(value);
    if (!v) return -1;
    for (int i = 0; i < o->n; i++)
        if (strcasecmp(o->items[i].name, name) == 0) {
            sl_free(o->items[i].value);
            o->items[i].value = v;
            return 0;
        }
    char *n = sl_strdup(name);
    size_t cap = (size_t)o->cap;
    if (!n || sl_grow((void **)&o->items, &cap, (size_t)o->n + 1, sizeof *o->items)) {
        sl_free(n);
        sl_free(v);
        return -1;
    }
    o->cap = (int)cap;
    o->items[o->n].name = n;
    o->items[o->n].value = v;
    o->n++;
    return 0;
}

int sl_options_merge(sl_options *dst, const sl_options *src)
{
    for (int i = 0; i < src->n; i++)
        if (sl_options_set(dst, src->items[i].name, src->items[i].value)) return -1;
    return 0;
}

const char *sl_options_get(const sl_options *o, const char *name)
{
    if (!o) return NULL;
    for (int i = 0; i < o->n; i++)
        if (strcasecmp(o->items[i].name, name) == 0) return o->items[i].value;
    return NULL;
}

const char *sl_options_get_or(const sl_options *o, const char *name, const char *dflt)
{
    const char *v = sl_options_get(o, name);
    return v ? v : dflt;
}

sl_status sl_options_get_i64(const sl_options *o, const char *name, int64_t dflt,
                             int64_t *out, sl_error *err)
{
    const char *v = sl_options_get(o, name);
    if (!v) { *out = dflt; return SL_OK; }
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    while (*end && isspace((unsigned char)*end)) end++;
    if (errno || end == v || *end)
        return sl_err(err, SL_ERR_CONFIG, "option '%s': '%s' is not an integer", name, v);
    *out = x;
    return SL_OK;
}

sl_status sl_options_get_f64(const sl_options *o, const char *name, double dflt,
                             double *out, sl_error *err)
{
    const char *v = sl_options_get(o, name);
    if (!v) { *out = dflt; return SL_OK; }
    char *end;
    double x = strtod(v, &end);
    while (*end && isspace((unsigned char)*end)) end++;
    if (end == v || *end)
        return sl_err(err, SL_ERR_CONFIG, "option '%s': '%s' is not a number", name, v);
    *out = x;
    return SL_OK;
}

sl_status sl_options_get_bool(const sl_options *o, const char *name, bool dflt,
                              bool *out, sl_error *err)
{
    const char *v = sl_options_get(o, name);
    if (!v) { *out = dflt; return SL_OK; }
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes")) { *out = true; return SL_OK; }
    if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no")) { *out = false; return SL_OK; }
    return sl_err(err, SL_ERR_CONFIG, "option '%s': '%s' is not true or false", name, v);
}

static int64_t unit_us(const char *u, size_t n)
{
    static const struct { const char *name; int64_t us; } units[] = {
        {"us", 1}, {"microsecond", 1}, {"microseconds", 1},
        {"ms", 1000}, {"millisecond", 1000}, {"milliseconds", 1000},
        {"s", 1000000}, {"sec", 1000000}, {"secs", 1000000},
        {"second", 1000000}, {"seconds", 1000000},
        {"m", 60000000}, {"min", 60000000}, {"mins", 60000000},
        {"minute", 60000000}, {"minutes", 60000000},
        {"h", 3600000000LL}, {"hour", 3600000000LL}, {"hours", 3600000000LL},
        {"d", 86400000000LL}, {"day", 86400000000LL}, {"days", 86400000000LL},
        {"week", 604800000000LL}, {"weeks", 604800000000LL},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == n && strncasecmp(units[i].name, u, n) == 0)
            return units[i].us;
    return 0;
}

sl_status sl_parse_duration(const char *text, int64_t *out_us, sl_error *err)
{
    const char *p = text;
    int64_t total = 0;
    int parts = 0;
    while (isspace((unsigned char)*p)) p++;
    if (strncasecmp(p, "interval", 8) == 0 && !isalnum((unsigned char)p[8])) p += 8;
    for (;;) {
        while (isspace((unsigned char)*p) || *p == '\'') p++;
        if (!*p) break;
        char *end;
        double x = strtod(p, &end);
        if (end == p) goto bad;
        p = end;
        while (isspace((unsigned char)*p) || *p == '\'') p++;
        const char *u = p;
        while (isalpha((unsigned char)*p)) p++;
        int64_t us = unit_us(u, (size_t)(p - u));
        if (!us) goto bad;
        total += (int64_t)(x * (double)us);
        parts++;
    }
    if (!parts) goto bad;
    *out_us = total;
    return SL_OK;
bad:
    return sl_err(err, SL_ERR_CONFIG,
                  "'%s' is not a duration (write e.g. '5 seconds', '10 minutes', '500 ms')", text);
}
