/* The file sink: `path` is a directory; each non-empty batch becomes one
 * file part-<batch id, 5 digits>.<json|csv> (JSON lines, or CSV with a
 * header).  Exactly once: the batch's rows go to a temporary file that is
 * fsynced and renamed at commit, and the file is then recorded in the
 * sink's manifest (_sluice_metadata, state/manifest.h); a batch replayed
 * after a crash either finds itself in the manifest and writes nothing, or
 * rewrites the same file name.  Readers trust only manifest-listed files.
 *
 * format = 'parquet' hands the sink over to the parquet sink (its ops
 * replace these at open), so `connector = 'file', format = 'parquet'` and
 * `connector = 'parquet'` are one implementation with the same options and
 * output (io/parquet_sink.c). */
#include "io/connector.h"
#include "format/format.h"
#include "state/ckpt_file.h"
#include "state/manifest.h"
#include "core/mem.h"
#include "core/status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct file_sink {
    char *dir;
    bool csv;
    char sep;
    sl_manifest *manifest;
    int64_t batch_id;
    bool skip;          /* batch already committed by an earlier run */
    sl_buf buf;         /* this batch's text */
    int64_t rows;
} file_sink;

extern const sl_sink_ops sl_parquet_sink_ops;

static sl_status fs_open(sl_sink *snk, sl_error *err)
{
    if (!strcasecmp(sl_options_get_or(&snk->opts, "format", "json"), "parquet")) {
        /* one Parquet writer: this sink becomes the parquet sink */
        snk->ops = &sl_parquet_sink_ops;
        return snk->ops->open(snk, err);
    }
    file_sink *f = sl_calloc(1, sizeof *f);
    if (!f) return sl_err_oom(err);
    snk->impl = f;
    sl_buf_init(&f->buf);
    const char *path = sl_options_get(&snk->opts, "path");
    if (!path) return sl_err(err, SL_ERR_CONFIG, "option 'path' (the output directory) is missing");
    const char *fmt = sl_options_get_or(&snk->opts, "format", "json");
    if (!strcasecmp(fmt, "csv")) f->csv = true;
    else if (strcasecmp(fmt, "json"))
        return sl_err(err, SL_ERR_CONFIG, "format '%s' is not supported by the file sink (json, csv or parquet)", fmt);
    const char *sep = sl_options_get_or(&snk->opts, "sep", ",");
    f->sep = sep[0] ? sep[0] : ',';
    if (!(f->dir = sl_strdup(path))) return sl_err_oom(err);
    sl_status st = sl_ckpt_mkdirs(path, err);
    if (st) return st;
    return sl_manifest_open(path, 0, &f->manifest, err);
}

static sl_status fs_begin(sl_sink *snk, int64_t batch_id, sl_error *err)
{
    file_sink *f = snk->impl;
    f->batch_id = batch_id;
    f->skip = batch_id <= sl_manifest_last_batch(f->manifest);
    f->rows = 0;
    sl_buf_reset(&f->buf);
    return SL_OK;
}

static sl_status fs_write(sl_sink *snk, sl_batch *b, sl_error *err)
{
    file_sink *f = snk->impl;
    if (f->skip) return SL_OK;
    if (f->csv && f->rows == 0 && b->n_rows) {
        sl_format_csv_header(snk->schema, f->sep, &f->buf);
        sl_buf_putc(&f->buf, '\n');
    }
    for (int64_t i = 0; i < b->n_rows; i++) {
        if (f->csv) sl_format_csv_row(b, snk->schema, i, f->sep, &f->buf);
        else sl_format_json_row(b, snk->schema, i, &f->buf);
        sl_buf_putc(&f->buf, '\n');
    }
    f->rows += b->n_rows;
    return f->buf.oom ? sl_err_oom(err) : SL_OK;
}

static sl_status write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { if (errno == EINTR) continue; return SL_ERR_IO; }
        p += w;
        n -= (size_t)w;
    }
    return SL_OK;
}

static sl_status fs_commit(sl_sink *snk, int64_t batch_id, sl_error *err)
{
    file_sink *f = snk->impl;
    if (f->skip) return SL_OK;
    const char *names[1];
    size_t n_names = 0;
    char name[64], path[4096], tmp[4200];
    if (f->rows > 0) {
        snprintf(name, sizeof name, "part-%05lld.%s", (long long)batch_id, f->csv ? "csv" : "json");
        snprintf(path, sizeof path, "%s/%s", f->dir, name);
        snprintf(tmp, sizeof tmp, "%s/.%s.tmp", f->dir, name);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return sl_err(err, SL_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
        if (write_all(fd, f->buf.data, f->buf.len) || fsync(fd)) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return sl_err(err, SL_ERR_IO, "cannot write %s: %s", tmp, strerror(e));
        }
        close(fd);
        if (rename(tmp, path)) {
            int e = errno;
            unlink(tmp);
            return sl_err(err, SL_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(e));
        }
        sl_status st = sl_ckpt_dir_sync(f->dir, err);
        if (st) return st;
        names[n_names++] = name;
    }
    return sl_manifest_commit(f->manifest, batch_id, names, n_names, err);
}

static void fs_close(sl_sink *snk)
{
    file_sink *f = snk->impl;
    if (!f) return;
    sl_manifest_free(f->manifest);
    sl_buf_fini(&f->buf);
    sl_free(f->dir);
    sl_free(f);
}

const sl_sink_ops sl_file_sink_ops = {
    .connector = "file", .open = fs_open, .begin = fs_begin, .write = fs_write,
    .commit = fs_commit, .close = fs_close};
