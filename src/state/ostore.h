/* An operator's working state in RocksDB ('state.backend' = 'rocksdb'):
 * the store an operator reads and writes during a batch instead of keeping
 * every record in memory, so that state can be larger than memory.  The
 * operator keeps a bounded cache of its own (docs/CHECKPOINTS.md, "RocksDB
 * as the working state").
 *
 * Records are the operator's checkpoint records (key, value) whose value
 * starts with an 8-byte little-endian event time, its *order* (a window's
 * end, an expiry).  In RocksDB a record's key is that order, big-endian
 * with the sign bit flipped so that bytes sort as numbers, then the
 * record's key: records sort by event time, and the watermark's eviction
 * reads only the records it passes (sl_ostore_scan), never the whole state.
 * Record keys must not be empty: the one key of exactly 8 zero bytes marks
 * a store in this layout (restores of checkpoints written in the plain
 * layout, by the memory backend or an older sluice, convert them).
 *
 * An operator that must find a record by its key alone (deduplication: a
 * duplicate does not know the first row's expiry) opens the store `keyed`:
 * every record is then also stored under the order SL_OSTORE_INDEX (below
 * every event time) + its key, with the same value.  A record's order must
 * never change.
 *
 * Changes go straight into the database (its write-ahead log is off: the
 * checkpoint is the durable copy) and into the delta of the open version;
 * sl_ostore_checkpoint writes that delta, or every state.snapshotInterval
 * versions a RocksDB checkpoint of the database (hard-linked SST files).
 * Either restores into either backend (opstate.c strips the order when a
 * memory-backend operator reads it). */
#ifndef SL_STATE_OSTORE_H
#define SL_STATE_OSTORE_H

#include "sluice.h"
#include "core/buf.h"
#include "state/ckpt_log.h"
#include "state/kv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_ostore sl_ostore;

/* The length of the order prefix of a stored key, and the marker key. */
#define SL_OSTORE_ORDER_LEN 8

#define SL_OSTORE_INDEX (INT64_MIN + 1)

/* keyed: SL_OSTORE_UNKEYED (0, false), SL_OSTORE_KEYED (1, true: the
 * index key is the record key), SL_OSTORE_KEYED_AFTER8 (the record key
 * without its first 8 bytes, then those 8: session windows, whose record
 * key is the session's start and then the group key, find a group key's
 * sessions by prefix). */
enum { SL_OSTORE_UNKEYED = 0, SL_OSTORE_KEYED = 1, SL_OSTORE_KEYED_AFTER8 = 2 };
/* Wraps kv (a RocksDB store, borrowed: it must outlive the ostore). */
sl_status sl_ostore_open(sl_kv *kv, int keyed, sl_ostore **out, sl_error *err);
/* Whether a stored key belongs to the by-key index (plain restores skip it). */
bool sl_ostore_key_is_index(const void *k, size_t kl);
void sl_ostore_free(sl_ostore *o);

/* Rebuilds the database from the chain (empty: an empty store), converting
 * plain-layout records. */
sl_status sl_ostore_restore(sl_ostore *o, const sl_ckpt_state_chain *chain, sl_error *err);

/* The record (order, key); *found says whether it exists.  val is reset. */
sl_status sl_ostore_get(sl_ostore *o, int64_t order, const void *key, size_t kl, sl_buf *val,
                        bool *found, sl_error *err);
/* SL_OSTORE_KEYED stores: the record with this key, whatever its order. */
sl_status sl_ostore_get_by_key(sl_ostore *o, const void *key, size_t kl, sl_buf *val, bool *found,
                               sl_error *err);
/* Writes a record whose value starts with its order (vl >= 8).  is_new:
 * the caller knows it is not in the store yet (keeps the count exact). */
sl_status sl_ostore_put(sl_ostore *o, const void *key, size_t kl, const void *val, size_t vl,
                        bool is_new, sl_error *err);
/* Removes the record (order, key), which must exist. */
sl_status sl_ostore_del(sl_ostore *o, int64_t order, const void *key, size_t kl, sl_error *err);

/* Write-back: an operator that caches records may log a change in the
 * version's delta now (log_put, log_del: the database does not change) and
 * write the record into the database later (store_put), when it leaves
 * the cache or before a snapshot (sl_opstate_work_snapshot_due), so that a
 * record updated in every batch costs no database write while cached.
 * Records not cached must be in the database as they are. */
sl_status sl_ostore_log_put(sl_ostore *o, const void *key, size_t kl, const void *val, size_t vl,
                            sl_error *err);
sl_status sl_ostore_log_del(sl_ostore *o, int64_t order, const void *key, size_t kl, sl_error *err);
sl_status sl_ostore_store_put(sl_ostore *o, const void *key, size_t kl, const void *val, size_t vl,
                              bool is_new, sl_error *err);
/* Removes the record (order, key), which must be in the database, from
 * the database only (a record whose key changed: session windows). */
sl_status sl_ostore_store_del(sl_ostore *o, int64_t order, const void *key, size_t kl, sl_error *err);
/* Makes the next sl_ostore_checkpoint write a snapshot (an operator that
 * filled an empty store from a checkpoint of another layout). */
void sl_ostore_force_snapshot(sl_ostore *o);
/* Whether sl_ostore_checkpoint of this version will write a snapshot. */
bool sl_ostore_snapshot_due(const sl_ostore *o, sl_ckpt_log *log, const char *op_id, int64_t version);
/* Writes the changes made since the last call into the database (puts and
 * deletes are collected in a write batch until then). */
sl_status sl_ostore_flush(sl_ostore *o, sl_error *err);

/* Calls fn for every record with order_min <= order <= order_max, in order
 * (key order within one order).  The store must not change during the scan
 * (changes pending in the write batch are fine: they are not seen).  An
 * operator that deletes what each scan passes should start the next at
 * the last one's order_max: the records deleted stay behind as tombstones
 * until RocksDB compacts them, and walking over them costs. */
typedef sl_status (*sl_ostore_fn)(void *ctx, int64_t order, const void *key, size_t kl,
                                  const void *val, size_t vl, sl_error *err);
sl_status sl_ostore_scan(sl_ostore *o, int64_t order_min, int64_t order_max, sl_ostore_fn fn,
                         void *ctx, sl_error *err);

/* keyed stores: calls fn for every record whose index key starts with the
 * prefix (key order; order is the record's own, read from its value; the
 * key passed to fn is the index key, rotated for SL_OSTORE_KEYED_AFTER8).
 * The stream-stream join finds a key's kept rows this way. */
sl_status sl_ostore_scan_prefix(sl_ostore *o, const void *prefix, size_t pl, sl_ostore_fn fn,
                                void *ctx, sl_error *err);

/* Records in the store, pending changes included. */
int64_t sl_ostore_count(const sl_ostore *o);

/* Flushes, then writes version `version` of operator op_id: the delta of
 * the changes since the last checkpoint, or a directory snapshot when the
 * log wants one. */
sl_status sl_ostore_checkpoint(sl_ostore *o, sl_ckpt_log *log, const char *op_id,
                               int64_t version, sl_error *err);

/* The key layouts: appends the stored key of (order, key) to out. */
void sl_ostore_key(sl_buf *out, int64_t order, const void *key, size_t kl);

#endif
