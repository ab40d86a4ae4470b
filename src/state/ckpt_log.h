/* The checkpoint directory of one streaming query: what the driver writes at
 * each step of a micro-batch so that a restarted query resumes exactly where
 * the last one stopped.
 *
 *     <dir>/metadata                  query id (UUID), plan fingerprint, plan description
 *     <dir>/offsets/<batch>           end offsets per source, watermark, timestamp —
 *                                     written BEFORE the batch runs
 *     <dir>/commits/<batch>           written AFTER every sink committed the batch
 *     <dir>/state/<op>/<v>.snapshot   an operator's whole state after batch v
 *     <dir>/state/<op>/<v>.delta      the changes batch v made to it
 *     <dir>/state/<op>/<v>.snapdir/   a directory snapshot (RocksDB checkpoint)
 *     <dir>/.lock                     held (flock) while a query runs here
 *
 * Every file is an atomic, checksummed sl_ckpt_file.  Offsets and commits are
 * JSON payloads in the manner of Spark's offset and commit logs; state files
 * are opaque bytes produced by the operators.  See docs/CHECKPOINTS.md.
 *
 * The driver's protocol per batch n: sl_ckpt_log_write_offsets(n) → run →
 * sinks commit → sl_ckpt_log_write_state(op, n) for each stateful operator →
 * sl_ckpt_log_write_commit(n) → sl_ckpt_log_purge(n).  On start,
 * sl_ckpt_log_recover says which batch to run next and whether it is the
 * re-run of a batch whose offsets were logged but never committed.
 *
 * One writer at a time: sl_ckpt_log_open takes an exclusive lock and fails
 * if another process holds it.  Not thread-safe; the driver serialises. */
#ifndef SL_STATE_CKPT_LOG_H
#define SL_STATE_CKPT_LOG_H

#include "sluice.h"
#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_ckpt_log sl_ckpt_log;

typedef struct sl_ckpt_log_opts {
    /* The plan fingerprint the driver computes over the parts of the query
     * that must not change across restarts (required, any text without NUL). */
    const char *fingerprint;
    /* A small JSON value describing those parts, e.g.
     *   {"sources":["kafka:bureau_data"],
     *    "operators":[{"id":"agg0","type":"aggregate","keys":["ID","window"]}]}
     * stored in metadata and compared on restart so the refusal can name
     * what differs.  May be NULL (then only the fingerprint is compared). */
    const char *plan_json;
    int64_t min_batches_to_retain; /* <= 0: 100, as Spark */
    int64_t snapshot_interval;     /* state snapshot every N versions; <= 0: 10 */
} sl_ckpt_log_opts;

/* Opens the checkpoint directory `dir`, creating it (and its metadata with a
 * new random query id) when absent or empty.  An existing checkpoint whose
 * fingerprint or plan description differs from opts is refused with
 * SL_ERR_CHECKPOINT naming the difference; a corrupt metadata file likewise.
 * An unwritable location is SL_ERR_IO.  *out_log is the caller's
 * (sl_ckpt_log_free). */
sl_status sl_ckpt_log_open(const char *dir, const sl_ckpt_log_opts *opts,
                           sl_ckpt_log **out_log, sl_error *err);
void sl_ckpt_log_free(sl_ckpt_log *log);

/* Borrowed, valid while log lives. */
const char *sl_ckpt_log_query_id(const sl_ckpt_log *log);
const char *sl_ckpt_log_dir(const sl_ckpt_log *log);
/* True when this open created the checkpoint (first run of the query). */
bool sl_ckpt_log_is_new(const sl_ckpt_log *log);

/* ---- offsets and commits ------------------------------------------------ */

typedef struct sl_ckpt_source_offset {
    char *name; /* source name as the query knows it */
    char *json; /* the connector's end offset, a JSON value (opaque here) */
} sl_ckpt_source_offset;

typedef struct sl_ckpt_offsets {
    int64_t batch_id;
    int64_t watermark_us; /* event-time watermark the batch runs with */
    int64_t timestamp_us; /* processing time of the batch */
    int n_sources, cap_sources;
    sl_ckpt_source_offset *sources;
} sl_ckpt_offsets;

void sl_ckpt_offsets_init(sl_ckpt_offsets *off);
void sl_ckpt_offsets_fini(sl_ckpt_offsets *off);
/* Appends a source's offset (both strings copied).  0, or -1 on OOM. */
int sl_ckpt_offsets_add(sl_ckpt_offsets *off, const char *name, const char *json);
/* Borrowed JSON of the named source, or NULL. */
const char *sl_ckpt_offsets_get(const sl_ckpt_offsets *off, const char *name);

/* Writes offsets/<off->batch_id>.  Every source's json must be valid JSON
 * (SL_ERR_INTERNAL otherwise: a connector bug, caught before it is durable). */
sl_status sl_ckpt_log_write_offsets(sl_ckpt_log *log, const sl_ckpt_offsets *off,
                                    sl_error *err);
/* Reads offsets/<batch> into *out (initialised here; fini it). */
sl_status sl_ckpt_log_read_offsets(sl_ckpt_log *log, int64_t batch,
                                   sl_ckpt_offsets *out, sl_error *err);
/* Writes commits/<batch>, recording the watermark the next batch starts
 * with.  Refused (SL_ERR_INTERNAL) if offsets/<batch> was never written. */
sl_status sl_ckpt_log_write_commit(sl_ckpt_log *log, int64_t batch,
                                   int64_t next_watermark_us, sl_error *err);
