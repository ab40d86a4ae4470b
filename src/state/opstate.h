/* The checkpointed state of one stateful operator, as the driver sees it:
 * the bridge between an operator's own in-memory structures (hash tables of
 * groups, buffers of join rows) and the versioned key/value store whose
 * snapshots and deltas go to <checkpoint>/state/<op_id>/.
 *
 * At the end of every batch the operator writes its whole state as
 * key/value records (sl_opstate_put, through sl_op_ops.save); the store
 * keeps the previous batch's records and only records that changed — a new
 * key, a different value, or a key not written this time (deleted) — go into
 * the version, so a delta holds what the batch changed even though the
 * operator never tracks its changes.  A snapshot is written every
 * 'state.snapshotInterval' versions (see sl_ckpt_log_state_wants_snapshot).
 * The cost per batch is one pass over the state plus a lookup per record;
 * the bytes written are proportional to what changed.
 *
 * On restart, sl_opstate_restore rebuilds the store from the checkpoint and
 * hands every record back to the operator (sl_op_ops.load).
 *
 * With 'state.backend' = 'rocksdb' the records live in RocksDB (scratch
 * directory <checkpoint>/.kv-<op_id>, wiped at open), and snapshots are
 * RocksDB checkpoints; operators that support it keep their working state
 * there too (below), the others a working copy in memory. */
#ifndef SL_STATE_OPSTATE_H
#define SL_STATE_OPSTATE_H

#include "sluice.h"
#include "core/options.h"
#include "state/ckpt_log.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sl_opstate sl_opstate;

/* Opens the state of operator op_id in the checkpoint `log` (borrowed; must
 * outlive the state).  The backend comes from 'state.backend' in opts (may
 * be NULL: memory). */
sl_status sl_opstate_open(sl_ckpt_log *log, const char *op_id, const sl_options *opts,
                          sl_opstate **out, sl_error *err);
void sl_opstate_free(sl_opstate *s);
const char *sl_opstate_id(const sl_opstate *s);

/* Receives one restored record (borrowed for the call). */
typedef sl_status (*sl_opstate_load_fn)(void *ctx, const void *key, size_t key_len,
                                        const void *val, size_t val_len, sl_error *err);

/* Rebuilds the store with the operator's state after batch `version` (the
 * last committed batch; < 0: nothing to restore) and calls fn for every
 * record.  Returns the number of records in *out_n (may be NULL). */
sl_status sl_opstate_restore(sl_opstate *s, int64_t version, sl_opstate_load_fn fn, void *ctx,
                             int64_t *out_n, sl_error *err);

/* One save: begin(batch) → put every record of the state → commit, which
 * deletes the keys not put this time and writes state/<op_id>/<batch>.
 * Keys must be unique within one save. */
sl_status sl_opstate_begin(sl_opstate *s, int64_t version, sl_error *err);
sl_status sl_opstate_put(sl_opstate *s, const void *key, size_t key_len, const void *val,
                         size_t val_len, sl_error *err);
sl_status sl_opstate_commit(sl_opstate *s, sl_error *err);
/* A shortcut for operators that know a record has not changed since the
 * last save: marks the key as saved again without its value.  Returns false
 * (and does nothing) when the key is unknown or this save needs every value
 * (a snapshot): then put the record. */
bool sl_opstate_keep(sl_opstate *s, const void *key, size_t key_len);

/* ---- RocksDB as the working state ----------------------------------------
 * With 'state.backend' = 'rocksdb', an operator that can (its
 * sl_op_ckpt_ops.attach) keeps its state in the store instead of memory:
 * it calls sl_opstate_restore_working instead of the driver calling
 * sl_opstate_restore (no record is handed to the operator: it reads them
 * from the store when it needs them), the operator reads and writes the
 * store through sl_opstate_work during the batch, and its save writes no
 * records: begin/commit write the version (ostore.h). */
struct sl_ostore;
/* Whether the backend can hold a working state (rocksdb). */
bool sl_opstate_can_work(const sl_opstate *s);
/* keyed: SL_OSTORE_KEYED*, how records are also found by key (sl_ostore_open) */
sl_status sl_opstate_restore_working(sl_opstate *s, int64_t version, int keyed, sl_error *err);
/* The working store, NULL unless sl_opstate_restore_working succeeded. */
struct sl_ostore *sl_opstate_work(const sl_opstate *s);
/* Between begin and commit: whether this version is written as a snapshot
 * (then every record the operator only logged must be in the store). */
bool sl_opstate_work_snapshot_due(const sl_opstate *s);

/* Records in the store; and of the last save: records put, changed
 * (new or different), deleted. */
typedef struct sl_opstate_stats {
    int64_t records, put, changed, deleted;
} sl_opstate_stats;
void sl_opstate_stats_get(const sl_opstate *s, sl_opstate_stats *out);

#endif
