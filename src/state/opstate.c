/* An operator's checkpointed state (opstate.h): a kv store holding the
 * records of the last save, and the set of keys put during the current
 * save, so that commit can tell which records disappeared.  Comparing each
 * record with the stored one is what turns "write everything" into a delta
 * of what changed, without operators having to track their changes. */
#include "state/opstate.h"
#include "state/kv_int.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct sl_opstate {
    sl_ckpt_log *log;
    char *id;
    sl_kv *kv;
    sl_kv_hash *seen;   /* keys put since begin */
    bool open;          /* between begin and commit */
    sl_buf old;         /* scratch: the stored value of a key */
    sl_opstate_stats stats;
};

sl_status sl_opstate_open(sl_ckpt_log *log, const char *op_id, const sl_options *opts,
                          sl_opstate **out, sl_error *err)
{
    *out = NULL;
    sl_opstate *s = sl_calloc(1, sizeof *s);
    if (!s) return sl_err_oom(err);
    s->log = log;
    sl_buf_init(&s->old);
    s->id = sl_strdup(op_id);
    s->seen = sl_kv_hash_new();
    sl_buf path;
    sl_buf_init(&path);
    /* RocksDB's scratch directory sits inside the checkpoint so that its
     * snapshots can be hard links (same file system); the leading dot keeps
     * it out of the log's scans. */
    sl_buf_printf(&path, "%s/.kv-%s", sl_ckpt_log_dir(log), op_id);
    if (!s->id || !s->seen || path.oom) {
        sl_buf_fini(&path);
        sl_opstate_free(s);
        return sl_err_oom(err);
    }
    sl_status st = sl_kv_open_options(opts, path.data, &s->kv, err);
    sl_buf_fini(&path);
    if (st) {
        sl_err_prefix(err, "state of operator %s", op_id);
        sl_opstate_free(s);
        return st;
    }
    *out = s;
    return SL_OK;
}

void sl_opstate_free(sl_opstate *s)
{
    if (!s) return;
    sl_kv_free(s->kv);
    if (s->seen) sl_kv_hash_free(s->seen);
    sl_buf_fini(&s->old);
    sl_free(s->id);
    sl_free(s);
}

const char *sl_opstate_id(const sl_opstate *s) { return s->id; }

sl_status sl_opstate_restore(sl_opstate *s, int64_t version, sl_opstate_load_fn fn, void *ctx,
                             int64_t *out_n, sl_error *err)
{
    if (out_n) *out_n = 0;
    sl_ckpt_state_chain chain = {0};
    sl_status st = SL_OK;
    if (version >= 0) st = sl_ckpt_log_load_state(s->log, s->id, version, &chain, err);
    if (!st) st = sl_kv_restore(s->kv, &chain, err);
    sl_ckpt_state_chain_fini(&chain);
    if (st) {
        sl_err_prefix(err, "restoring the state of operator %s", s->id);
        return st;
    }
    sl_kv_iter *it;
    if ((st = sl_kv_iter_new(s->kv, &it, err))) return st;
    const void *k, *v;
    size_t kl, vl;
    int64_t n = 0;
    while (sl_kv_iter_next(it, &k, &kl, &v, &vl)) {
        if ((st = fn(ctx, k, kl, v, vl, err))) {
            sl_err_prefix(err, "restoring the state of operator %s", s->id);
            break;
        }
        n++;
    }
    sl_kv_iter_free(it);
    if (out_n) *out_n = n;
    s->stats.records = sl_kv_count(s->kv);
    return st;
}

sl_status sl_opstate_begin(sl_opstate *s, int64_t version, sl_error *err)
{
    sl_kv_hash_clear(s->seen);
    s->stats.put = s->stats.changed = s->stats.deleted = 0;
    sl_status st = sl_kv_begin(s->kv, version, err);
    if (st) return st;
    s->open = true;
    return SL_OK;
}

sl_status sl_opstate_put(sl_opstate *s, const void *key, size_t key_len, const void *val,
                         size_t val_len, sl_error *err)
{
    if (!s->open) return sl_err(err, SL_ERR_INTERNAL, "state %s: put outside a save", s->id);
    if (sl_kv_hash_get(s->seen, key, key_len, NULL))
        return sl_err(err, SL_ERR_INTERNAL, "state %s: a key was saved twice in one version", s->id);
    if (sl_kv_hash_put(s->seen, key, key_len, NULL, 0)) return sl_err_oom(err);
    s->stats.put++;
    bool found;
    sl_status st = sl_kv_get(s->kv, key, key_len, &s->old, &found, err);
    if (st) return st;
    if (found && s->old.len == val_len && (val_len == 0 || memcmp(s->old.data, val, val_len) == 0))
        return SL_OK;
    s->stats.changed++;
    return sl_kv_put(s->kv, key, key_len, val, val_len, err);
}

sl_status sl_opstate_commit(sl_opstate *s, sl_error *err)
{
    if (!s->open) return sl_err(err, SL_ERR_INTERNAL, "state %s: commit outside a save", s->id);
    /* Keys stored but not put this time are gone from the operator: collect
     * them first (the store must not change under an iterator). */
    sl_buf gone;
    sl_buf_init(&gone);
    sl_status st = SL_OK;
    int64_t n_gone = 0;
    if (sl_kv_count(s->kv) > sl_kv_hash_count(s->seen)) {
        sl_kv_iter *it;
        if ((st = sl_kv_iter_new(s->kv, &it, err))) goto out;
        const void *k, *v;
        size_t kl, vl;
        while (sl_kv_iter_next(it, &k, &kl, &v, &vl)) {
            if (sl_kv_hash_get(s->seen, k, kl, NULL)) continue;
            uint64_t len = kl;
            sl_buf_append(&gone, &len, sizeof len);
            sl_buf_append(&gone, k, kl);
            n_gone++;
        }
        sl_kv_iter_free(it);
        if (gone.oom) { st = sl_err_oom(err); goto out; }
    }
    for (size_t off = 0; off < gone.len;) {
        uint64_t len;
        memcpy(&len, gone.data + off, sizeof len);
        off += sizeof len;
        if ((st = sl_kv_delete(s->kv, gone.data + off, (size_t)len, err))) goto out;
        off += (size_t)len;
    }
    s->stats.deleted = n_gone;
    st = sl_kv_checkpoint(s->kv, s->log, s->id, err);
    if (!st) s->open = false;
    s->stats.records = sl_kv_count(s->kv);
out:
    sl_buf_fini(&gone);
    sl_kv_hash_clear(s->seen);
    if (st) sl_err_prefix(err, "saving the state of operator %s", s->id);
    return st;
}

void sl_opstate_stats_get(const sl_opstate *s, sl_opstate_stats *out) { *out = s->stats; }
