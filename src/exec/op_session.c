/* Session-window aggregation: GROUP BY session_window(ts, gap), keys…, with
 * state carried across micro-batches, as Spark's streaming session windows
 * (SessionWindowStateStoreSaveExec) behave:
 *   - every row opens the session [ts, ts + gap); sessions of one key merge
 *     while they touch (a start at or before another's end), so a session
 *     is [first event, last event + gap);
 *   - a row is late when its own session would end at or before the
 *     watermark (ts + gap <= watermark, Spark's predicate on the window's
 *     end): it is dropped, counted and handed to 'late.sink' (late.h);
 *   - a session whose end is at or before the watermark is closed: append
 *     mode emits it then and drops it; update mode emits the sessions a
 *     batch changed and drops closed ones; complete mode emits every session
 *     every batch and drops nothing.
 * Merging folds one session's aggregate states into the other's (each
 * aggregate's `merge`), so a row that bridges two sessions costs no replay.
 *
 * Layout (as op_agg.c): a session is a fixed-size row — header, key bytes
 * (inline up to KEY_INLINE bytes, else one heap block), aggregate states —
 * in chunks of ROWS_PER_CHUNK rows; nothing is allocated per input row.  An
 * open-addressing index maps a key to its first session (each entry holds
 * the low 32 bits of the key's hash too, so a probe touches a row only when
 * they match: rows are cache misses once there are many); a key's sessions
 * are chained through `next` (a key has few open sessions: those within the
 * watermark delay).  Rows a merge absorbed stay allocated until the end of
 * the batch, pointing at the survivor, so this batch's rows that were
 * assigned to them before the merge find their session.
 *
 * With 'state.backend' = 'rocksdb' the sessions live in RocksDB and the
 * rows above are a cache of whole keys ("RocksDB as the working state"
 * below). */
#include "exec/op.h"
#include "exec/op_session.h"
#include "exec/late.h"
#include "exec/groupkey.h"
#include "exec/agg/agg.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/xxhash64.h"
#include "state/opstate.h"
#include "state/ostore.h"
#include "state/kfilter.h"

#include <string.h>

#define ROWS_PER_CHUNK 4096
#define KEY_INLINE 40

typedef struct sess_hdr {
    uint64_t hash;            /* of the key bytes only: a key's sessions share it */
    int64_t start, end;
    uint32_t key_len;
    uint32_t next;            /* row + 1 of the key's next session, 0 = none */
    uint32_t merged_into;     /* row + 1 of the session that absorbed this one */
    int32_t touched;          /* batch id + 1 of the last change */
    int64_t db_start, db_end; /* working state: the stored record's start and end (in_db) */
    int64_t log_start, log_end; /* … and those of its record in the checkpoint (in_log) */
    uint8_t alive;
    uint8_t in_db;            /* working state: the database has this session (as db_start, db_end) */
    uint8_t in_log;           /* working state: the checkpoint has it (as log_start, log_end) */
    uint8_t stale;            /* working state: changed since written into the database */
    uint8_t key[KEY_INLINE];  /* or a pointer to a heap copy when longer */
} sess_hdr;

typedef struct sess_op {
    sl_op base;
    size_t row_size;
    size_t *state_off;
    sl_type *arg_type;
    uint8_t **chunks;
    size_t n_chunks, chunks_cap;
    uint32_t n_rows;          /* rows ever allocated */
    uint32_t *free_rows;
    size_t n_free, free_cap;
    uint32_t *absorbed;       /* rows merged away in this batch, freed at its end */
    size_t n_absorbed, absorbed_cap;
    uint64_t *index;          /* per key: hash low bits << 32 | head row + 1; 0 = empty */
    size_t index_cap, n_keys_live;
    size_t n_sessions;
    sl_buf keybuf;
    sl_buf blockkeys;         /* the keys of one block of rows (sess_push) */
    /* RocksDB working state (sess_attach): the rows are a cache of whole keys */
    struct sl_ostore *ws;     /* NULL: every session lives in memory */
    int64_t cache_bytes;      /* the cache's bound after each batch */
    int64_t scanned_to;       /* the last expiry scan's watermark */
    sl_buf wkey, wval;        /* scratch: one stored record */
    sl_kfilter filt;          /* the group keys of the database's sessions */
    sl_error *load_err;       /* work_load_key's scan callback */
} sess_op;

static inline sess_hdr *row_at(const sess_op *s, uint32_t r)
{
    return (sess_hdr *)(s->chunks[r / ROWS_PER_CHUNK] + (size_t)(r % ROWS_PER_CHUNK) * s->row_size);
}

static inline const uint8_t *key_of(const sess_hdr *g)
{
    if (g->key_len <= KEY_INLINE) return g->key;
    const uint8_t *p;
    memcpy(&p, g->key, sizeof p);
    return p;
}

static inline void *state_of(const sess_op *s, sess_hdr *g, int k) { return (uint8_t *)g + s->state_off[k]; }

static bool same_key(const sess_hdr *g, uint64_t h, const uint8_t *key, size_t len)
{
    return g->hash == h && g->key_len == len && (len == 0 || memcmp(key_of(g), key, len) == 0);
}

/* ---- key index ---------------------------------------------------------- */

static inline uint32_t entry_head(uint64_t e) { return (uint32_t)e; }  /* row + 1 */
static inline uint32_t entry_tag(uint64_t e) { return (uint32_t)(e >> 32); }
static inline uint64_t entry_make(uint64_t h, uint32_t head) { return (uint64_t)(uint32_t)h << 32 | head; }

static int index_grow(sess_op *s)
{
    size_t ncap = s->index_cap ? s->index_cap * 2 : 1024;
    uint64_t *ni = sl_calloc(ncap, sizeof *ni);
    if (!ni) return -1;
    for (size_t i = 0; i < s->index_cap; i++) {
        uint64_t e = s->index[i];
        if (!e) continue;
        size_t h = entry_tag(e) & (ncap - 1);
        while (ni[h]) h = (h + 1) & (ncap - 1);
        ni[h] = e;
    }
    sl_free(s->index);
    s->index = ni;
    s->index_cap = ncap;
    return 0;
}

