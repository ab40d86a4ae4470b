/* Aggregate merges (sl_agg_def.merge, used when session windows merge):
 * for every aggregate and argument type, the state of a column folded in
 * whole must finalize to the same result as the states of its two halves
 * merged — including halves with no rows or only NULLs. */
#include "test.h"
#include "exec/agg/agg.h"
#include "core/mem.h"

#include <math.h>
#include <stdlib.h>

/* Folds rows [from, to) of col into the state st. */
static int fold(const sl_agg_def *def, void *st, const sl_col *col, int64_t from, int64_t to)
{
    int64_t n = to - from;
    if (n <= 0) return 0;
    sl_col *part = col ? sl_col_slice(col, from, n) : NULL;
    uint8_t **rows = malloc(sizeof *rows * (size_t)n);
    for (int64_t i = 0; i < n; i++) rows[i] = st;
    int r = def->update(rows, 0, part, n);
    free(rows);
    sl_col_unref(part);
    return r;
}

/* Finalizes st into a one-row column of the aggregate's result type and
 * renders it, so results of any type compare as text. */
static void result_text(const sl_agg_def *def, const void *st, sl_type arg, char *out, size_t cap)
{
    sl_type rt;
    def->resolve(arg, &rt);
    sl_col *c = sl_col_new(rt);
    def->finalize(st, arg, c);
    if (sl_col_is_null(c, 0)) snprintf(out, cap, "NULL");
    else if (rt == SL_TYPE_DOUBLE) snprintf(out, cap, "%.17g", sl_col_f64(c)[0]);
    else if (rt == SL_TYPE_STRING) { size_t n; const char *s = sl_col_str(c, 0, &n); snprintf(out, cap, "%.*s", (int)n, s); }
    else if (rt == SL_TYPE_INT) snprintf(out, cap, "%d", sl_col_i32(c)[0]);
    else snprintf(out, cap, "%lld", (long long)sl_col_i64(c)[0]);
    sl_col_unref(c);
}

/* Whole vs. merged halves, for every split point in a few places. */
static int check_merge(const sl_agg_def *def, const sl_col *col, sl_type arg, int64_t n)
{
    int64_t splits[] = {0, 1, n / 3, n / 2, n - 1, n};
    size_t sz = def->state_size(arg);
    int bad = 0;
    for (size_t k = 0; k < sizeof splits / sizeof *splits; k++) {
        int64_t at = splits[k] < 0 ? 0 : splits[k] > n ? n : splits[k];
        void *whole = calloc(1, sz), *a = calloc(1, sz), *b = calloc(1, sz);
        def->init(whole, arg);
        def->init(a, arg);
        def->init(b, arg);
        char want[128], got[128];
        if (fold(def, whole, col, 0, n) || fold(def, a, col, 0, at) || fold(def, b, col, at, n) || def->merge(a, b, arg)) {
            bad = 1;
        } else {
            result_text(def, whole, arg, want, sizeof want);
            result_text(def, a, arg, got, sizeof got);
            /* doubles summed in another order may differ in the last bits */
            if (strcmp(want, got) && !(arg == SL_TYPE_DOUBLE && fabs(atof(want) - atof(got)) <= 1e-9 * fabs(atof(want)))) {
                fprintf(stderr, "  %s(%s) split at %lld: whole %s, merged %s\n", def->name, sl_type_name(arg),
                        (long long)at, want, got);
                bad = 1;
            }
        }
        if (def->destroy) { def->destroy(whole, arg); def->destroy(a, arg); def->destroy(b, arg); }
        free(whole);
        free(a);
        free(b);
    }
    return bad;
}

static sl_col *random_col(sl_type t, int64_t n, unsigned seed, bool nulls)
{
    srand(seed);
    sl_col *c = sl_col_new(t);
    for (int64_t i = 0; i < n; i++) {
        if (nulls && rand() % 5 == 0) { sl_col_append_null(c); continue; }
        int v = rand() % 200 - 100;
        switch (t) {
        case SL_TYPE_INT: sl_col_append_i32(c, v); break;
        case SL_TYPE_BIGINT: sl_col_append_i64(c, (int64_t)v * 1000000007LL); break;
        case SL_TYPE_TIMESTAMP: sl_col_append_i64(c, 1700000000000000LL + v); break;
        case SL_TYPE_DOUBLE: sl_col_append_f64(c, v / 7.0); break;
        case SL_TYPE_BOOLEAN: sl_col_append_bool(c, v > 0); break;
        default: {
            char s[32];
            int len = snprintf(s, sizeof s, "w%d", v);
            sl_col_append_str(c, s, (size_t)len);
            break;
        }
        }
    }
    return c;
}

TEST(agg_merge_every_aggregate)
{
    static const char *const names[] = {"count", "sum", "avg", "min", "max", "approx_count_distinct"};
    static const sl_type types[] = {SL_TYPE_INT, SL_TYPE_BIGINT, SL_TYPE_DOUBLE, SL_TYPE_STRING,
                                    SL_TYPE_TIMESTAMP, SL_TYPE_BOOLEAN};
    int64_t n = 300;
    for (int nulls = 0; nulls < 2; nulls++)
        for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
            sl_col *col = random_col(types[t], n, 17 + (unsigned)t, nulls);
            for (size_t a = 0; a < sizeof names / sizeof *names; a++) {
                const sl_agg_def *def = sl_agg_find(names[a], false, false);
                sl_type rt;
                REQUIRE(def && def->merge);
                if (def->resolve(types[t], &rt)) continue; /* sum(STRING) etc. */
                if ((types[t] == SL_TYPE_STRING || types[t] == SL_TYPE_BOOLEAN || types[t] == SL_TYPE_TIMESTAMP) &&
                    (!strcmp(names[a], "sum") || !strcmp(names[a], "avg")))
                    continue; /* the binder casts these first */
                CHECK(!check_merge(def, col, types[t], n));
            }
            const sl_agg_def *cd = sl_agg_find("count", true, false), *cs = sl_agg_find("count", false, true);
            REQUIRE(cd && cd->merge && cs && cs->merge);
            CHECK(!check_merge(cd, col, types[t], n));
            CHECK(!check_merge(cs, NULL, SL_TYPE_NULL, n));
            sl_col_unref(col);
        }
}

/* A column of only NULLs: min/max/sum stay NULL after merging. */
TEST(agg_merge_all_null)
{
    sl_col *col = sl_col_new_nulls(SL_TYPE_STRING, 10);
    static const char *const names[] = {"min", "max", "count"};
    for (size_t a = 0; a < 3; a++) CHECK(!check_merge(sl_agg_find(names[a], false, false), col, SL_TYPE_STRING, 10));
    sl_col_unref(col);
    col = sl_col_new_nulls(SL_TYPE_DOUBLE, 10);
    CHECK(!check_merge(sl_agg_find("sum", false, false), col, SL_TYPE_DOUBLE, 10));
    sl_col_unref(col);
}
