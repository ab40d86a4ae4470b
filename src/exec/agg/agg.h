/* Aggregate functions: one file per aggregate in this directory, each
 * defining an sl_agg_def.
 *
 * State is a fixed number of bytes per group, living inside the group's row
 * of the aggregation's state (no allocation per group for count/sum/avg/
 * min/max of fixed-width types; strings and distinct sets own heap memory
 * that `destroy` releases).  Updates are vectorised: one call per batch per
 * aggregate with the group state pointer of every row. */
#ifndef SL_EXEC_AGG_AGG_H
#define SL_EXEC_AGG_AGG_H

#include "core/buf.h"
#include "core/column.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct sl_agg_def {
    const char *name;
    bool takes_star;      /* count(*) */
    bool distinct;        /* the DISTINCT variant (count(DISTINCT x)) */
    /* Result type for an argument type; non-zero when unsupported. */
    int (*resolve)(sl_type arg, sl_type *out);
    size_t (*state_size)(sl_type arg);
    void (*init)(void *st, sl_type arg);
    /* For each row i: fold arg row i into the state at rows[i] + off.
     * arg is NULL for count(*). Returns -1 on OOM. */
    int (*update)(uint8_t *const *rows, size_t off, const sl_col *arg, int64_t n);
    /* Appends the group's result to out (type from resolve). */
    int (*finalize)(const void *st, sl_type arg, sl_col *out);
    /* Serialises / restores the state for checkpoints (bytes appended). */
    void (*save)(const void *st, sl_type arg, sl_buf *out);
    int (*load)(void *st, sl_type arg, const uint8_t **p, const uint8_t *end);
    /* dst := the state of dst's and src's inputs together (session windows
     * merging).  src is left intact for its destroy.  Returns -1 on OOM. */
    int (*merge)(void *dst, const void *src, sl_type arg);
    void (*destroy)(void *st, sl_type arg);  /* may be NULL */
} sl_agg_def;

/* Looks an aggregate up by SQL name (count, sum, avg, mean, min, max,
 * approx_count_distinct); `distinct` picks count(DISTINCT …). */
const sl_agg_def *sl_agg_find(const char *name, bool distinct, bool star);
bool sl_agg_is_aggregate(const char *name);

#endif
