/* Sink manifests: which files a file sink has committed, like Spark's
 * _spark_metadata.  A file sink writes its data files, then records them
 * here for the batch; readers (a file source pointed at the sink's output,
 * or the sink itself on restart) trust only files listed in a manifest, so
 * files left half-written by a crash are never seen and a re-run batch is
 * never counted twice.
 *
 *     <sink dir>/_sluice_metadata/<batch>           files committed by one batch
 *     <sink dir>/_sluice_metadata/<batch>.compact   every file committed up to
 *                                                   and including that batch
 *
 * Every `compact_interval`-th batch (10 by default) writes a .compact file in
 * place of a plain one and removes the files it supersedes, so the directory
 * never holds more than compact_interval files however long the query runs
 * (Spark's grows until compaction, and its compact files are re-read in
 * whole each time; ours too — the cost is one file per batch at most).
 * Files are sl_ckpt_file images (atomic, checksummed) whose payload is
 * "v1\n" then one path per line, with '\' and newline escaped as "\\" and
 * "\n".  Paths are stored as the sink gives them (relative to the sink dir
 * by convention). */
#ifndef SL_STATE_MANIFEST_H
#define SL_STATE_MANIFEST_H

#include "sluice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_MANIFEST_DIR "_sluice_metadata"

typedef struct sl_manifest sl_manifest;

typedef struct sl_manifest_files {
    char **paths; /* owned; in commit order */
    size_t n, cap;
} sl_manifest_files;

void sl_manifest_files_fini(sl_manifest_files *f);

/* Opens the manifest log of the sink writing into sink_dir, creating
 * <sink_dir>/_sluice_metadata when absent.  compact_interval <= 0: 10.
 * Reads what is there (a corrupt manifest file is SL_ERR_CHECKPOINT naming
 * it).  One writer per sink directory. */
sl_status sl_manifest_open(const char *sink_dir, int compact_interval, sl_manifest **out_m,
                           sl_error *err);
void sl_manifest_free(sl_manifest *m);

/* The last batch recorded, -1 when none.  A sink re-running a batch at or
 * below it skips writing it: its files are already committed. */
int64_t sl_manifest_last_batch(const sl_manifest *m);

/* Records the files of `batch` (> last batch; SL_ERR_INTERNAL otherwise).
 * Durable when it returns SL_OK; on failure nothing is recorded. */
sl_status sl_manifest_commit(sl_manifest *m, int64_t batch, const char *const *paths,
                             size_t n_paths, sl_error *err);

/* Borrowed: every committed file, in commit order. */
const sl_manifest_files *sl_manifest_files_get(const sl_manifest *m);

/* For readers: lists every committed file of the sink at sink_dir without
 * taking it over.  *out_exists is false (and the list empty) when the
 * directory has no manifest, i.e. was not written by a sluice sink.
 * Tolerates a concurrent compaction. *out must be fini'd. */
sl_status sl_manifest_read(const char *sink_dir, sl_manifest_files *out, bool *out_exists,
                           sl_error *err);

/* Parses a manifest payload, appending its paths to *out (exposed for the
 * fuzz target).  `name` is used in messages. */
sl_status sl_manifest_parse(const char *text, size_t len, const char *name,
                            sl_manifest_files *out, sl_error *err);

#endif
