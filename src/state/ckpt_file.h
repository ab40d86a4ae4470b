/* Checkpoint files: the one way sluice puts durable bytes on disk.
 *
 * Every file of a checkpoint directory (metadata, offsets/<n>, commits/<n>,
 * state/<op>/<v>.*, sink manifests) goes through here.  A file is a 24-byte
 * header followed by the payload:
 *
 *     0  magic "SLCK"           4  u16 format version (1)   6  u16 kind
 *     8  u64 payload length     16 u32 CRC32C of payload    20 u32 CRC32C of bytes 0..19
 *
 * (all little-endian).  Writes are atomic: the bytes go to a hidden temporary
 * file in the same directory, which is fsynced, renamed over the target, and
 * the directory fsynced, so after a crash at any instant a reader sees the
 * old file or the new one, never a torn one.  A file whose header, length or
 * checksum does not verify is refused with SL_ERR_CHECKPOINT and a message
 * naming it: sluice never silently reuses a damaged checkpoint. */
#ifndef SL_STATE_CKPT_FILE_H
#define SL_STATE_CKPT_FILE_H

#include "sluice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SL_CKPT_HEADER_SIZE 24
#define SL_CKPT_FORMAT_VERSION 1

/* What a file holds, recorded in its header so that a file copied to the
 * wrong place is refused rather than misread. */
typedef enum sl_ckpt_kind {
    SL_CKPT_KIND_ANY = 0, /* for readers only: accept whatever kind */
    SL_CKPT_KIND_METADATA = 1,
    SL_CKPT_KIND_OFFSETS = 2,
    SL_CKPT_KIND_COMMIT = 3,
    SL_CKPT_KIND_STATE_SNAPSHOT = 4,
    SL_CKPT_KIND_STATE_DELTA = 5,
    SL_CKPT_KIND_MANIFEST = 6,
    SL_CKPT_KIND_STATE_DIR = 7 /* the file list of a directory snapshot */
} sl_ckpt_kind;

const char *sl_ckpt_kind_name(int kind);

/* Fills the 24-byte header for `len` payload bytes. */
void sl_ckpt_file_header(unsigned char out[SL_CKPT_HEADER_SIZE], int kind,
                         const void *payload, size_t len);

/* Verifies a whole file image (`n` bytes at `data`) and points *out_payload
 * into it (borrowed).  `name` is used in messages.  Returns SL_ERR_CHECKPOINT
 * for a truncated, overlong, mislabelled or corrupted image.  Safe on any
 * input: this is the parser the fuzz target drives. */
sl_status sl_ckpt_file_decode(const void *data, size_t n, int kind, const char *name,
                              const void **out_payload, size_t *out_len, sl_error *err);

/* Atomically replaces (or creates) `path` with a file holding `len` bytes of
 * `data`.  The directory must exist.  On failure (SL_ERR_IO, e.g. a full disk
 * or unwritable directory) the previous file, if any, is intact and no
 * temporary file is left behind. */
sl_status sl_ckpt_file_write(const char *path, int kind, const void *data, size_t len,
                             sl_error *err);

/* Reads and verifies `path`.  On success *out_payload is a heap copy (the
 * caller frees it with sl_free) with a NUL byte after the last payload byte,
 * so text payloads can be used as C strings.  A missing file is SL_ERR_IO
 * with errno ENOENT left in errno; see sl_ckpt_file_exists. */
sl_status sl_ckpt_file_read(const char *path, int kind, void **out_payload,
                            size_t *out_len, sl_error *err);

bool sl_ckpt_file_exists(const char *path);

/* True for the hidden temporaries that sl_ckpt_file_write leaves behind only
 * when the process dies mid-write (".<name>.tmp-…"); directory scanners skip
 * them and sl_ckpt_dir_clean_temps removes them. */
bool sl_ckpt_file_is_temp(const char *name);
/* Removes leftover temporaries in `dir` (files, and flat directories of
 * files such as half-built directory snapshots).  Only call with the
 * directory's single writer holding it (see sl_ckpt_log_open's lock). */
void sl_ckpt_dir_clean_temps(const char *dir);
/* Removes a directory holding only files (not recursive beyond that).
 * 0, or -1 with errno. A missing directory is 0. */
int sl_ckpt_dir_remove_flat(const char *dir);

/* fsyncs a directory so that a rename or unlink in it is durable. */
sl_status sl_ckpt_dir_sync(const char *dir, sl_error *err);
/* mkdir -p; SL_ERR_IO with a message naming the path on failure (also when
 * a component exists and is not a directory). */
sl_status sl_ckpt_mkdirs(const char *path, sl_error *err);

/* ---- test hooks --------------------------------------------------------
 * Process-wide, not thread-safe: for tests and fault simulation only. */

/* Replaces write(2) for checkpoint writes (NULL restores it), so tests can
 * simulate a full disk or short writes. */
typedef ssize_t (*sl_ckpt_write_fn)(int fd, const void *p, size_t n);
void sl_ckpt_file_set_write_fn(sl_ckpt_write_fn fn);

/* Called at each step of an atomic write ("open", "write", "fsync", "rename",
 * "dirsync") before it happens; a crash test kills the process from here to
 * stop between two steps. NULL removes the hook. */
typedef void (*sl_ckpt_step_fn)(const char *step, const char *path);
void sl_ckpt_file_set_step_fn(sl_ckpt_step_fn fn);

#endif