/* The index slot of a key: holding its head session, or the empty slot
 * where it would go. */
static size_t index_slot(const sess_op *s, uint64_t h, const uint8_t *key, size_t len)
{
    size_t mask = s->index_cap - 1, i = h & mask;
    for (uint64_t e; (e = s->index[i]); i = (i + 1) & mask)
        if (entry_tag(e) == (uint32_t)h && same_key(row_at(s, entry_head(e) - 1), h, key, len)) break;
    return i;
}

/* Empties slot i (backward-shift deletion: probe chains stay intact). */
static void index_clear(sess_op *s, size_t i)
{
    size_t mask = s->index_cap - 1, j = i;
    for (;;) {
        s->index[i] = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (!s->index[j]) return;
            size_t home = entry_tag(s->index[j]) & mask;
            if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) break;
        }
        s->index[i] = s->index[j];
        i = j;
    }
}

/* ---- session rows ------------------------------------------------------- */

static int alloc_row(sess_op *s, uint32_t *out)
{
    if (s->n_free) { *out = s->free_rows[--s->n_free]; return 0; }
    if (sl_grow((void **)&s->free_rows, &s->free_cap, s->n_rows + 1, sizeof *s->free_rows) ||
        sl_grow((void **)&s->absorbed, &s->absorbed_cap, s->n_rows + 1, sizeof *s->absorbed))
        return -1;
    if (s->n_rows % ROWS_PER_CHUNK == 0) {
        if (sl_grow((void **)&s->chunks, &s->chunks_cap, s->n_chunks + 1, sizeof *s->chunks)) return -1;
        uint8_t *c = sl_malloc(s->row_size * ROWS_PER_CHUNK);
        if (!c) return -1;
        s->chunks[s->n_chunks++] = c;
    }
    *out = s->n_rows++;
    return 0;
}

/* A new session [start, end) of the key (hash h), not yet linked. */
static int new_session(sess_op *s, const uint8_t *key, size_t len, uint64_t h, int64_t start, int64_t end,
                       uint32_t *out)
{
    uint32_t r;
    if (alloc_row(s, &r)) return -1;
    sess_hdr *g = row_at(s, r);
    memset(g, 0, s->row_size);
    if (len > KEY_INLINE) {
        uint8_t *p = sl_malloc(len);
        if (!p) { s->free_rows[s->n_free++] = r; return -1; }
        memcpy(p, key, len);
        memcpy(g->key, &p, sizeof p);
    } else if (len) {
        memcpy(g->key, key, len);
    }
    g->hash = h;
    g->key_len = (uint32_t)len;
    g->start = start;
    g->end = end;
    g->alive = 1;
    const sl_plan *p = s->base.plan;
    for (int k = 0; k < p->n_aggs; k++) p->aggs[k].def->init(state_of(s, g, k), s->arg_type[k]);
    s->n_sessions++;
    *out = r;
    return 0;
}

/* Releases a session's states and key and puts its row on the free list. */
static void release_row(sess_op *s, uint32_t r)
{
    sess_hdr *g = row_at(s, r);
    const sl_plan *p = s->base.plan;
    for (int k = 0; k < p->n_aggs; k++)
        if (p->aggs[k].def->destroy) p->aggs[k].def->destroy(state_of(s, g, k), s->arg_type[k]);
    if (g->key_len > KEY_INLINE) sl_free((void *)key_of(g));
    g->alive = 0;
    g->merged_into = 0;
    s->free_rows[s->n_free++] = r;
}

/* Unlinks session r from its key's chain (slot holds the chain's head). */
static void unlink_session(sess_op *s, size_t slot, uint32_t r)
{
    uint32_t head = entry_head(s->index[slot]) - 1;
    sess_hdr *g = row_at(s, r);
    if (head == r) {
        if (g->next) s->index[slot] = entry_make(g->hash, g->next);
        else { index_clear(s, slot); s->n_keys_live--; }
    } else {
        sess_hdr *prev = row_at(s, head);
        while (prev->next != r + 1) prev = row_at(s, prev->next - 1);
        prev->next = g->next;
    }
    g->next = 0;
}

static inline uint64_t key_hash(const uint8_t *key, size_t len) { return sl_xxh64(key, len, 0); }

/* ---- RocksDB as the working state ------------------------------------------
 * With sess_attach, the sessions live in the operator's store
 * (state/ostore.h) as their checkpoint records (key: start + encoded group
 * key, value: end + aggregate states), ordered by the session's end, so the
 * watermark's closing reads only the sessions it passed; the store is
 * indexed by the group key then the start (SL_OSTORE_KEYED_AFTER8), so a
 * key's sessions are found by prefix.  The rows in memory are a cache of
 * whole keys: a key in the index has all its sessions cached; a key not in
 * it has them all in the store only.  A batch loads each key it meets that
 * is not cached (work_load_key), merges and extends in memory, and at its
 * end logs every session it changed in the version's delta (the old
 * record deleted when the session's start or end moved: both are in its
 * key); then the cache drops whole keys, those the batch did not touch
 * first, until it fits 'state.rocksdb.cacheBytes', writing the changed
 * sessions it drops back into the database (and every changed one before
 * a snapshot), so a session that stays cached costs no database write per
 * batch.  A session therefore has two stored keys to track: the
 * database's (in_db, db_*) and the checkpoint's (in_log, log_*)
 * (docs/CHECKPOINTS.md). */

/* The store's key of a session: start, then the group key. */
static void work_record_key(sl_buf *k, int64_t start, const uint8_t *key, size_t len)
{
    sl_buf_reset(k);
    sl_buf_append(k, &start, 8);
    if (len) sl_buf_append(k, key, len);
}

/* Fills the states of session g (just created: initialised) from a stored
 * value (end, then the states). */
