/* Checkpoints of a stream-stream join: the rows each side keeps, saved as
 * one record per row and rebuilt into batches on restart.
 *
 * Record key: the side (one byte), the row's values (per column a NULL flag
 * then the value: fixed width, or a 4-byte length and the bytes of a
 * string), then a 4-byte occurrence number telling identical rows of one
 * side apart.  Value: one byte, 1 when the row has already matched (an
 * outer join must not emit it NULL-padded at eviction).  A row that stays
 * in state saves the same bytes every batch, so deltas hold only the rows
 * that arrived, matched for the first time or were evicted.
 *
 * Event-time bounds and key hashes are not saved: sl_op_join_rows_add
 * recomputes them from the row, as when the row first arrived.
 *
 * A checkpoint of the RocksDB working state (op_join.c) holds records of
 * another form, read here too when the memory backend restores one: key =
 * side, join key, row id; value = the row's eviction bound (8 bytes),
 * matched (1), the row's values. */
#include "exec/op_join_state.h"
#include "exec/groupkey.h"
#include "state/kv_int.h"
#include "state/opstate.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"

#include <string.h>

void sl_join_row_encode(sl_buf *k, const sl_batch *b, int64_t r)
{
    if (sl_buf_reserve(k, sl_exec_key_bound(b->cols, b->n_cols, r))) return;
    k->len += sl_exec_row_encode_to((uint8_t *)k->data + k->len, b->cols, b->n_cols, r);
    k->data[k->len] = 0;
}

int sl_join_row_decode(sl_batch *b, const uint8_t *p, const uint8_t *end)
{
    for (int c = 0; c < b->n_cols; c++) {
        sl_col *col = b->cols[c];
        if (p >= end) return -1;
        if (!*p++) { if (sl_col_append_null(col)) return -1; continue; }
        size_t w = col->type == SL_TYPE_BOOLEAN ? 1 : col->type == SL_TYPE_INT || col->type == SL_TYPE_DATE ? 4
                 : col->type == SL_TYPE_STRING ? 4 : 8;
        if ((size_t)(end - p) < w) return -1;
        int e;
        switch (col->type) {
        case SL_TYPE_BOOLEAN: e = sl_col_append_bool(col, *p != 0); break;
        case SL_TYPE_INT: case SL_TYPE_DATE: { int32_t v; memcpy(&v, p, 4); e = sl_col_append_i32(col, v); break; }
        case SL_TYPE_DOUBLE: { double v; memcpy(&v, p, 8); e = sl_col_append_f64(col, v); break; }
        case SL_TYPE_STRING: {
            uint32_t len;
            memcpy(&len, p, 4);
            if ((size_t)(end - p - 4) < len) return -1;
            e = sl_col_append_str(col, (const char *)p + 4, len);
            w += len;
            break;
        }
        default: { int64_t v; memcpy(&v, p, 8); e = sl_col_append_i64(col, v); break; }
        }
        if (e) return -1;
        p += w;
    }
    return p == end ? 0 : -1;
}

/* ---- save ------------------------------------------------------------------ */

typedef struct save_ctx {
    sl_opstate *out;
    sl_buf key;
    sl_kv_hash *occ;   /* side + row bytes -> occurrences so far in this save */
} save_ctx;

static sl_status save_row(void *ctx, int side, const sl_batch *b, int64_t row, bool matched, sl_error *err)
{
    save_ctx *c = ctx;
    sl_buf_reset(&c->key);
    sl_buf_putc(&c->key, (char)side);
    sl_join_row_encode(&c->key, b, row);
    if (c->key.oom) return sl_err_oom(err);
    size_t vl;
    const uint32_t *seen = sl_kv_hash_get(c->occ, c->key.data, c->key.len, &vl);
    uint32_t n = seen ? *seen : 0, next = n + 1;
    if (sl_kv_hash_put(c->occ, c->key.data, c->key.len, &next, sizeof next)) return sl_err_oom(err);
    sl_buf_append(&c->key, &n, 4);
    if (c->key.oom) return sl_err_oom(err);
    uint8_t v = matched ? 1 : 0;
    return sl_opstate_put(c->out, c->key.data, c->key.len, &v, 1, err);
}

static sl_status join_save(sl_op *op, sl_opstate *out, sl_error *err)
{
    if (sl_opstate_work(out)) return sl_op_join_work_save(op, out, err);
    save_ctx c = {.out = out};
    sl_buf_init(&c.key);
    if (!(c.occ = sl_kv_hash_new())) return sl_err_oom(err);
    sl_status st = sl_op_join_rows_each(op, save_row, &c, err);
    sl_kv_hash_free(c.occ);
    sl_buf_fini(&c.key);
    return st;
}

/* ---- restore --------------------------------------------------------------- */

typedef struct load_ctx {
    sl_op *op;
    sl_batch *b[2];    /* builders, one per side */
    bool *matched[2];
    size_t cap[2];
} load_ctx;

static sl_status flush_side(load_ctx *c, int side, sl_error *err)
{
    sl_batch *b = c->b[side];
    if (!b) return SL_OK;
    c->b[side] = NULL;
    sl_status st = SL_OK;
    if (sl_batch_seal(b)) st = sl_err_oom(err);
    else if (b->n_rows) st = sl_op_join_rows_add(c->op, side, b, c->matched[side], err);
    sl_batch_unref(b);
    return st;
}

static sl_status load_row(void *ctx, const void *key, size_t key_len, const void *val, size_t val_len,
                          sl_error *err)
{
    load_ctx *c = ctx;
    const uint8_t *k = key;
    const uint8_t *v = val, *row = k + 1, *row_end = k + key_len - 4;
    if (val_len >= 9) { row = v + 9; row_end = v + val_len; v += 8; } /* the RocksDB working state's */
    if (key_len < 5 || (val_len != 1 && val_len < 9) || k[0] > 1)
        return sl_err(err, SL_ERR_CHECKPOINT, "join state: a record does not fit this join");
    int side = k[0];
    if (!c->b[side]) {
        if (!(c->b[side] = sl_batch_new_builder(c->op->plan->child[side]->schema))) return sl_err_oom(err);
    }
    sl_batch *b = c->b[side];
    size_t n = (size_t)b->n_rows;
    if (sl_grow((void **)&c->matched[side], &c->cap[side], n + 1, sizeof(bool))) return sl_err_oom(err);
    if (sl_join_row_decode(b, row, row_end))
        return sl_err(err, SL_ERR_CHECKPOINT, "join state: a saved row does not fit the %s input's columns",
                      side ? "right" : "left");
    c->matched[side][n] = *v != 0;
    b->n_rows++;
    if (b->n_rows >= SL_BATCH_ROWS) return flush_side(c, side, err);
    return SL_OK;
}

sl_status sl_op_join_restore(sl_op *op, sl_opstate *in, int64_t version, sl_error *err)
{
    load_ctx c = {.op = op};
    sl_status st = sl_opstate_restore(in, version, load_row, &c, NULL, err);
    for (int s = 0; s < 2; s++) {
        if (!st) st = flush_side(&c, s, err);
        sl_batch_unref(c.b[s]);
        sl_free(c.matched[s]);
    }
    return st;
}

/* Records one at a time cannot rebuild batches: see sl_op_join_restore. */
static sl_status join_load(sl_op *op, const void *key, size_t key_len, const void *val, size_t val_len,
                           sl_error *err)
{
    return sl_err(err, SL_ERR_INTERNAL, "join state is restored with sl_op_join_restore");
}

const sl_op_ckpt_ops sl_op_join_ckpt = {.save = join_save, .load = join_load, .attach = sl_op_join_attach};
