/* The public view of a batch: cell text, and export through the Arrow C
 * data interface (the columns are already in Arrow's layout, so export
 * shares the buffers and only builds the descriptors). */
#include "core/column.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"

#include <stdio.h>
#include <string.h>

SL_EXPORT size_t sl_batch_cell_text(const sl_batch *b, int col, int64_t row, char *buf, size_t buf_len)
{
    char t[SL_TEXT_MAX];
    const char *s = t;
    size_t n;
    if (!b || col < 0 || col >= b->n_cols || row < 0 || row >= b->n_rows) { s = ""; n = 0; goto out; }
    const sl_col *c = b->cols[col];
    if (sl_col_is_null(c, row)) { s = "null"; n = 4; goto out; }
    switch (c->type) {
    case SL_TYPE_BOOLEAN: s = sl_col_bool(c, row) ? "true" : "false"; n = strlen(s); break;
    case SL_TYPE_INT: n = (size_t)snprintf(t, sizeof t, "%d", sl_col_i32(c)[row]); break;
    case SL_TYPE_BIGINT: n = (size_t)snprintf(t, sizeof t, "%lld", (long long)sl_col_i64(c)[row]); break;
    case SL_TYPE_DOUBLE: n = sl_f64_to_text(sl_col_f64(c)[row], t); break;
    case SL_TYPE_TIMESTAMP: n = sl_timestamp_to_text(sl_col_i64(c)[row], t); break;
    case SL_TYPE_DATE: n = sl_date_to_text(sl_col_i32(c)[row], t); break;
    case SL_TYPE_STRING: s = sl_col_str(c, row, &n); break;
    default: s = "null"; n = 4; break;
    }
out:
    if (buf_len) {
        size_t k = n < buf_len - 1 ? n : buf_len - 1;
        memcpy(buf, s, k);
        buf[k] = 0;
    }
    return n;
}

/* ---- Arrow export -------------------------------------------------------- */

typedef struct export_priv {
    sl_batch *b;
    const void **buffers;        /* 3 per column */
    struct ArrowArray *children; /* n_cols */
    struct ArrowArray **child_ptrs;
} export_priv;

static void child_release(struct ArrowArray *a) { a->release = NULL; }

static void array_release(struct ArrowArray *a)
{
    export_priv *p = a->private_data;
    sl_batch_unref(p->b);
    sl_free(p->buffers);
    sl_free(p->children);
    sl_free(p->child_ptrs);
    sl_free(p);
    a->release = NULL;
}

typedef struct schema_priv {
    struct ArrowSchema *children;
    struct ArrowSchema **child_ptrs;
    char **names;
    int n;
} schema_priv;

static void schema_child_release(struct ArrowSchema *s) { s->release = NULL; }

static void schema_release(struct ArrowSchema *s)
{
    schema_priv *p = s->private_data;
    for (int i = 0; i < p->n; i++) sl_free(p->names[i]);
    sl_free(p->names);
    sl_free(p->children);
    sl_free(p->child_ptrs);
    sl_free(p);
    s->release = NULL;
}

static const char *arrow_format(sl_type t)
{
    switch (t) {
    case SL_TYPE_BOOLEAN: return "b";
    case SL_TYPE_INT: return "i";
    case SL_TYPE_BIGINT: return "l";
    case SL_TYPE_DOUBLE: return "g";
    case SL_TYPE_STRING: return "u";
    case SL_TYPE_TIMESTAMP: return "tsu:UTC";
    case SL_TYPE_DATE: return "tdD";
    default: return "n";
    }
}

SL_EXPORT sl_status sl_batch_export_arrow(sl_batch *b, struct ArrowArray *out_array,
                                          struct ArrowSchema *out_schema, sl_error *err)
{
    int n = b->n_cols;
    export_priv *p = sl_calloc(1, sizeof *p);
    schema_priv *sp = sl_calloc(1, sizeof *sp);
    if (!p || !sp) goto oom;
    p->buffers = sl_calloc((size_t)(3 * n + 1), sizeof *p->buffers);
    p->children = sl_calloc((size_t)(n + 1), sizeof *p->children);
    p->child_ptrs = sl_calloc((size_t)(n + 1), sizeof *p->child_ptrs);
    sp->children = sl_calloc((size_t)(n + 1), sizeof *sp->children);
    sp->child_ptrs = sl_calloc((size_t)(n + 1), sizeof *sp->child_ptrs);
    sp->names = sl_calloc((size_t)(n + 1), sizeof *sp->names);
    if (!p->buffers || !p->children || !p->child_ptrs || !sp->children || !sp->child_ptrs || !sp->names) goto oom;
    sp->n = n;
    for (int i = 0; i < n; i++) {
        const sl_col *c = b->cols[i];
        struct ArrowArray *ca = &p->children[i];
        const void **bufs = p->buffers + 3 * i;
        bufs[0] = c->validity;
        bufs[1] = c->data;
        bufs[2] = c->chars ? c->chars : (c->type == SL_TYPE_STRING ? "" : NULL);
        *ca = (struct ArrowArray){.length = c->len, .null_count = c->null_count,
                                  .n_buffers = c->type == SL_TYPE_STRING ? 3 : 2, .buffers = bufs,
                                  .release = child_release};
        p->child_ptrs[i] = ca;
        if (!(sp->names[i] = sl_strdup(""))) goto oom;
        sp->children[i] = (struct ArrowSchema){.format = arrow_format(c->type), .name = sp->names[i],
                                               .flags = ARROW_FLAG_NULLABLE, .release = schema_child_release};
        sp->child_ptrs[i] = &sp->children[i];
    }
    p->b = sl_batch_ref(b);
    *out_array = (struct ArrowArray){.length = b->n_rows, .n_buffers = 1, .buffers = p->buffers + 3 * n,
                                     .n_children = n, .children = p->child_ptrs, .release = array_release,
                                     .private_data = p};
    *out_schema = (struct ArrowSchema){.format = "+s", .name = "", .n_children = n, .children = sp->child_ptrs,
                                       .release = schema_release, .private_data = sp};
    return SL_OK;
oom:
    if (p) { sl_free(p->buffers); sl_free(p->children); sl_free(p->child_ptrs); sl_free(p); }
    if (sp) {
        if (sp->names) for (int i = 0; i < n; i++) sl_free(sp->names[i]);
        sl_free(sp->names); sl_free(sp->children); sl_free(sp->child_ptrs); sl_free(sp);
    }
    return sl_err_oom(err);
}