static sl_status load_states(sess_op *s, sess_hdr *g, const void *val, size_t vl, sl_error *err)
{
    const sl_plan *p = s->base.plan;
    const uint8_t *q = (const uint8_t *)val + 8, *stop = (const uint8_t *)val + vl;
    if (vl < 8 || (!p->n_aggs && vl != 8))
        return sl_err(err, SL_ERR_CHECKPOINT, "session window state: a record is malformed");
    for (int a = 0; a < p->n_aggs; a++)
        if (p->aggs[a].def->load(state_of(s, g, a), s->arg_type[a], &q, stop) || (a == p->n_aggs - 1 && q != stop))
            return sl_err(err, SL_ERR_CHECKPOINT, "session window state: the saved state of %s() does not fit this query",
                          p->aggs[a].def->name);
    return SL_OK;
}

/* Deletes session g's records: its checkpoint record (logged in the
 * delta) and its database record. */
static sl_status work_del(sess_op *s, sess_hdr *g, sl_error *err)
{
    sl_status st = SL_OK;
    if (g->in_log) {
        work_record_key(&s->wkey, g->log_start, key_of(g), g->key_len);
        st = s->wkey.oom ? sl_err_oom(err) : sl_ostore_log_del(s->ws, g->log_end, s->wkey.data, s->wkey.len, err);
        g->in_log = 0;
    }
    if (!st && g->in_db) {
        work_record_key(&s->wkey, g->db_start, key_of(g), g->key_len);
        st = s->wkey.oom ? sl_err_oom(err) : sl_ostore_store_del(s->ws, g->db_end, s->wkey.data, s->wkey.len, err);
        sl_kfilter_del(&s->filt, key_of(g), g->key_len);
        g->in_db = 0;
    }
    g->stale = 0;
    return st;
}

/* Session g's record (key: start + group key; value: end + states) in
 * s->wkey and s->wval. */
static sl_status work_record(sess_op *s, sess_hdr *g, sl_error *err)
{
    const sl_plan *p = s->base.plan;
    work_record_key(&s->wkey, g->start, key_of(g), g->key_len);
    sl_buf_reset(&s->wval);
    sl_buf_append(&s->wval, &g->end, 8);
    for (int a = 0; a < p->n_aggs; a++) p->aggs[a].def->save(state_of(s, g, a), s->arg_type[a], &s->wval);
    return s->wkey.oom || s->wval.oom ? sl_err_oom(err) : SL_OK;
}

/* Logs session g (changed in this batch) in the version's delta. */
static sl_status work_log(sess_op *s, sess_hdr *g, sl_error *err)
{
    sl_status st = SL_OK;
    if (g->in_log && (g->log_start != g->start || g->log_end != g->end)) {
        work_record_key(&s->wkey, g->log_start, key_of(g), g->key_len);
        st = s->wkey.oom ? sl_err_oom(err) : sl_ostore_log_del(s->ws, g->log_end, s->wkey.data, s->wkey.len, err);
    }
    if (!st) st = work_record(s, g, err);
    if (!st) st = sl_ostore_log_put(s->ws, s->wkey.data, s->wkey.len, s->wval.data, s->wval.len, err);
    g->in_log = 1;
    g->log_start = g->start;
    g->log_end = g->end;
    g->stale = 1;
    return st;
}

/* Writes session g back into the database when it changed since. */
static sl_status work_write_back(sess_op *s, sess_hdr *g, sl_error *err)
{
    if (!g->stale) return SL_OK;
    sl_status st = SL_OK;
    bool same = g->in_db && g->db_start == g->start && g->db_end == g->end;
    if (g->in_db && !same) {
        work_record_key(&s->wkey, g->db_start, key_of(g), g->key_len);
        st = s->wkey.oom ? sl_err_oom(err) : sl_ostore_store_del(s->ws, g->db_end, s->wkey.data, s->wkey.len, err);
    }
    if (!st) st = work_record(s, g, err);
    if (!st) st = sl_ostore_store_put(s->ws, s->wkey.data, s->wkey.len, s->wval.data, s->wval.len, !same, err);
    if (!g->in_db) sl_kfilter_add(&s->filt, key_of(g), g->key_len);
    g->in_db = 1;
    g->db_start = g->start;
    g->db_end = g->end;
    g->stale = 0;
    return st;
}

typedef struct load_key_ctx {
    sess_op *s;
    size_t slot, len;
    uint64_t h;
    const uint8_t *key;
} load_key_ctx;

/* sl_ostore_scan_prefix callback: one stored session of the key being
 * loaded (index key: the group key, then the start). */
static sl_status work_load_one(void *ctx, int64_t order, const void *ikey, size_t kl, const void *val, size_t vl,
                               sl_error *err)
{
    load_key_ctx *c = ctx;
    sess_op *s = c->s;
    if (kl != c->len + 8 || vl < 8)
        return sl_err(err, SL_ERR_CHECKPOINT, "session window state: a stored session does not fit this query");
    int64_t start;
    memcpy(&start, (const uint8_t *)ikey + c->len, 8);
    uint32_t r;
    if (new_session(s, c->key, c->len, c->h, start, order, &r)) return sl_err_oom(err);
    sess_hdr *g = row_at(s, r);
    sl_status st = load_states(s, g, val, vl, err);
    if (st) {
        release_row(s, r);
        s->n_sessions--;
        return st;
    }
    g->in_db = g->in_log = 1;
    g->db_start = g->log_start = start;
    g->db_end = g->log_end = order;
    if (s->index[c->slot]) g->next = entry_head(s->index[c->slot]);
    else s->n_keys_live++;
    s->index[c->slot] = entry_make(c->h, r + 1);
    return SL_OK;
}

/* The key is not cached (its index slot is empty): brings its stored
 * sessions into the cache. */
static sl_status work_load_key(sess_op *s, size_t slot, const uint8_t *key, size_t len, uint64_t h, sl_error *err)
{
    if (!sl_kfilter_maybe(&s->filt, key, len)) return SL_OK; /* none stored: no RocksDB seek */
    load_key_ctx c = {s, slot, len, h, key};
    return sl_ostore_scan_prefix(s->ws, key, len, work_load_one, &c, err);
}