sl_status sl_ckpt_log_read_commit(sl_ckpt_log *log, int64_t batch,
                                  int64_t *out_next_watermark_us, sl_error *err);

typedef struct sl_ckpt_recovery {
    int64_t last_committed;    /* -1 when no batch ever committed */
    int64_t next_batch;        /* the id of the batch to run next */
    bool rerun;                /* next_batch was logged but not committed:
                                  run it again with exactly `offsets` */
    sl_ckpt_offsets offsets;   /* rerun: next_batch's logged end offsets;
                                  otherwise last_committed's (where the next
                                  range starts); batch_id -1 when none */
    sl_ckpt_offsets start;     /* always last_committed's end offsets, i.e.
                                  where next_batch's range starts, rerun or
                                  not; batch_id -1 when none */
    int64_t next_watermark_us; /* from the last commit (0 when none) */
} sl_ckpt_recovery;

/* Reads the logs and says where to resume.  Verifies every file it relies on
 * (a corrupt one is SL_ERR_CHECKPOINT naming it).  On success *out must be
 * fini'd; on failure it holds nothing (fini is harmless). */
sl_status sl_ckpt_log_recover(sl_ckpt_log *log, sl_ckpt_recovery *out, sl_error *err);
void sl_ckpt_recovery_fini(sl_ckpt_recovery *rec);

/* ---- operator state ----------------------------------------------------- */

/* Whether the operator should write version `version` as a full snapshot
 * (every snapshot_interval versions, and whenever it has no snapshot yet)
 * rather than a delta. */
bool sl_ckpt_log_state_wants_snapshot(sl_ckpt_log *log, const char *op_id, int64_t version);

/* Writes state/<op_id>/<version>.snapshot or .delta (opaque bytes).
 * op_id: [A-Za-z0-9_.-], not starting with '.', at most 128 chars. */
sl_status sl_ckpt_log_write_state(sl_ckpt_log *log, const char *op_id, int64_t version,
                                  bool snapshot, const void *data, size_t len,
                                  sl_error *err);

typedef struct sl_ckpt_state_part {
    int64_t version;
    bool snapshot;
    void *data; /* owned by the chain */
    size_t len;
    char *dir;  /* a directory snapshot (then data is NULL): its path, owned
                   by the chain; the files are verified against their list
                   and must be treated as read-only */
} sl_ckpt_state_part;

/* What to apply, in order, to rebuild an operator's state after a batch:
 * parts[0] is a snapshot (bytes, or a directory), the rest deltas of the
 * consecutive versions after it.  n == 0: the operator has no state yet. */
/* Directory snapshots, for backends whose snapshot is a set of files
 * (RocksDB checkpoints) rather than bytes: begin returns a path that does
 * not exist yet (*out_tmp, caller frees with sl_free) in which the backend
 * creates the directory and its files (flat, no subdirectories); commit
 * fsyncs every file, records names and sizes in a checksummed list
 * (_sluice_files) and renames the directory to
 * state/<op_id>/<version>.snapdir atomically.  On failure after begin call
 * abort, which removes the temporary directory. */
sl_status sl_ckpt_log_state_dir_begin(sl_ckpt_log *log, const char *op_id, int64_t version,
                                      char **out_tmp, sl_error *err);
sl_status sl_ckpt_log_state_dir_commit(sl_ckpt_log *log, const char *op_id, int64_t version,
                                       const char *tmp, sl_error *err);
void sl_ckpt_log_state_dir_abort(const char *tmp);

typedef struct sl_ckpt_state_chain {
    int n;
    sl_ckpt_state_part *parts;
    int64_t version; /* the version rebuilt, -1 when n == 0 */
} sl_ckpt_state_chain;

/* Loads the chain rebuilding the latest state version at or below
 * `version` (out->version says which; operators write a version every
 * batch, an empty delta when nothing changed, so it is normally `version`
 * itself): the newest snapshot at or below it and every delta after that
 * snapshot.  When the operator has no state file at or below `version`,
 * returns an empty chain.  A gap in the chain is SL_ERR_CHECKPOINT naming
 * the missing file; a corrupt file likewise. */
sl_status sl_ckpt_log_load_state(sl_ckpt_log *log, const char *op_id, int64_t version,
                                 sl_ckpt_state_chain *out, sl_error *err);
void sl_ckpt_state_chain_fini(sl_ckpt_state_chain *chain);

/* ---- retention ---------------------------------------------------------- */

/* After batch `current` committed: removes offsets and commits of batches
 * older than the last min_batches_to_retain, and state files no longer
 * needed to rebuild any retained batch (everything older than the newest
 * snapshot at or below the oldest retained batch). */
sl_status sl_ckpt_log_purge(sl_ckpt_log *log, int64_t current, sl_error *err);

/* ---- parsers, exposed for tests and the fuzz target ---------------------- */

/* Parses an offsets payload; `name` is used in messages. *out is
 * initialised here (fini it, also on failure). */
sl_status sl_ckpt_offsets_parse(const char *text, size_t len, const char *name,
                                sl_ckpt_offsets *out, sl_error *err);
/* True when text[0..len) is exactly one valid JSON value (with whitespace). */
bool sl_ckpt_json_valid(const char *text, size_t len);
/* Compares two plan descriptions (JSON) and appends to *msg a description
 * of up to three differences, as "path: was X, now Y".  Returns the number
 * of differences found (-1 when either is not valid JSON). */
int sl_ckpt_plan_diff(const char *old_json, const char *new_json, sl_buf *msg);

#endif
