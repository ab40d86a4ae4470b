/* The table of aggregate functions the binder looks names up in. */
#include "exec/agg/agg.h"

#include <strings.h>

extern const sl_agg_def sl_agg_count_star, sl_agg_count, sl_agg_count_distinct, sl_agg_sum,
    sl_agg_avg, sl_agg_min, sl_agg_max, sl_agg_approx_distinct;

bool sl_agg_is_aggregate(const char *name)
{
    static const char *const names[] = {"count", "sum", "avg", "mean", "min", "max",
                                        "approx_count_distinct", NULL};
    for (int i = 0; names[i]; i++)
        if (!strcasecmp(name, names[i])) return true;
    return false;
}

const sl_agg_def *sl_agg_find(const char *name, bool distinct, bool star)
{
    if (!strcasecmp(name, "count")) {
        if (star) return distinct ? NULL : &sl_agg_count_star;
        return distinct ? &sl_agg_count_distinct : &sl_agg_count;
    }
    if (star) return NULL;
    if (!strcasecmp(name, "approx_count_distinct")) return &sl_agg_approx_distinct;
    if (distinct) return NULL; /* sum(DISTINCT …) etc. are not offered */
    if (!strcasecmp(name, "sum")) return &sl_agg_sum;
    if (!strcasecmp(name, "avg") || !strcasecmp(name, "mean")) return &sl_agg_avg;
    if (!strcasecmp(name, "min")) return &sl_agg_min;
    if (!strcasecmp(name, "max")) return &sl_agg_max;
    return NULL;
}