/* Assigns the event at ts of the key (hash h) to its session, creating,
 * extending or merging sessions; *out_row is the session it joined. */
static sl_status assign(sess_op *s, const uint8_t *key, size_t len, uint64_t h, int64_t ts, int64_t gap,
                       int32_t touched, uint32_t *out_row, sl_error *err)
{
    if ((s->n_keys_live + 1) * 4 > s->index_cap * 3 && index_grow(s)) return sl_err_oom(err);
    size_t slot = index_slot(s, h, key, len);
    if (s->ws && !s->index[slot]) {
        sl_status st = work_load_key(s, slot, key, len, h, err);
        if (st) return st;
    }
    int64_t lo = ts, hi = ts + gap;
    uint32_t keep = UINT32_MAX;
    const sl_plan *p = s->base.plan;
    for (uint32_t r1 = entry_head(s->index[slot]); r1;) {
        uint32_t r = r1 - 1;
        sess_hdr *g = row_at(s, r);
        r1 = g->next;
        if (g->start > hi || g->end < lo) continue; /* Spark merges while start <= end */
        if (keep == UINT32_MAX) { keep = r; continue; }
        /* A second session touches the event: the event bridges them. */
        sess_hdr *k = row_at(s, keep);
        for (int a = 0; a < p->n_aggs; a++)
            if (p->aggs[a].def->merge(state_of(s, k, a), state_of(s, g, a), s->arg_type[a])) return sl_err_oom(err);
        if (g->start < k->start) k->start = g->start;
        if (g->end > k->end) k->end = g->end;
        unlink_session(s, slot, r);
        g->merged_into = keep + 1;
        s->absorbed[s->n_absorbed++] = r;
        s->n_sessions--;
    }
    if (keep == UINT32_MAX) {
        uint32_t r;
        if (new_session(s, key, len, h, lo, hi, &r)) return sl_err_oom(err);
        sess_hdr *g = row_at(s, r);
        if (s->index[slot]) g->next = entry_head(s->index[slot]);
        else s->n_keys_live++;
        s->index[slot] = entry_make(h, r + 1);
        keep = r;
    }
    sess_hdr *k = row_at(s, keep);
    if (lo < k->start) k->start = lo;
    if (hi > k->end) k->end = hi;
    if (k->touched != touched) { k->touched = touched; s->base.state.rows_updated++; }
    *out_row = keep;
    return SL_OK;
}

static sl_status sess_push(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    sess_op *s = (sess_op *)op;
    const sl_plan *p = op->plan;
    int64_t n = b->n_rows, gap = p->win_gap_us;
    sl_status st = SL_OK;
    sl_col *keys[64] = {0}, *args[64] = {0}, *tcol = NULL;
    int32_t *src = NULL, *late = NULL;
    uint32_t *target = NULL;
    uint8_t **rows = NULL;
    if (p->n_keys > 64 || p->n_aggs > 64) return sl_err(err, SL_ERR_PLAN, "too many GROUP BY keys or aggregates (64 at most)");

    for (int k = 0; k < p->n_keys && !st; k++) st = sl_expr_eval(p->keys[k], b, &x->ev, &keys[k], err);
    for (int k = 0; k < p->n_aggs && !st; k++)
        if (p->aggs[k].arg) st = sl_expr_eval(p->aggs[k].arg, b, &x->ev, &args[k], err);
    if (!st) st = sl_expr_eval(p->win_time, b, &x->ev, &tcol, err);
    if (st) goto done;

    size_t cap = (size_t)(n ? n : 1);
    src = sl_malloc(sizeof *src * cap);
    late = sl_malloc(sizeof *late * cap);
    target = sl_malloc(sizeof *target * cap);
    rows = sl_malloc(sizeof *rows * cap);
    if (!src || !late || !target || !rows) { st = sl_err_oom(err); goto done; }

    int64_t wm = op->wm_late[port], m = 0, n_late = 0;
    int32_t touched = (int32_t)x->ev.batch_id + 1;
    for (int64_t i = 0; i < n; i++) {
        if (sl_col_is_null(tcol, i)) continue; /* Spark: no session for a NULL event time */
        int64_t ts = sl_col_i64(tcol)[i];
        if (wm != SL_NO_WATERMARK && ts + gap <= wm) { late[n_late++] = (int32_t)i; continue; }
        src[m++] = (int32_t)i;
    }
    /* Assignments go in blocks: keys and hashes first, prefetching the
     * index slots, then the sessions those slots lead to, then the work —
     * the index and the sessions are cache misses once keys are many. */
    enum { BLOCK = 64 };
    uint64_t hs[BLOCK];
    size_t koff[BLOCK + 1];
    sl_buf *bk = &s->blockkeys;
    for (int64_t j0 = 0; j0 < m; j0 += BLOCK) {
        int nb = m - j0 < BLOCK ? (int)(m - j0) : BLOCK;
        sl_buf_reset(bk);
        for (int q = 0; q < nb; q++) {
            sl_exec_key_encode(&s->keybuf, keys, p->n_keys, src[j0 + q]);
            koff[q] = bk->len;
            if (s->keybuf.len) sl_buf_append(bk, s->keybuf.data, s->keybuf.len);
            if (bk->oom || s->keybuf.oom) { st = sl_err_oom(err); goto done; }
            hs[q] = key_hash((const uint8_t *)bk->data + koff[q], s->keybuf.len);
            if (s->index_cap) __builtin_prefetch(&s->index[hs[q] & (s->index_cap - 1)]);
        }
        koff[nb] = bk->len;
        for (int q = 0; q < nb && s->index_cap; q++) {
            uint64_t e = s->index[hs[q] & (s->index_cap - 1)];
            if (e && entry_tag(e) == (uint32_t)hs[q]) __builtin_prefetch(row_at(s, entry_head(e) - 1));
        }
        const uint8_t *kbase = (const uint8_t *)(bk->data ? bk->data : "");
        for (int q = 0; q < nb; q++) {
            int64_t j = j0 + q;
            if ((st = assign(s, kbase + koff[q], koff[q + 1] - koff[q], hs[q], sl_col_i64(tcol)[src[j]], gap,
                             touched, &target[j], err)))
                goto done;
        }
    }
    op->state.rows_dropped_late += n_late;
    if (n_late && (st = sl_op_late_rows(op, port, b, late, n_late, x, err))) goto done;

    /* Rows assigned to a session that a later row merged away go to the
     * survivor (merges only chain forward within a batch). */
    for (int64_t j = 0; j < m; j++) {
        uint32_t r = target[j];
        while (row_at(s, r)->merged_into) r = row_at(s, r)->merged_into - 1;
        rows[j] = (uint8_t *)row_at(s, r);
    }
    bool identity = m == n;
    for (int k = 0; k < p->n_aggs && !st; k++) {
        sl_col *arg = args[k], *g = NULL;
        if (arg && !identity) {
            if (!(g = sl_col_gather(arg, src, m))) { st = sl_err_oom(err); break; }
            arg = g;
        }
        if (p->aggs[k].def->update(rows, s->state_off[k], arg, m)) st = sl_err_oom(err);
        sl_col_unref(g);
    }
done:
    /* Absorbed rows are no longer referenced once this batch's rows were
     * folded into their survivors (their stored records go). */
    for (size_t i = 0; i < s->n_absorbed; i++) {
        sess_hdr *g = row_at(s, s->absorbed[i]);
        if (s->ws && !st) st = work_del(s, g, err);
        release_row(s, s->absorbed[i]);
    }
    s->n_absorbed = 0;
    if (s->ws && !st) st = sl_ostore_flush(s->ws, err);
    for (int k = 0; k < 64; k++) { sl_col_unref(keys[k]); sl_col_unref(args[k]); }
    sl_col_unref(tcol);
    sl_free(src);
    sl_free(late);
    sl_free(target);
    sl_free(rows);
    op->state.rows_total = s->ws ? sl_ostore_count(s->ws) : (int64_t)s->n_sessions;
    return st;
}

