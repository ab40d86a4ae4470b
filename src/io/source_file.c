/* The file source: `path` is a file or a directory; files that appear in
 * the directory are picked up on later triggers, oldest first (modification
 * time, then name), at most maxFilesPerTrigger per batch (default 1000).
 * The offset is the number of files consumed in that order
 * ({"files": N}).  Each file is read whole and split into lines for the
 * format (json lines or csv; a CSV file starts with its header).  Hidden
 * files (".", "_") are skipped; a directory written by a sluice file sink
 * is read through its manifest, so only committed files are seen. */
#include "io/lines.h"
#include "state/manifest.h"
#include "core/mem.h"
#include "core/status.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct fentry { char *path; int64_t mtime_ns; } fentry;

typedef struct file_src {
    char *path;
    bool is_dir;
    int64_t max_files;
    fentry *files;           /* discovered, in consumption order */
    size_t n_files, files_cap;
    int64_t consumed;        /* files read by committed or running batches */
    bool listed;             /* the directory was listed at least once */
    sl_lines ln;
} file_src;

static sl_status fsrc_open(sl_source *src, sl_error *err)
{
    file_src *f = sl_calloc(1, sizeof *f);
    if (!f) return sl_err_oom(err);
    src->impl = f;
    const char *path = sl_options_get(&src->opts, "path");
    if (!path) return sl_err(err, SL_ERR_CONFIG, "option 'path' (a file or directory) is missing");
    if (!(f->path = sl_strdup(path))) return sl_err_oom(err);
    struct stat stt;
    if (stat(path, &stt)) return sl_err(err, SL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    f->is_dir = S_ISDIR(stt.st_mode);
    sl_status st = sl_options_get_i64(&src->opts, "maxFilesPerTrigger", 1000, &f->max_files, err);
    if (st) return st;
    if (f->max_files < 1) return sl_err(err, SL_ERR_CONFIG, "maxFilesPerTrigger must be at least 1");
    return sl_lines_init(&f->ln, src, err);
}

static bool known(const file_src *f, const char *path)
{
    for (size_t i = 0; i < f->n_files; i++)
        if (!strcmp(f->files[i].path, path)) return true;
    return false;
}

static int by_time(const void *a, const void *b)
{
    const fentry *x = a, *y = b;
    if (x->mtime_ns != y->mtime_ns) return x->mtime_ns < y->mtime_ns ? -1 : 1;
    return strcmp(x->path, y->path);
}

static sl_status add_new(file_src *f, fentry *fresh, size_t n, sl_error *err)
{
    qsort(fresh, n, sizeof *fresh, by_time);
    if (sl_grow((void **)&f->files, &f->files_cap, f->n_files + n, sizeof *f->files)) {
        for (size_t i = 0; i < n; i++) sl_free(fresh[i].path);
        return sl_err_oom(err);
    }
    memcpy(f->files + f->n_files, fresh, n * sizeof *fresh);
    f->n_files += n;
    return SL_OK;
}

/* Lists files not seen before and appends them in order. */
static sl_status discover(file_src *f, sl_error *err)
{
    if (!f->is_dir) {
        if (f->n_files) return SL_OK;
        fentry e = {sl_strdup(f->path), 0};
        if (!e.path) return sl_err_oom(err);
        return add_new(f, &e, 1, err);
    }
    fentry *fresh = NULL;
    size_t n = 0, cap = 0;
    sl_status st = SL_OK;
    sl_manifest_files mf = {0};
    bool managed = false;
    if ((st = sl_manifest_read(f->path, &mf, &managed, err))) return st;
    char full[4096];
    if (managed) {
        for (size_t i = 0; i < mf.n && !st; i++) {
            snprintf(full, sizeof full, "%s/%s", f->path, mf.paths[i]);
            if (known(f, full)) continue;
            if (sl_grow((void **)&fresh, &cap, n + 1, sizeof *fresh) || !(fresh[n].path = sl_strdup(full))) { st = sl_err_oom(err); break; }
            fresh[n++].mtime_ns = (int64_t)i; /* commit order */
        }
    } else {
        DIR *d = opendir(f->path);
        if (!d) { sl_manifest_files_fini(&mf); return sl_err(err, SL_ERR_IO, "cannot list %s: %s", f->path, strerror(errno)); }
        struct dirent *de;
        while (!st && (de = readdir(d))) {
            if (de->d_name[0] == '.' || de->d_name[0] == '_') continue;
            snprintf(full, sizeof full, "%s/%s", f->path, de->d_name);
            struct stat stt;
            if (stat(full, &stt) || !S_ISREG(stt.st_mode) || known(f, full)) continue;
            if (sl_grow((void **)&fresh, &cap, n + 1, sizeof *fresh) || !(fresh[n].path = sl_strdup(full))) { st = sl_err_oom(err); break; }
            fresh[n++].mtime_ns = (int64_t)stt.st_mtim.tv_sec * 1000000000LL + stt.st_mtim.tv_nsec;
        }
        closedir(d);
    }
    sl_manifest_files_fini(&mf);
    if (!st && n) st = add_new(f, fresh, n, err);
    else for (size_t i = 0; i < n; i++) sl_free(fresh[i].path);
    sl_free(fresh);
    return st;
}

static int64_t parse_files(const char *json)
{
    const char *p = json ? strstr(json, "\"files\"") : NULL;
    return p ? strtoll(strchr(p, ':') + 1, NULL, 10) : 0;
}

static sl_status fsrc_plan(sl_source *src, const char *start, char **out_end, sl_error *err)
{
    file_src *f = src->impl;
    *out_end = NULL;
    /* A bounded source (a table, or availableNow) sees the files of its
     * first listing only. */
    if (!(src->bounded && f->n_files)) {
        sl_status st = discover(f, err);
        if (st) return st;
        f->listed = true;
    }
    int64_t from = parse_files(start);
    int64_t to = from + f->max_files;
    if (to > (int64_t)f->n_files) to = (int64_t)f->n_files;
    if (to <= from) return SL_OK;
    char buf[64];
    snprintf(buf, sizeof buf, "{\"files\":%lld}", (long long)to);
    *out_end = sl_strdup(buf);
    return *out_end ? SL_OK : sl_err_oom(err);
}

static sl_status read_file(file_src *f, const char *path, sl_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return sl_err(err, SL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (f->ln.fmt) sl_format_begin_file(f->ln.fmt);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    sl_status st = SL_OK;
    while (!st && (n = getline(&line, &cap, fp)) >= 0) {
        if (n && line[n - 1] == '\n') n--;
        if (n && line[n - 1] == '\r') n--;
        if (n == 0) continue; /* blank lines are not records */
        st = sl_lines_add(&f->ln, line, (size_t)n, err);
    }
    if (!st && ferror(fp)) st = sl_err(err, SL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    free(line); /* getline's buffer comes from libc */
    fclose(fp);
    if (st) sl_err_prefix(err, "%s", path);
    return st;
}

static sl_status fsrc_read(sl_source *src, const char *start, const char *end, sl_emit_fn emit,
                           void *ctx, sl_error *err)
{
    file_src *f = src->impl;
    int64_t a = parse_files(start), b = parse_files(end);
    if (b > (int64_t)f->n_files) {
        /* a restart: the listing must reach the logged end again */
        sl_status st = discover(f, err);
        if (st) return st;
        if (b > (int64_t)f->n_files)
            return sl_err(err, SL_ERR_IO, "%s: %lld files were logged for this batch but only %zu exist now",
                          f->path, (long long)b, f->n_files);
    }
    sl_lines_start(&f->ln, emit, ctx);
    for (int64_t i = a; i < b; i++) {
        sl_status st = read_file(f, f->files[i].path, err);
        if (st) return st;
    }
    f->consumed = b;
    return sl_lines_flush(&f->ln, err);
}

static bool fsrc_exhausted(sl_source *src)
{
    file_src *f = src->impl;
    return src->bounded && f->listed && f->consumed >= (int64_t)f->n_files;
}

static void fsrc_close(sl_source *src)
{
    file_src *f = src->impl;
    if (!f) return;
    sl_lines_fini(&f->ln);
    for (size_t i = 0; i < f->n_files; i++) sl_free(f->files[i].path);
    sl_free(f->files);
    sl_free(f->path);
    sl_free(f);
}

const sl_source_ops sl_file_source_ops = {
    .connector = "file", .open = fsrc_open, .plan = fsrc_plan, .read = fsrc_read,
    .exhausted = fsrc_exhausted, .close = fsrc_close};
