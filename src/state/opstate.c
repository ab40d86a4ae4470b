/* An operator's checkpointed state (opstate.h).  Two ways to turn "the
 * operator writes every record" into a delta of what changed:
 *
 *   memory backend (the default, the fast path): a map from each key to a
 *   64-bit hash of its last saved value and the save it was last seen in.
 *   A record whose value hash is unchanged costs one hash and one lookup;
 *   changed records go straight into the delta's bytes, keys not seen in a
 *   save become deletions, and a snapshot is written from the same pass.
 *   The values themselves are not kept twice: the operator has them, and
 *   the checkpoint files are the durable copy.  (Two different values with
 *   the same 64-bit hash would be missed: odds of 2^-64 per change.)
 *
 *   RocksDB backend: the same map finds what changed; the changed records
 *   and deletions go into the kv store (kv.h), which writes its deltas and
 *   directory snapshots (RocksDB checkpoints).
 *
 *   RocksDB working state (operators with sl_op_ckpt_ops.attach): the
 *   operator reads and writes the store itself during the batch
 *   (ostore.h); a save only writes the version (delta or snapshot).
 *
 * All write the kv byte formats (kv.c), so either restores into either; a
 * working-state checkpoint's keys carry an event-time prefix that a
 * restore into memory strips (and then writes its next version whole). */
#include "state/opstate.h"
#include "state/kv_int.h"
#include "state/ostore.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/xxhash64.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A key's entry in the fast path's map. */
typedef struct fp_ent {
    uint64_t vhash;     /* hash of the value last saved */
    int64_t epoch;      /* the save that last put the key */
} fp_ent;

struct sl_opstate {
    sl_ckpt_log *log;
    char *id;
    sl_kv *kv;          /* RocksDB path; NULL on the fast path */
    sl_kv_hash *fp;     /* fast path: key -> fp_ent */
    int64_t epoch, version, last_version;
    bool snap;          /* fast path: this save is a snapshot */
    sl_buf body;        /* fast path: the records of this save's file */
    int64_t n_body;
    bool open;          /* between begin and commit */
    bool force_snap;    /* fast path: the chain on disk is in the ordered layout */
    sl_ostore *work;    /* RocksDB working state, or NULL */
    sl_opstate_stats stats;
};

/* A state file's header: magic (4), format (1), two varints (10 each). */
#define HEADER_ROOM 25

sl_status sl_opstate_open(sl_ckpt_log *log, const char *op_id, const sl_options *opts,
                          sl_opstate **out, sl_error *err)
{
    *out = NULL;
    sl_opstate *s = sl_calloc(1, sizeof *s);
    if (!s) return sl_err_oom(err);
    s->log = log;
    s->id = sl_strdup(op_id);
    sl_buf path;
    sl_buf_init(&path);
    /* RocksDB's scratch directory sits inside the checkpoint so that its
     * snapshots can be hard links (same file system); the leading dot keeps
     * it out of the log's scans. */
    sl_buf_printf(&path, "%s/.kv-%s", sl_ckpt_log_dir(log), op_id);
    if (!s->id || path.oom) {
        sl_buf_fini(&path);
        sl_opstate_free(s);
        return sl_err_oom(err);
    }
    s->last_version = -1;
    sl_buf_init(&s->body);
    const char *be = opts ? sl_options_get(opts, "state.backend") : NULL;
    sl_status st = SL_OK;
    if (!(s->fp = sl_kv_hash_new())) st = sl_err_oom(err);
    else if (be && strcasecmp(be, "memory") && strcasecmp(be, "hdfs"))
        st = sl_kv_open_options(opts, path.data, &s->kv, err);
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
    sl_ostore_free(s->work);
    sl_kv_free(s->kv);
    if (s->fp) sl_kv_hash_free(s->fp);
    sl_buf_fini(&s->body);
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
    /* The fast path rebuilds through a memory store it drops afterwards. */
    sl_kv *kv = s->kv;
    sl_kv_hash_clear(s->fp);
    if (!kv) {
        sl_kv_opts mo = {.backend = "memory"};
        if ((st = sl_kv_open(&mo, &kv, err))) return st;
    }
    if (version >= 0) st = sl_ckpt_log_load_state(s->log, s->id, version, &chain, err);
    if (!st) st = sl_kv_restore(kv, &chain, err);
    s->last_version = chain.n ? chain.version : -1;
    sl_ckpt_state_chain_fini(&chain);
    if (st) {
        if (kv != s->kv) sl_kv_free(kv);
        sl_err_prefix(err, "restoring the state of operator %s", s->id);
        return st;
    }
    sl_kv_iter *it;
    if ((st = sl_kv_iter_new(kv, &it, err))) {
        if (kv != s->kv) sl_kv_free(kv);
        return st;
    }
    /* A working-state checkpoint (ostore.h) read by a plain store: its keys
     * lose their event-time prefix, the marker is skipped, and the next
     * version is written whole so no plain delta lands on ordered files. */
    size_t strip = 0;
    if (kv != s->kv) {
        static const char marker[SL_OSTORE_ORDER_LEN];
        sl_buf mv;
        sl_buf_init(&mv);
        bool found = false;
        st = sl_kv_get(kv, marker, sizeof marker, &mv, &found, err);
        sl_buf_fini(&mv);
        if (st) { sl_kv_iter_free(it); sl_kv_free(kv); return st; }
        if (found) strip = SL_OSTORE_ORDER_LEN;
        s->force_snap = found;
    }
    const void *k, *v;
    size_t kl, vl;
    int64_t n = 0;
    while (sl_kv_iter_next(it, &k, &kl, &v, &vl)) {
        if (strip) {
            if (kl <= strip || sl_ostore_key_is_index(k, kl)) continue;
            k = (const char *)k + strip;
            kl -= strip;
        }
        if ((st = fn(ctx, k, kl, v, vl, err))) {
            sl_err_prefix(err, "restoring the state of operator %s", s->id);
            break;
        }
        {
            fp_ent e = {sl_xxh64(v, vl, 0), s->epoch};
            if (sl_kv_hash_put(s->fp, k, kl, &e, sizeof e)) { st = sl_err_oom(err); break; }
        }
        n++;
    }
    sl_kv_iter_free(it);
    if (out_n) *out_n = n;
    s->stats.records = strip ? n : sl_kv_count(kv);
    if (kv != s->kv) sl_kv_free(kv);
    return st;
}