/* Emits the given sessions as output batches: keys…, window_start,
 * window_end, aggregates… */
static sl_status emit_rows(sess_op *s, const uint32_t *sel, size_t n, sl_exec_ctx *x, sl_error *err)
{
    const sl_plan *p = s->base.plan;
    int wpos = p->win_pos, apos = p->n_keys + 2;
    for (size_t start = 0; start < n; start += SL_BATCH_ROWS) {
        size_t end = start + SL_BATCH_ROWS < n ? start + SL_BATCH_ROWS : n;
        sl_batch *out = sl_batch_new_builder(p->schema);
        if (!out) return sl_err_oom(err);
        for (size_t i = start; i < end; i++) {
            sess_hdr *g = row_at(s, sel[i]);
            int fail = sl_exec_key_decode(key_of(g), out->cols, p->n_keys) ||
                       sl_col_append_i64(out->cols[wpos], g->start) ||
                       sl_col_append_i64(out->cols[wpos + 1], g->end);
            for (int k = 0; k < p->n_aggs && !fail; k++)
                fail = p->aggs[k].def->finalize(state_of(s, g, k), s->arg_type[k], out->cols[apos + k]);
            if (fail) { sl_batch_unref(out); return sl_err_oom(err); }
            if (g->end > s->base.evtime_max) s->base.evtime_max = g->end; /* the output's event time */
        }
        sl_batch_seal(out);
        sl_status st = sl_op_emit(&s->base, out, x, err);
        sl_batch_unref(out);
        if (st) return st;
    }
    return SL_OK;
}

static sl_status filt_one(void *ctx, int64_t order, const void *ikey, size_t kl, const void *val, size_t vl,
                          sl_error *err)
{
    if (kl < 8) return sl_err(err, SL_ERR_CHECKPOINT, "session window state: a stored session's key is too short");
    sl_kfilter_add(&((sess_op *)ctx)->filt, ikey, kl - 8); /* index key: group key, start */
    return SL_OK;
}

/* Sizes the filter for `want` stored sessions and counts the database's in. */
static sl_status filt_rebuild(sess_op *s, int64_t want, sl_error *err)
{
    if (sl_kfilter_reset(&s->filt, want)) return sl_err_oom(err);
    sl_status st = sl_ostore_flush(s->ws, err);
    return st ? st : sl_ostore_scan_prefix(s->ws, "", 0, filt_one, s, err);
}

/* ---- the working state at the end of a batch ------------------------------ */

/* Stored sessions of keys not cached, emitted a slice at a time through
 * detached rows (never linked into the index). */
typedef struct stored_ctx {
    sess_op *s;
    sl_exec_ctx *x;           /* NULL: delete without emitting */
    bool del;                 /* closing: the sessions leave the store */
    uint32_t *rows;
    size_t n;
} stored_ctx;

static sl_status stored_slice(stored_ctx *c, sl_error *err)
{
    sl_status st = c->x ? emit_rows(c->s, c->rows, c->n, c->x, err) : SL_OK;
    for (size_t i = 0; i < c->n; i++) {
        release_row(c->s, c->rows[i]);
        c->s->n_sessions--;
    }
    c->n = 0;
    return st;
}

/* sl_ostore_scan callback: a stored session (key: start + group key). */
static sl_status stored_one(void *ctx, int64_t order, const void *key, size_t kl, const void *val, size_t vl,
                            sl_error *err)
{
    stored_ctx *c = ctx;
    sess_op *s = c->s;
    if (kl < 8) return sl_err(err, SL_ERR_CHECKPOINT, "session window state: a stored session's key is too short");
    const uint8_t *gk = (const uint8_t *)key + 8;
    size_t len = kl - 8;
    uint64_t h = key_hash(gk, len);
    /* a cached key's sessions are judged in memory (the cache is newer) */
    if (s->index_cap && s->index[index_slot(s, h, gk, len)]) return SL_OK;
    sl_status st = SL_OK;
    if (c->del) {
        if ((st = sl_ostore_del(s->ws, order, key, kl, err))) return st;
        sl_kfilter_del(&s->filt, gk, len);
        s->base.state.rows_removed++;
    }
    if (!c->x) return SL_OK;
    int64_t start;
    memcpy(&start, key, 8);
    uint32_t r;
    if (new_session(s, gk, len, h, start, order, &r)) return sl_err_oom(err);
    if ((st = load_states(s, row_at(s, r), val, vl, err))) {
        release_row(s, r);
        s->n_sessions--;
        return st;
    }
    c->rows[c->n++] = r;
    return c->n == 4096 ? stored_slice(c, err) : SL_OK;
}

