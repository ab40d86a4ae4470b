/* Keyed state store: the memory of stateful operators (aggregation groups,
 * join buffers, dedup sets) between micro-batches.
 *
 * Keys and values are byte strings; what they mean is the operator's
 * business.  Changes are grouped into versions (one per batch): sl_kv_commit
 * closes a version and yields its delta — the keys it put or deleted — so the
 * checkpoint can store a full snapshot every N versions and deltas between
 * (sl_kv_checkpoint), and sl_kv_restore rebuilds the store from the chain
 * sl_ckpt_log_load_state returns.
 *
 * Two backends behave the same through this interface: an in-memory hash
 * table (the default) and RocksDB ('state.backend' = 'rocksdb') for state
 * larger than memory, kept in a scratch working directory whose durable copy
 * is the checkpoint.  Snapshot and delta bytes are backend-independent, so a
 * checkpoint written with one backend restores into the other.
 *
 * Not thread-safe: one operator instance owns one store. */
#ifndef SL_STATE_KV_H
#define SL_STATE_KV_H

#include "sluice.h"
#include "core/buf.h"
#include "core/options.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_kv sl_kv;
typedef struct sl_kv_iter sl_kv_iter;
typedef struct sl_ckpt_log sl_ckpt_log;
typedef struct sl_ckpt_state_chain sl_ckpt_state_chain;

typedef struct sl_kv_opts {
    const char *backend; /* "memory" (also NULL) or "rocksdb" */
    const char *path;    /* rocksdb: a scratch directory, wiped at open */
} sl_kv_opts;

/* Opens an empty store.  Unknown backend: SL_ERR_CONFIG naming it.  A
 * RocksDB failure: SL_ERR_STATE with RocksDB's message. */
sl_status sl_kv_open(const sl_kv_opts *opts, sl_kv **out_kv, sl_error *err);
/* As sl_kv_open with the backend from the 'state.backend' option of o (may
 * be NULL) and `path` as RocksDB's scratch directory. */
sl_status sl_kv_open_options(const sl_options *o, const char *path, sl_kv **out_kv,
                             sl_error *err);
void sl_kv_free(sl_kv *kv);
const char *sl_kv_backend_name(const sl_kv *kv);

/* Copies key and value. */
sl_status sl_kv_put(sl_kv *kv, const void *key, size_t key_len, const void *val,
                    size_t val_len, sl_error *err);
/* Resets *out_val and copies the value into it; *out_found says whether the
 * key exists (out_val untouched but reset when not). */
sl_status sl_kv_get(sl_kv *kv, const void *key, size_t key_len, sl_buf *out_val,
                    bool *out_found, sl_error *err);
/* Deleting an absent key is not an error. */
sl_status sl_kv_delete(sl_kv *kv, const void *key, size_t key_len, sl_error *err);
int64_t sl_kv_count(const sl_kv *kv);

/* Visits every pair once, in an order that depends on the backend (key
 * order for RocksDB, none for memory).  The store must not change while an
 * iterator is open.  Pointers from next are borrowed until the next call. */
sl_status sl_kv_iter_new(sl_kv *kv, sl_kv_iter **out_it, sl_error *err);
bool sl_kv_iter_next(sl_kv_iter *it, const void **key, size_t *key_len,
                     const void **val, size_t *val_len);
void sl_kv_iter_free(sl_kv_iter *it);

/* ---- versions, snapshots, deltas ---------------------------------------- */

/* Starts version `version` (> the last committed one). */
sl_status sl_kv_begin(sl_kv *kv, int64_t version, sl_error *err);
/* Ends the open version.  If out_delta is not NULL it receives the delta
 * (every key put or deleted since the previous commit, with its final
 * value).  Changes made before the first begin belong to the first version. */
sl_status sl_kv_commit(sl_kv *kv, sl_buf *out_delta, sl_error *err);
/* Last committed version, -1 before the first commit. */
int64_t sl_kv_version(const sl_kv *kv);
/* Appends the whole content, stamped with the last committed version. */
sl_status sl_kv_snapshot(sl_kv *kv, sl_buf *out, sl_error *err);
/* Replaces the content with a snapshot / applies a delta on top.  Malformed
 * bytes: SL_ERR_CHECKPOINT, with the store unchanged. */
sl_status sl_kv_load(sl_kv *kv, const void *data, size_t len, sl_error *err);
sl_status sl_kv_apply_delta(sl_kv *kv, const void *data, size_t len, sl_error *err);

/* Driver glue: commits the open version and writes it to the checkpoint as
 * state/<op_id>/<version>, a snapshot when the log asks for one, else the
 * delta.  RocksDB snapshots are directory snapshots (a RocksDB checkpoint,
 * hard-linked SST files), the memory backend's are bytes; either restores
 * into either backend. */
sl_status sl_kv_checkpoint(sl_kv *kv, sl_ckpt_log *log, const char *op_id, sl_error *err);
/* As sl_kv_checkpoint, always a snapshot. */
sl_status sl_kv_checkpoint_snapshot(sl_kv *kv, sl_ckpt_log *log, const char *op_id, sl_error *err);
/* Replaces the content with the state the chain rebuilds (empty chain:
 * empty store) and sets the version to the chain's. */
sl_status sl_kv_restore(sl_kv *kv, const sl_ckpt_state_chain *chain, sl_error *err);

#endif