bool sl_opstate_can_work(const sl_opstate *s) { return s->kv != NULL; }

sl_ostore *sl_opstate_work(const sl_opstate *s) { return s->work; }

bool sl_opstate_work_snapshot_due(const sl_opstate *s)
{
    return s->work && s->open && sl_ostore_snapshot_due(s->work, s->log, s->id, s->version);
}

sl_status sl_opstate_restore_working(sl_opstate *s, int64_t version, int keyed, sl_error *err)
{
    if (!s->kv) return sl_err(err, SL_ERR_INTERNAL, "state %s: working state needs rocksdb", s->id);
    sl_status st = SL_OK;
    if (!s->work && (st = sl_ostore_open(s->kv, keyed, &s->work, err))) return st;
    sl_ckpt_state_chain chain = {0};
    if (version >= 0) st = sl_ckpt_log_load_state(s->log, s->id, version, &chain, err);
    if (!st) st = sl_ostore_restore(s->work, &chain, err);
    s->last_version = chain.n ? chain.version : -1;
    sl_ckpt_state_chain_fini(&chain);
    if (st) sl_err_prefix(err, "restoring the state of operator %s", s->id);
    s->stats.records = sl_ostore_count(s->work);
    return st;
}

sl_status sl_opstate_begin(sl_opstate *s, int64_t version, sl_error *err)
{
    s->stats.put = s->stats.changed = s->stats.deleted = 0;
    if (version <= s->last_version)
        return sl_err(err, SL_ERR_INTERNAL, "state %s: version %lld does not follow %lld", s->id,
                      (long long)version, (long long)s->last_version);
    if (s->work) {
        s->version = version;
        s->open = true;
        return SL_OK;
    }
    if (s->kv) {
        sl_status st = sl_kv_begin(s->kv, version, err);
        if (st) return st;
    }
    s->epoch++;
    s->version = version;
    s->snap = !s->kv && (s->force_snap || sl_ckpt_log_state_wants_snapshot(s->log, s->id, version));
    sl_buf_reset(&s->body);
    /* Room for the file header, written in front of the records at commit
     * so the file goes out from this one buffer, never copied. */
    static const char room[HEADER_ROOM];
    sl_buf_append(&s->body, room, sizeof room);
    s->n_body = 0;
    s->open = true;
    return s->body.oom ? sl_err_oom(err) : SL_OK;
}

sl_status sl_opstate_put(sl_opstate *s, const void *key, size_t key_len, const void *val,
                         size_t val_len, sl_error *err)
{
    if (!s->open) return sl_err(err, SL_ERR_INTERNAL, "state %s: put outside a save", s->id);
    if (s->work) return sl_err(err, SL_ERR_INTERNAL, "state %s: put on a working state", s->id);
    uint64_t vh = sl_xxh64(val, val_len, 0);
    size_t el;
    /* updated in place; the entry follows the key, so unaligned: memcpy */
    void *ep = (void *)sl_kv_hash_get(s->fp, key, key_len, &el);
    bool changed = true;
    if (ep) {
        fp_ent e;
        memcpy(&e, ep, sizeof e);
        if (e.epoch == s->epoch)
            return sl_err(err, SL_ERR_INTERNAL, "state %s: a key was saved twice in one version", s->id);
        changed = e.vhash != vh;
        e.vhash = vh;
        e.epoch = s->epoch;
        memcpy(ep, &e, sizeof e);
    } else {
        fp_ent ne = {vh, s->epoch};
        if (sl_kv_hash_put(s->fp, key, key_len, &ne, sizeof ne)) return sl_err_oom(err);
    }
    s->stats.put++;
    s->stats.changed += changed;
    if (s->kv) return changed ? sl_kv_put(s->kv, key, key_len, val, val_len, err) : SL_OK;
    if (!s->snap && !changed) return SL_OK;
    if (!s->snap) sl_buf_putc(&s->body, 1);
    sl_buf_put_varint(&s->body, key_len);
    sl_buf_append(&s->body, key, key_len);
    sl_buf_put_varint(&s->body, val_len);
    sl_buf_append(&s->body, val, val_len);
    s->n_body++;
    return s->body.oom ? sl_err_oom(err) : SL_OK;
}