/* Scans the stored sessions with order_min <= end <= order_max of keys not
 * cached: emitted when x is set, deleted when del. */
static sl_status work_stored(sess_op *s, int64_t order_min, int64_t order_max, sl_exec_ctx *x, bool del,
                             sl_error *err)
{
    stored_ctx c = {s, x, del, sl_malloc(4096 * sizeof(uint32_t)), 0};
    if (!c.rows) return sl_err_oom(err);
    sl_status st = sl_ostore_scan(s->ws, order_min, order_max, stored_one, &c, err);
    if (!st && c.n) st = stored_slice(&c, err);
    else {
        c.x = NULL;
        stored_slice(&c, err);
    }
    sl_free(c.rows);
    return st;
}

static size_t cache_bytes(const sess_op *s)
{
    return s->n_sessions * s->row_size + s->index_cap * sizeof *s->index;
}

/* Drops key slot's sessions from the cache, writing the changed ones back
 * into the database. */
static sl_status drop_key(sess_op *s, size_t slot, sl_error *err)
{
    for (uint32_t r1 = entry_head(s->index[slot]); r1; r1 = row_at(s, r1 - 1)->next) {
        sl_status st = work_write_back(s, row_at(s, r1 - 1), err);
        if (st) return st;
    }
    for (uint32_t r1 = entry_head(s->index[slot]); r1;) {
        sess_hdr *g = row_at(s, r1 - 1);
        uint32_t next = g->next;
        g->next = 0;
        release_row(s, r1 - 1);
        s->n_sessions--;
        r1 = next;
    }
    index_clear(s, slot);
    s->n_keys_live--;
    return SL_OK;
}

/* Moves the live sessions into as few chunks as they need and rebuilds the
 * index, so that memory trimmed from the cache goes back to the system. */
