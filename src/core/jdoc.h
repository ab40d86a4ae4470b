/* A JSON document tree, for the small JSON files sluice reads whole: model
 * metadata (Spark's metadata/part-00000, XGBoost JSON models), checkpoint
 * offsets and commits, and nested Parquet records materialised for model
 * loading.  Not for stream data: format/json.c parses records straight into
 * columns without building trees.
 *
 * A document owns every node in one arena; sl_jdoc_free releases it all. */
#ifndef SL_CORE_JDOC_H
#define SL_CORE_JDOC_H

#include "sluice.h"
#include "core/mem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sl_jtype {
    SL_JNULL = 0, SL_JBOOL, SL_JNUM, SL_JSTR, SL_JARR, SL_JOBJ
} sl_jtype;

typedef struct sl_jval sl_jval;
struct sl_jval {
    sl_jtype type;
    bool b;
    double num;            /* SL_JNUM: the value as double */
    bool is_int;           /* SL_JNUM written without fraction/exponent */
    int64_t i;             /* SL_JNUM when is_int (exact) */
    const char *str;       /* SL_JSTR: unescaped, NUL-terminated */
    size_t str_len;
    size_t n;              /* SL_JARR / SL_JOBJ: number of items */
    sl_jval **items;       /* SL_JARR items, SL_JOBJ values */
    const char **keys;     /* SL_JOBJ keys (unescaped) */
};

typedef struct sl_jdoc {
    sl_arena arena;
    sl_jval *root;
} sl_jdoc;

/* Parses text (len bytes; need not be NUL-terminated). Errors carry the
 * line and column of the problem. Nesting deeper than 512 is refused. */
sl_status sl_jdoc_parse(const char *text, size_t len, sl_jdoc **out, sl_error *err);
/* Reads and parses a whole file. */
sl_status sl_jdoc_parse_file(const char *path, sl_jdoc **out, sl_error *err);
/* An empty document whose arena callers may build nodes in (root NULL). */
sl_jdoc *sl_jdoc_new(void);
void sl_jdoc_free(sl_jdoc *doc);

/* Object member by key (NULL when absent or v is not an object). */
const sl_jval *sl_jval_get(const sl_jval *v, const char *key);
/* Convenience getters: value at key, or dflt when absent/of another type. */
const char *sl_jval_get_str(const sl_jval *v, const char *key, const char *dflt);
double sl_jval_get_num(const sl_jval *v, const char *key, double dflt);
int64_t sl_jval_get_int(const sl_jval *v, const char *key, int64_t dflt);

#endif