bool sl_opstate_keep(sl_opstate *s, const void *key, size_t key_len)
{
    if (!s->open || s->snap || s->work) return false;
    size_t el;
    void *ep = (void *)sl_kv_hash_get(s->fp, key, key_len, &el);
    if (!ep) return false;
    fp_ent e;
    memcpy(&e, ep, sizeof e);
    if (e.epoch == s->epoch) return false; /* twice: let put report it */
    e.epoch = s->epoch;
    memcpy(ep, &e, sizeof e);
    s->stats.put++;
    return true;
}

/* Keys not put in this save are deletions.  Memory backend: the file is
 * the kv format's header then the records built during the puts; RocksDB:
 * the store has the changes and writes its own delta or snapshot. */
sl_status sl_opstate_commit(sl_opstate *s, sl_error *err)
{
    if (!s->open) return sl_err(err, SL_ERR_INTERNAL, "state %s: commit outside a save", s->id);
    if (s->work) {
        sl_status st = sl_ostore_checkpoint(s->work, s->log, s->id, s->version, err);
        if (st) {
            sl_err_prefix(err, "saving the state of operator %s", s->id);
            return st;
        }
        s->open = false;
        s->last_version = s->version;
        s->stats.records = sl_ostore_count(s->work);
        return SL_OK;
    }
    sl_buf gone, file;
    sl_buf_init(&gone);
    sl_buf_init(&file);
    sl_status st = SL_OK;
    int64_t n_gone = 0;
    if (sl_kv_hash_count(s->fp) > s->stats.put) {
        sl_kv_hash_iter it;
        sl_kv_hash_iter_init(&it, s->fp);
        const void *k, *v;
        size_t kl, vl;
        while (sl_kv_hash_iter_next(&it, &k, &kl, &v, &vl)) {
            fp_ent e;
            memcpy(&e, v, sizeof e);
            if (e.epoch == s->epoch) continue;
            uint64_t len = kl;
            sl_buf_append(&gone, &len, sizeof len);
            sl_buf_append(&gone, k, kl);
            n_gone++;
        }
    }
    if (gone.oom) st = sl_err_oom(err);
    for (size_t off = 0; off < gone.len && !st;) {
        uint64_t len;
        memcpy(&len, gone.data + off, sizeof len);
        off += sizeof len;
        if (s->kv) {
            st = sl_kv_delete(s->kv, gone.data + off, (size_t)len, err);
        } else if (!s->snap) {
            sl_buf_putc(&s->body, 2);
            sl_buf_put_varint(&s->body, len);
            sl_buf_append(&s->body, gone.data + off, (size_t)len);
            s->n_body++;
        }
        if (!st) sl_kv_hash_del(s->fp, gone.data + off, (size_t)len);
        off += (size_t)len;
    }
    s->stats.deleted = n_gone;
    s->stats.records = sl_kv_hash_count(s->fp);
    if (!st && s->kv) {
        st = sl_kv_checkpoint(s->kv, s->log, s->id, err);
    } else if (!st) {
        sl_buf_append(&file, s->snap ? "SKVS" : "SKVD", 4);
        sl_buf_putc(&file, 1);
        sl_buf_put_varint(&file, (uint64_t)(s->version + 1));
        sl_buf_put_varint(&file, (uint64_t)s->n_body);
        if (file.oom || s->body.oom) {
            st = sl_err_oom(err);
        } else {
            char *at = s->body.data + HEADER_ROOM - file.len;
            memcpy(at, file.data, file.len);
            st = sl_ckpt_log_write_state(s->log, s->id, s->version, s->snap, at,
                                         s->body.len - (HEADER_ROOM - file.len), err);
        }
    }
    sl_buf_fini(&gone);
    sl_buf_fini(&file);
    if (!st) {
        s->open = false;
        s->last_version = s->version;
        if (s->snap) s->force_snap = false;
    } else {
        sl_err_prefix(err, "saving the state of operator %s", s->id);
    }
    return st;
}

void sl_opstate_stats_get(const sl_opstate *s, sl_opstate_stats *out) { *out = s->stats; }