static int compact(sess_op *s)
{
    size_t live = s->n_sessions, nch = (live + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
    size_t icap = 1024;
    while ((s->n_keys_live + 1) * 4 > icap * 3) icap *= 2;
    uint8_t **chunks = sl_calloc(nch ? nch : 1, sizeof *chunks);
    uint64_t *idx = sl_calloc(icap, sizeof *idx);
    uint32_t *map = sl_malloc(sizeof *map * (s->n_rows ? s->n_rows : 1));
    uint32_t *fr = sl_malloc(sizeof *fr * (live + 1)), *ab = sl_malloc(sizeof *ab * (live + 1));
    bool ok = chunks && idx && map && fr && ab;
    for (size_t i = 0; i < nch && ok; i++) ok = (chunks[i] = sl_malloc(s->row_size * ROWS_PER_CHUNK)) != NULL;
    if (!ok) {
        for (size_t i = 0; chunks && i < nch; i++) sl_free(chunks[i]);
        sl_free(chunks);
        sl_free(idx);
        sl_free(map);
        sl_free(fr);
        sl_free(ab);
        return -1;
    }
    uint32_t n = 0;
    for (uint32_t r = 0; r < s->n_rows; r++) {
        const sess_hdr *g = row_at(s, r);
        if (!g->alive) continue;
        map[r] = n;
        memcpy(chunks[n / ROWS_PER_CHUNK] + (size_t)(n % ROWS_PER_CHUNK) * s->row_size, g, s->row_size);
        n++;
    }
    for (size_t i = 0; i < s->index_cap; i++) {
        uint64_t e = s->index[i];
        if (!e) continue;
        size_t h = entry_tag(e) & (icap - 1);
        while (idx[h]) h = (h + 1) & (icap - 1);
        idx[h] = (uint64_t)entry_tag(e) << 32 | (map[entry_head(e) - 1] + 1);
    }
    for (size_t i = 0; i < s->n_chunks; i++) sl_free(s->chunks[i]);
    sl_free(s->chunks);
    sl_free(s->index);
    sl_free(s->free_rows);
    sl_free(s->absorbed);
    s->chunks = chunks;
    s->n_chunks = s->chunks_cap = nch;
    s->n_rows = n;
    s->index = idx;
    s->index_cap = icap;
    s->free_rows = fr;
    s->absorbed = ab;
    s->n_free = 0;
    s->free_cap = s->absorbed_cap = live + 1;
    for (uint32_t r = 0; r < n; r++) {
        sess_hdr *g = row_at(s, r);
        if (g->next) g->next = map[g->next - 1] + 1;
    }
    sl_free(map);
    return 0;
}

/* After finish emitted and closed: logs the sessions this batch changed,
 * in complete mode emits the sessions only the store has, and trims the
 * cache to its bound by whole keys (writing back what it drops). */
static sl_status work_end_batch(sess_op *s, sl_exec_ctx *x, int32_t touched, bool complete, sl_error *err)
{
    sl_status st = SL_OK;
    for (uint32_t r = 0; r < s->n_rows && !st; r++) {
        sess_hdr *g = row_at(s, r);
        if (g->alive && g->touched == touched) st = work_log(s, g, err);
    }
    if (!st) st = sl_ostore_flush(s->ws, err);
    if (!st && complete) st = work_stored(s, INT64_MIN, INT64_MAX, x, false, err);
    size_t before = s->n_sessions, bound = (size_t)s->cache_bytes;
    for (int pass = 0; pass < 2 && !st && cache_bytes(s) > bound; pass++)
        for (uint32_t r = 0; r < s->n_rows && cache_bytes(s) > bound && !st; r++) {
            sess_hdr *g = row_at(s, r);
            if (!g->alive || g->merged_into) continue;
            if (!pass) { /* a key any of whose sessions this batch touched stays */
                bool hot = false;
                size_t slot = index_slot(s, g->hash, key_of(g), g->key_len);
                for (uint32_t q = entry_head(s->index[slot]); q && !hot; q = row_at(s, q - 1)->next)
                    hot = row_at(s, q - 1)->touched == touched;
                if (!hot) st = drop_key(s, slot, err);
                continue;
            }
            st = drop_key(s, index_slot(s, g->hash, key_of(g), g->key_len), err);
        }
    if (!st) st = sl_ostore_flush(s->ws, err);
    if (!st && sl_kfilter_crowded(&s->filt)) st = filt_rebuild(s, s->filt.n * 2, err);
    if (!st && s->n_sessions < before &&
        ((size_t)s->n_rows > 2 * s->n_sessions + ROWS_PER_CHUNK || cache_bytes(s) > bound) && compact(s))
        st = sl_err_oom(err);
    int64_t fresh = 0; /* cached sessions the database does not have yet */
    for (uint32_t r = 0; r < s->n_rows; r++) fresh += row_at(s, r)->alive && !row_at(s, r)->in_db;
    s->base.state.rows_total = sl_ostore_count(s->ws) + fresh;
    s->base.state.mem_bytes = (int64_t)cache_bytes(s);
    return st;
}

static sl_status sess_finish(sl_op *op, sl_exec_ctx *x, sl_error *err)
{
    sess_op *s = (sess_op *)op;
    const sl_plan *p = op->plan;
    int32_t touched = (int32_t)x->ev.batch_id + 1;
    int64_t wm = op->wm_in;
    bool complete = p->streaming && !p->per_batch && x->mode == SL_OUT_COMPLETE;
    if (s->ws && p->streaming && !p->per_batch && !complete && wm != SL_NO_WATERMARK && wm > s->scanned_to) {
        /* the stored sessions of keys not cached that the watermark closed
         * (append mode emits them); every one up to the last scan is gone */
        sl_status wst = work_stored(s, s->scanned_to, wm, x->mode == SL_OUT_APPEND ? x : NULL, true, err);
        if (!wst) wst = sl_ostore_flush(s->ws, err);
        if (wst) return wst;
        s->scanned_to = wm;
    }
    uint32_t *sel = sl_malloc(sizeof *sel * (s->n_rows ? s->n_rows : 1));
    uint32_t *evict = sl_malloc(sizeof *evict * (s->n_rows ? s->n_rows : 1));
    if (!sel || !evict) { sl_free(sel); sl_free(evict); return sl_err_oom(err); }
    size_t n_sel = 0, n_evict = 0;
    for (uint32_t r = 0; r < s->n_rows; r++) {
        sess_hdr *g = row_at(s, r);
        if (!g->alive) continue;
        bool closed = wm != SL_NO_WATERMARK && g->end <= wm, out;
        if (p->per_batch) { out = true; closed = true; }
        else if (!p->streaming) { out = true; closed = false; }
        else if (x->mode == SL_OUT_COMPLETE) { out = true; closed = false; }
        else if (x->mode == SL_OUT_UPDATE) out = g->touched == touched;
        else out = closed;
        if (out) sel[n_sel++] = r;
        if (closed) evict[n_evict++] = r;
    }
    sl_status st = emit_rows(s, sel, n_sel, x, err);
    /* In blocks, prefetching index slots and chain heads (as sess_push). */
    for (size_t i0 = 0; i0 < n_evict; i0 += 64) {
        size_t nb = n_evict - i0 < 64 ? n_evict - i0 : 64;
        for (size_t q = 0; q < nb; q++) __builtin_prefetch(&s->index[row_at(s, evict[i0 + q])->hash & (s->index_cap - 1)]);
        for (size_t q = 0; q < nb; q++) {
            uint64_t e = s->index[row_at(s, evict[i0 + q])->hash & (s->index_cap - 1)];
            if (e) __builtin_prefetch(row_at(s, entry_head(e) - 1));
        }
        for (size_t q = 0; q < nb; q++) {
            uint32_t r = evict[i0 + q];
            sess_hdr *g = row_at(s, r);
            if (s->ws && !st) st = work_del(s, g, err);
            unlink_session(s, index_slot(s, g->hash, key_of(g), g->key_len), r);
            release_row(s, r);
            s->n_sessions--;
        }
    }
    op->state.rows_removed += (int64_t)n_evict;
    op->state.rows_total = (int64_t)s->n_sessions;
    op->state.mem_bytes = (int64_t)(s->n_chunks * ROWS_PER_CHUNK * s->row_size + s->index_cap * sizeof *s->index);
    sl_free(sel);
    sl_free(evict);
    if (s->ws && !st) st = work_end_batch(s, x, touched, complete, err);
    return st;
}

static void sess_free(sl_op *op)
{
    sess_op *s = (sess_op *)op;
    for (uint32_t r = 0; r < s->n_rows; r++)
        if (row_at(s, r)->alive) release_row(s, r);
    for (size_t i = 0; i < s->n_chunks; i++) sl_free(s->chunks[i]);
    sl_free(s->chunks);
    sl_free(s->index);
    sl_free(s->free_rows);
    sl_free(s->absorbed);
    sl_free(s->state_off);
    sl_free(s->arg_type);
    sl_buf_fini(&s->keybuf);
    sl_buf_fini(&s->blockkeys);
    sl_buf_fini(&s->wkey);
    sl_buf_fini(&s->wval);
    sl_kfilter_fini(&s->filt);
    sl_free(s);
}

/* Checkpoints: one record per session.  Key: the session's start (8
 * bytes) then the encoded group key (a key's sessions never share a
 * start); value: its end (8 bytes) then every aggregate's saved state. */
static sl_status sess_save(sl_op *op, struct sl_opstate *out, sl_error *err)
{
    sess_op *s = (sess_op *)op;
    const sl_plan *p = op->plan;
    if (s->ws) {
        /* the delta has every change already; a snapshot needs them all in the database */
        if (!sl_opstate_work_snapshot_due(out)) return SL_OK;
        sl_status st = SL_OK;
        for (uint32_t r = 0; r < s->n_rows && !st; r++)
            if (row_at(s, r)->alive) st = work_write_back(s, row_at(s, r), err);
        return st;
    }
    sl_buf k, v;
    sl_buf_init(&k);
    sl_buf_init(&v);
    sl_status st = SL_OK;
    for (uint32_t r = 0; r < s->n_rows && !st; r++) {
        sess_hdr *g = row_at(s, r);
        if (!g->alive) continue;
        sl_buf_reset(&k);
        sl_buf_reset(&v);
        sl_buf_append(&k, &g->start, 8);
        sl_buf_append(&k, key_of(g), g->key_len);
        sl_buf_append(&v, &g->end, 8);
        for (int a = 0; a < p->n_aggs; a++) p->aggs[a].def->save(state_of(s, g, a), s->arg_type[a], &v);
        st = k.oom || v.oom ? sl_err_oom(err) : sl_opstate_put(out, k.data, k.len, v.data, v.len, err);
    }
    sl_buf_fini(&k);
    sl_buf_fini(&v);
    return st;
}

static sl_status sess_load(sl_op *op, const void *key, size_t key_len, const void *val, size_t val_len,
                           sl_error *err)
{
    sess_op *s = (sess_op *)op;
    const sl_plan *p = op->plan;
    int64_t start = 0, end = -1;
    if (key_len >= 8 && val_len >= 8) { memcpy(&start, key, 8); memcpy(&end, val, 8); }
    if (end < start || (!p->n_aggs && val_len != 8))
        return sl_err(err, SL_ERR_CHECKPOINT, "session window state: a record is malformed");
    sl_buf_reset(&s->keybuf);
    sl_buf_append(&s->keybuf, (const uint8_t *)key + 8, key_len - 8);
    if (s->keybuf.oom) return sl_err_oom(err);
    const uint8_t *kb = (const uint8_t *)(s->keybuf.data ? s->keybuf.data : "");
    uint64_t h = key_hash(kb, s->keybuf.len);
    if ((s->n_keys_live + 1) * 4 > s->index_cap * 3 && index_grow(s)) return sl_err_oom(err);
    uint32_t r;
    if (new_session(s, kb, s->keybuf.len, h, start, end, &r)) return sl_err_oom(err);
    sess_hdr *g = row_at(s, r);
    const uint8_t *q = (const uint8_t *)val + 8, *stop = (const uint8_t *)val + val_len;
    for (int a = 0; a < p->n_aggs; a++)
        if (p->aggs[a].def->load(state_of(s, g, a), s->arg_type[a], &q, stop) || (a == p->n_aggs - 1 && q != stop)) {
            release_row(s, r);
            s->n_sessions--;
            return sl_err(err, SL_ERR_CHECKPOINT, "session window state: the saved state of %s() does not fit this query",
                          p->aggs[a].def->name);
        }
    size_t slot = index_slot(s, h, kb, s->keybuf.len);
    if (s->index[slot]) g->next = entry_head(s->index[slot]);
    else s->n_keys_live++;
    s->index[slot] = entry_make(h, r + 1);
    op->state.rows_total = (int64_t)s->n_sessions;
    return SL_OK;
}

/* Keeps the sessions in the store from now on (the store holds the
 * restored state; the cache starts empty). */
static sl_status sess_attach(sl_op *op, struct sl_opstate *st, int64_t version, int64_t cache_bytes, sl_error *err)
{
    sess_op *s = (sess_op *)op;
    if (s->n_sessions)
        return sl_err(err, SL_ERR_INTERNAL, "session windows: working state attached to a non-empty operator");
    sl_status rst = sl_opstate_restore_working(st, version, SL_OSTORE_KEYED_AFTER8, err);
    if (rst) return rst;
    if (!(s->ws = sl_opstate_work(st)))
        return sl_err(err, SL_ERR_INTERNAL, "session windows: the state has no working store");
    s->cache_bytes = cache_bytes > 0 ? cache_bytes : 0;
    s->scanned_to = INT64_MIN;
    if ((rst = filt_rebuild(s, sl_ostore_count(s->ws), err))) {
        s->ws = NULL;
        return rst;
    }
    op->state.rows_total = sl_ostore_count(s->ws);
    return SL_OK;
}

static const sl_op_ops sess_ops = {"sessionWindowAggregate", sess_push, sess_finish, sess_free};
static const sl_op_ckpt_ops sess_ckpt = {.save = sess_save, .load = sess_load, .attach = sess_attach};

sl_status sl_op_session_new(const sl_plan *p, sl_op **out, sl_error *err)
{
    sess_op *s = sl_calloc(1, sizeof *s);
    if (!s) return sl_err_oom(err);
    s->base.ops = &sess_ops;
    s->base.ckpt = &sess_ckpt;
    s->base.plan = p;
    s->base.n_inputs = 1;
    s->base.stateful = true;
    s->base.evtime_max = SL_NO_WATERMARK;
    s->state_off = sl_calloc((size_t)(p->n_aggs ? p->n_aggs : 1), sizeof *s->state_off);
    s->arg_type = sl_calloc((size_t)(p->n_aggs ? p->n_aggs : 1), sizeof *s->arg_type);
    if (!s->state_off || !s->arg_type) { sess_free(&s->base); return sl_err_oom(err); }
    size_t off = sizeof(sess_hdr);
    for (int k = 0; k < p->n_aggs; k++) {
        if (!p->aggs[k].def->merge) {
            sess_free(&s->base);
            return sl_err(err, SL_ERR_PLAN, "%s() cannot be used with session windows (its states cannot merge)",
                          p->aggs[k].def->name);
        }
        s->arg_type[k] = p->aggs[k].arg ? p->aggs[k].arg->type : SL_TYPE_NULL;
        off = (off + 7) & ~(size_t)7;
        s->state_off[k] = off;
        off += p->aggs[k].def->state_size(s->arg_type[k]);
    }
    s->row_size = (off + 7) & ~(size_t)7;
    *out = &s->base;
    return SL_OK;
}
