/* The `connector = 'parquet'` sink: a query's rows into Parquet files under
 * `path`, exactly once, with files rolled by size rather than one per batch.
 *
 * Layout: path/[col=value/…]part-NNNNN.parquet, and per committed batch a
 * manifest path/_sluice_metadata/<batch id> (JSON: the files the batch
 * wrote, each with its committed length and row count), written atomically
 * (temp file, fsync, rename, fsync of the directory).
 *
 * Rolling across batches: a file that is not yet full (file.maxRows,
 * file.maxBytes) when its batch commits is complete (footer written, fsynced)
 * and listed with its length.  The next batch reopens it, appends row groups
 * after that length and writes a new footer at the end; the old footer stays
 * in the middle as dead bytes, which Parquet readers never look at.  A reader
 * that goes by the manifests opens each file with its committed length and
 * so always sees a complete file; a batch that crashed before its manifest
 * was written is re-run from the lengths the previous batch committed (the
 * file is truncated back to them), so it overwrites instead of duplicating;
 * a batch whose manifest exists is skipped when re-run.  Bytes below a
 * committed length are therefore never changed, which is what lets the file
 * source (format = 'parquet') read a sink directory while the sink runs.
 * Readers that list the directory without the manifests (DuckDB, Spark) see
 * every committed file too, but may catch a file mid-append. docs/PARQUET.md
 * has the details. */
#include "io/connector.h"
#include "format/parquet.h"
#include "core/buf.h"
#include "core/jdoc.h"
#include "core/mem.h"
#include "core/status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MANIFEST_DIR "_sluice_metadata"

typedef struct pfile {
    char *rel;          /* relative to path */
    char *dir;          /* partition directory ("" when none) */
    int64_t seq, length, rows;
} pfile;

typedef struct state {
    pfile *files;
    size_t n, cap;
    int64_t next_seq;
} state;

typedef struct open_part {
    char *dir;
    pfile *file;         /* entry in st (index kept: array may move) */
    size_t file_idx;
    sl_pq_writer *w;
} open_part;

typedef struct psink {
    char *path;
    sl_pq_write_opts wo;
    int64_t max_rows, max_bytes;
    int n_part;
    int *part_cols;          /* schema indices of partition columns */
    sl_schema *data_schema;  /* schema without partition columns */
    int *data_cols;
    state st;
    int64_t batch;           /* current batch id, -1 when none */
    int64_t last_committed;
    bool skip;               /* the current batch is already committed */
    open_part *open;
    size_t n_open, cap_open;
    size_t *touched;         /* file indices written by this batch */
    size_t n_touched, cap_touched;
} psink;

static void state_fini(state *s)
{
    for (size_t i = 0; i < s->n; i++) { sl_free(s->files[i].rel); sl_free(s->files[i].dir); }
    sl_free(s->files);
    memset(s, 0, sizeof *s);
}

static int is_digits(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++) if (*s < '0' || *s > '9') return 0;
    return 1;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static pfile *state_find(state *s, const char *rel)
{
    for (size_t i = 0; i < s->n; i++) if (!strcmp(s->files[i].rel, rel)) return &s->files[i];
    return NULL;
}

static sl_status state_put(state *s, const char *rel, int64_t length, int64_t rows, size_t *out_idx,
                           sl_error *err)
{
    pfile *f = state_find(s, rel);
    if (!f) {
        if (s->n == s->cap && sl_grow((void **)&s->files, &s->cap, s->n + 1, sizeof *s->files))
            return sl_err_oom(err);
        f = &s->files[s->n++];
        memset(f, 0, sizeof *f);
        f->rel = sl_strdup(rel);
        const char *slash = strrchr(rel, '/');
        f->dir = slash ? sl_strndup(rel, (size_t)(slash - rel)) : sl_strdup("");
        if (!f->rel || !f->dir) return sl_err_oom(err);
        const char *base = slash ? slash + 1 : rel;
        long long seq = -1;
        if (sscanf(base, "part-%lld.parquet", &seq) != 1) seq = -1;
        f->seq = seq;
        if (seq >= s->next_seq) s->next_seq = seq + 1;
    }
    f->length = length;
    f->rows = rows;
    if (out_idx) *out_idx = (size_t)(f - s->files);
    return SL_OK;
}

/* Applies one batch's manifest (the file at mpath) to s. */
static sl_status manifest_apply(const char *mpath, state *s, sl_error *err)
{
    sl_jdoc *doc;
    sl_status st = sl_jdoc_parse_file(mpath, &doc, err);
    if (st) return st;
    const sl_jval *files = sl_jval_get(doc->root, "files");
    if (!files || files->type != SL_JARR) {
        st = sl_err(err, SL_ERR_FORMAT, "parquet sink: manifest %s has no file list", mpath);
    } else {
        for (size_t k = 0; k < files->n && !st; k++) {
            const char *rel = sl_jval_get_str(files->items[k], "path", NULL);
            if (!rel) { st = sl_err(err, SL_ERR_FORMAT, "parquet sink: manifest %s: file without path", mpath); break; }
            st = state_put(s, rel, sl_jval_get_int(files->items[k], "length", 0),
                           sl_jval_get_int(files->items[k], "rows", 0), NULL, err);
        }
    }
    sl_jdoc_free(doc);
    return st;
}

/* Loads the state committed by batches below `limit` from the manifests. */
static sl_status state_load(const char *path, int64_t limit, state *s, int64_t *last, sl_error *err)
{
    memset(s, 0, sizeof *s);
    *last = -1;
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_printf(&b, "%s/" MANIFEST_DIR, path);
    if (b.oom) return sl_err_oom(err);
    DIR *d = opendir(b.data);
    if (!d) {
        sl_buf_fini(&b);
        if (errno == ENOENT) return SL_OK;
        return sl_err(err, SL_ERR_IO, "parquet sink: cannot list %s/" MANIFEST_DIR ": %s", path, strerror(errno));
    }
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    sl_status st = SL_OK;
    while ((de = readdir(d))) {
        if (!is_digits(de->d_name)) continue;
        int64_t id = strtoll(de->d_name, NULL, 10);
        if (id >= limit) continue;
        if (n == cap && sl_grow((void **)&ids, &cap, n + 1, sizeof *ids)) { st = sl_err_oom(err); break; }
        ids[n++] = id;
    }
    closedir(d);
    if (!st && n) qsort(ids, n, sizeof *ids, cmp_i64);
    for (size_t i = 0; i < n && !st; i++) {
        sl_buf_reset(&b);
        sl_buf_printf(&b, "%s/" MANIFEST_DIR "/%" PRId64, path, ids[i]);
        if (b.oom) { st = sl_err_oom(err); break; }
        if ((st = manifest_apply(b.data, s, err))) break;
        *last = ids[i];
    }
    sl_free(ids);
    sl_buf_fini(&b);
    if (st) state_fini(s);
    return st;
}

sl_status sl_parquet_sink_committed_files(const char *dir, sl_pq_committed **out, int *out_n,
                                          sl_error *err)
{
    return sl_parquet_sink_committed_upto(dir, INT64_MAX - 1, out, out_n, err);
}

/* The state's files as full paths under dir; frees the state. */
static sl_status state_to_committed(const char *dir, state *s, sl_pq_committed **out, int *out_n,
                                    sl_error *err)
{
    sl_pq_committed *c = sl_calloc(s->n ? s->n : 1, sizeof *c);
    if (!c) { state_fini(s); return sl_err_oom(err); }
    for (size_t i = 0; i < s->n; i++) {
        sl_buf b;
        sl_buf_init(&b);
        sl_buf_printf(&b, "%s/%s", dir, s->files[i].rel);
        c[i].path = sl_buf_take(&b);
        c[i].length = s->files[i].length;
        c[i].rows = s->files[i].rows;
        if (!c[i].path) { sl_pq_committed_free(c, (int)s->n); state_fini(s); return sl_err_oom(err); }
    }
    *out = c;
    *out_n = (int)s->n;
    state_fini(s);
    return SL_OK;
}

sl_status sl_parquet_sink_committed_upto(const char *dir, int64_t upto, sl_pq_committed **out,
                                         int *out_n, sl_error *err)
{
    *out = NULL;
    *out_n = 0;
    state s;
    int64_t last;
    sl_status st = state_load(dir, upto + 1, &s, &last, err);
    if (st) return st;
    return state_to_committed(dir, &s, out, out_n, err);
}

sl_status sl_parquet_sink_batch_files(const char *dir, int64_t batch, sl_pq_committed **out, int *out_n,
                                      sl_error *err)
{
    *out = NULL;
    *out_n = 0;
    state s = {0};
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_printf(&b, "%s/" MANIFEST_DIR "/%" PRId64, dir, batch);
    sl_status st = b.oom ? sl_err_oom(err) : manifest_apply(b.data, &s, err);
    sl_buf_fini(&b);
    if (st) { state_fini(&s); return st; }
    return state_to_committed(dir, &s, out, out_n, err);
}

void sl_pq_committed_free(sl_pq_committed *files, int n)
{
    if (!files) return;
    for (int i = 0; i < n; i++) sl_free(files[i].path);
    sl_free(files);
}

/* ---- helpers ------------------------------------------------------------ */

/* 0, -1 (errno set) or -2 when out of memory. */
static int mkdirs(const char *path)
{
    char *p = sl_strdup(path);
    if (!p) return -2;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0777) && errno != EEXIST) { sl_free(p); return -1; }
        *s = '/';
    }
    int rc = mkdir(p, 0777) && errno != EEXIST ? -1 : 0;
    sl_free(p);
    return rc;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Atomically replaces dir/name with text. */
static sl_status write_atomic(const char *dir, const char *name, const char *text, size_t len,
                              sl_error *err)
{
    sl_buf tmp, dst;
    sl_buf_init(&tmp);
    sl_buf_init(&dst);
    sl_buf_printf(&tmp, "%s/.%s.tmp", dir, name);
    sl_buf_printf(&dst, "%s/%s", dir, name);
    sl_status st = SL_OK;
    if (tmp.oom || dst.oom) { st = sl_err_oom(err); goto out; }
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) { st = sl_err(err, SL_ERR_IO, "parquet sink: cannot create %s: %s", tmp.data, strerror(errno)); goto out; }
    size_t off = 0;
    while (off < len) {
        ssize_t k = write(fd, text + off, len - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        off += (size_t)k;
    }
    if (off != len || fsync(fd)) {
        st = sl_err(err, SL_ERR_IO, "parquet sink: cannot write %s: %s", tmp.data, strerror(errno));
        close(fd);
        unlink(tmp.data);
        goto out;
    }
    close(fd);
    if (rename(tmp.data, dst.data) || fsync_dir(dir)) {
        st = sl_err(err, SL_ERR_IO, "parquet sink: cannot install %s: %s", dst.data, strerror(errno));
        unlink(tmp.data);
    }
out:
    if (st && err) err->retriable = 1;
    sl_buf_fini(&tmp);
    sl_buf_fini(&dst);
    return st;
}

/* Hive/Spark path escaping of a partition value. */
static void put_escaped(sl_buf *b, const char *s, size_t n)
{
    static const char special[] = "\"#%'*/:=?\\\x7f{[]^";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || strchr(special, c)) sl_buf_printf(b, "%%%02X", c);
        else sl_buf_putc(b, (char)c);
    }
}

static void put_partition_value(sl_buf *b, const sl_col *col, int64_t i)
{
    if (sl_col_is_null(col, i)) { sl_buf_puts(b, "__HIVE_DEFAULT_PARTITION__"); return; }
    char tmp[64];
    switch (col->type) {
    case SL_TYPE_BOOLEAN: sl_buf_puts(b, sl_col_bool(col, i) ? "true" : "false"); break;
    case SL_TYPE_INT: sl_buf_printf(b, "%" PRId32, sl_col_i32(col)[i]); break;
    case SL_TYPE_BIGINT: sl_buf_printf(b, "%" PRId64, sl_col_i64(col)[i]); break;
    case SL_TYPE_DOUBLE: snprintf(tmp, sizeof tmp, "%.17g", sl_col_f64(col)[i]); sl_buf_puts(b, tmp); break;
    case SL_TYPE_STRING: {
        size_t n;
        const char *s = sl_col_str(col, i, &n);
        put_escaped(b, s, n);
        break;
    }
    case SL_TYPE_DATE: case SL_TYPE_TIMESTAMP: {
        int64_t us = col->type == SL_TYPE_DATE ? (int64_t)sl_col_i32(col)[i] * 86400000000LL : sl_col_i64(col)[i];
        int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
        int64_t frac = us - secs * 1000000;
        time_t t = (time_t)secs;
        struct tm tm;
        gmtime_r(&t, &tm);
        if (col->type == SL_TYPE_DATE) strftime(tmp, sizeof tmp, "%Y-%m-%d", &tm);
        else {
            size_t k = strftime(tmp, sizeof tmp, "%Y-%m-%d %H:%M:%S", &tm);
            if (frac) snprintf(tmp + k, sizeof tmp - k, ".%06" PRId64, frac);
        }
        put_escaped(b, tmp, strlen(tmp));
        break;
    }
    default: sl_buf_puts(b, "__HIVE_DEFAULT_PARTITION__");
    }
}

/* The first bytes of a manifest tell its writer apart: this sink's are JSON
 * ('{'), the file sink's are checkpoint images ("SLCK", state/manifest.h). */
static bool manifest_is_json(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return false;
    int c = fgetc(fp);
    fclose(fp);
    return c == '{';
}

sl_status sl_parquet_sink_batches(const char *dir, int64_t **out_ids, size_t *out_n,
                                  sl_pq_dir_kind *out_kind, sl_error *err)
{
    *out_ids = NULL;
    *out_n = 0;
    *out_kind = SL_PQ_DIR_PLAIN;
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_printf(&b, "%s/" MANIFEST_DIR, dir);
    if (b.oom) return sl_err_oom(err);
    DIR *d = opendir(b.data);
    if (!d) {
        int e = errno;
        sl_buf_fini(&b);
        if (e == ENOENT || e == ENOTDIR) return SL_OK;
        return sl_err(err, SL_ERR_IO, "cannot list %s/" MANIFEST_DIR ": %s", dir, strerror(e));
    }
    *out_kind = SL_PQ_DIR_SINK;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    sl_status st = SL_OK;
    bool checked = false;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl > 8 && !strcmp(de->d_name + nl - 8, ".compact")) { *out_kind = SL_PQ_DIR_FILE_SINK; continue; }
        if (!is_digits(de->d_name)) continue;
        if (!checked) {
            sl_buf p;
            sl_buf_init(&p);
            sl_buf_printf(&p, "%s/%s", b.data, de->d_name);
            if (p.oom) { st = sl_err_oom(err); break; }
            if (!manifest_is_json(p.data)) *out_kind = SL_PQ_DIR_FILE_SINK;
            sl_buf_fini(&p);
            checked = true;
        }
        if (n == cap && sl_grow((void **)&ids, &cap, n + 1, sizeof *ids)) { st = sl_err_oom(err); break; }
        ids[n++] = strtoll(de->d_name, NULL, 10);
    }
    closedir(d);
    sl_buf_fini(&b);
    if (!st && !n && *out_kind == SL_PQ_DIR_SINK) *out_kind = SL_PQ_DIR_SINK_EMPTY;
    if (st || *out_kind != SL_PQ_DIR_SINK) { sl_free(ids); return st; }
    if (n) qsort(ids, n, sizeof *ids, cmp_i64);
    *out_ids = ids;
    *out_n = n;
    return SL_OK;
}

/* ---- sink ops ----------------------------------------------------------- */

static void psink_free(psink *ps)
{
    if (!ps) return;
    for (size_t i = 0; i < ps->n_open; i++) {
        sl_pq_writer_abort(ps->open[i].w);
        sl_free(ps->open[i].dir);
    }
    sl_free(ps->open);
    sl_free(ps->touched);
    state_fini(&ps->st);
    sl_free(ps->part_cols);
    sl_free(ps->data_cols);
    sl_schema_free(ps->data_schema);
    sl_free(ps->path);
    sl_free(ps);
}

static sl_status psink_open(sl_sink *snk, sl_error *err)
{
    const char *path = sl_options_get(&snk->opts, "path");
    if (!path || !*path) return sl_err(err, SL_ERR_CONFIG, "option 'path' is required for the parquet sink");
    psink *ps = sl_calloc(1, sizeof *ps);
    if (!ps) return sl_err_oom(err);
    snk->impl = ps;
    ps->batch = -1;
    sl_pq_write_opts_init(&ps->wo);
    sl_status st;
    if ((st = sl_pq_write_opts_from(&snk->opts, &ps->wo, err)) ||
        (st = sl_options_get_i64(&snk->opts, "file.maxRows", 5000000, &ps->max_rows, err)) ||
        (st = sl_options_get_i64(&snk->opts, "file.maxBytes", 128 << 20, &ps->max_bytes, err)))
        return st;
    if (ps->max_rows < 1 || ps->max_bytes < 1)
        return sl_err(err, SL_ERR_CONFIG, "options 'file.maxRows' and 'file.maxBytes' must be positive");
    if (ps->wo.row_group_rows > ps->max_rows) ps->wo.row_group_rows = ps->max_rows;
    ps->path = sl_strdup(path);
    if (!ps->path) return sl_err_oom(err);
    size_t len = strlen(ps->path);
    while (len > 1 && ps->path[len - 1] == '/') ps->path[--len] = 0;
    /* partition columns */
    const sl_schema *s = snk->schema;
    ps->part_cols = sl_calloc((size_t)s->n + 1, sizeof *ps->part_cols);
    ps->data_cols = sl_calloc((size_t)s->n + 1, sizeof *ps->data_cols);
    if (!ps->part_cols || !ps->data_cols) return sl_err_oom(err);
    const char *pb = sl_options_get(&snk->opts, "partitionBy");
    if (pb) {
        const char *p = pb;
        while (*p) {
            while (*p == ' ' || *p == ',') p++;
            const char *e = p;
            while (*e && *e != ',') e++;
            const char *te = e;
            while (te > p && te[-1] == ' ') te--;
            if (te > p) {
                char *name = sl_strndup(p, (size_t)(te - p));
                if (!name) return sl_err_oom(err);
                int c = sl_schema_find(s, name);
                if (c < 0) {
                    st = sl_err(err, SL_ERR_CONFIG, "option 'partitionBy': no column named '%s'", name);
                    sl_free(name);
                    return st;
                }
                sl_free(name);
                for (int k = 0; k < ps->n_part; k++)
                    if (ps->part_cols[k] == c) return sl_err(err, SL_ERR_CONFIG, "option 'partitionBy' names a column twice");
                ps->part_cols[ps->n_part++] = c;
            }
            p = e;
        }
        if (ps->n_part == s->n)
            return sl_err(err, SL_ERR_CONFIG, "option 'partitionBy' leaves no column to write");
    }
    ps->data_schema = sl_schema_new(s->n - ps->n_part);
    if (!ps->data_schema) return sl_err_oom(err);
    int k = 0;
    for (int c = 0; c < s->n; c++) {
        bool part = false;
        for (int j = 0; j < ps->n_part; j++) part |= ps->part_cols[j] == c;
        if (part) continue;
        if (sl_schema_set(ps->data_schema, k, s->fields[c].name, s->fields[c].type)) return sl_err_oom(err);
        ps->data_cols[k++] = c;
    }
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_printf(&b, "%s/" MANIFEST_DIR, ps->path);
    int rc = b.oom ? -2 : mkdirs(b.data);
    sl_buf_fini(&b);
    if (rc == -2) return sl_err_oom(err);
    if (rc) return sl_err(err, SL_ERR_IO, "parquet sink: cannot create %s: %s", ps->path, strerror(errno));
    return state_load(ps->path, INT64_MAX, &ps->st, &ps->last_committed, err);
}

static void drop_open(psink *ps)
{
    for (size_t i = 0; i < ps->n_open; i++) {
        sl_pq_writer_abort(ps->open[i].w);
        sl_free(ps->open[i].dir);
    }
    ps->n_open = 0;
    ps->n_touched = 0;
}

static sl_status psink_begin(sl_sink *snk, int64_t batch_id, sl_error *err)
{
    psink *ps = snk->impl;
    drop_open(ps);
    /* A batch the manifests already hold (re-run after a crash between the
     * sink's commit and the driver's commit log) is written already: it is
     * skipped, as Spark's file sink does.  Rewriting it would truncate files
     * that readers going by the manifests may be reading. */
    ps->skip = batch_id <= ps->last_committed;
    ps->batch = batch_id;
    return SL_OK;
}

static sl_status touch(psink *ps, size_t idx, sl_error *err)
{
    for (size_t i = 0; i < ps->n_touched; i++) if (ps->touched[i] == idx) return SL_OK;
    if (ps->n_touched == ps->cap_touched &&
        sl_grow((void **)&ps->touched, &ps->cap_touched, ps->n_touched + 1, sizeof *ps->touched))
        return sl_err_oom(err);
    ps->touched[ps->n_touched++] = idx;
    return SL_OK;
}

/* Closes an open part, recording its committed length. */
static sl_status close_part(psink *ps, open_part *op, sl_error *err)
{
    int64_t bytes, rows;
    sl_status st = sl_pq_writer_close(op->w, true, &bytes, &rows, err);
    op->w = NULL;
    if (st) return st;
    ps->st.files[op->file_idx].length = bytes;
    ps->st.files[op->file_idx].rows = rows;
    return SL_OK;
}

/* The open part for a partition directory, opening or reopening a file. */
static sl_status part_for(psink *ps, const char *dir, open_part **out, sl_error *err)
{
    for (size_t i = 0; i < ps->n_open; i++)
        if (!strcmp(ps->open[i].dir, dir) && ps->open[i].w) { *out = &ps->open[i]; return SL_OK; }
    /* the directory's newest file, if not full, takes more rows */
    pfile *cur = NULL;
    for (size_t i = 0; i < ps->st.n; i++)
        if (!strcmp(ps->st.files[i].dir, dir) && (!cur || ps->st.files[i].seq > cur->seq)) cur = &ps->st.files[i];
    open_part *op = NULL;
    for (size_t i = 0; i < ps->n_open; i++)
        if (!strcmp(ps->open[i].dir, dir)) op = &ps->open[i];
    if (!op) {
        if (ps->n_open == ps->cap_open && sl_grow((void **)&ps->open, &ps->cap_open, ps->n_open + 1, sizeof *ps->open))
            return sl_err_oom(err);
        op = &ps->open[ps->n_open];
        memset(op, 0, sizeof *op);
        op->dir = sl_strdup(dir);
        if (!op->dir) return sl_err_oom(err);
        ps->n_open++;
    }
    sl_buf b;
    sl_buf_init(&b);
    sl_status st;
    if (cur && cur->rows < ps->max_rows && cur->length < ps->max_bytes && cur->length > 0) {
        sl_buf_printf(&b, "%s/%s", ps->path, cur->rel);
        if (b.oom) { sl_buf_fini(&b); return sl_err_oom(err); }
        op->file_idx = (size_t)(cur - ps->st.files);
        st = sl_pq_writer_reopen(b.data, cur->length, ps->data_schema, &ps->wo, &op->w, err);
    } else {
        sl_buf rel;
        sl_buf_init(&rel);
        sl_buf_printf(&rel, "%s%spart-%05" PRId64 ".parquet", dir, *dir ? "/" : "", ps->st.next_seq);
        sl_buf_printf(&b, "%s/%s", ps->path, dir);
        if (rel.oom || b.oom) { sl_buf_fini(&rel); sl_buf_fini(&b); return sl_err_oom(err); }
        int rc = *dir ? mkdirs(b.data) : 0;
        if (rc) {
            st = rc == -2 ? sl_err_oom(err)
                          : sl_err(err, SL_ERR_IO, "parquet sink: cannot create %s: %s", b.data, strerror(errno));
            sl_buf_fini(&rel);
            sl_buf_fini(&b);
            return st;
        }
        st = state_put(&ps->st, rel.data, 0, 0, &op->file_idx, err);
        if (!st) {
            sl_buf_reset(&b);
            sl_buf_printf(&b, "%s/%s", ps->path, rel.data);
            st = b.oom ? sl_err_oom(err) : sl_pq_writer_open(b.data, ps->data_schema, &ps->wo, &op->w, err);
        }
        sl_buf_fini(&rel);
    }
    sl_buf_fini(&b);
    if (st) return st;
    if ((st = touch(ps, op->file_idx, err))) return st;
    *out = op;
    return SL_OK;
}

/* Writes rows sel[0..n) of b (all rows when sel is NULL) to dir's part. */
static sl_status write_rows(psink *ps, sl_batch *b, const int32_t *sel, int64_t n, const char *dir,
                            sl_error *err)
{
    sl_batch *d = sl_batch_new(ps->data_schema->n);
    if (!d) return sl_err_oom(err);
    for (int k = 0; k < ps->data_schema->n; k++) {
        sl_col *src = b->cols[ps->data_cols[k]];
        d->cols[k] = sel ? sl_col_gather(src, sel, n) : sl_col_ref(src);
        if (!d->cols[k]) { sl_batch_unref(d); return sl_err_oom(err); }
    }
    d->n_rows = n;
    sl_status st = SL_OK;
    int64_t pos = 0;
    while (pos < n && !st) {
        open_part *op = NULL;
        if ((st = part_for(ps, dir, &op, err))) break;
        int64_t room = ps->max_rows - sl_pq_writer_rows(op->w);
        int64_t take = n - pos < room ? n - pos : room;
        if (take <= 0) take = 1;
        sl_batch *piece = d;
        if (take != n) {
            piece = sl_batch_new(d->n_cols);
            if (!piece) { st = sl_err_oom(err); break; }
            for (int k = 0; k < d->n_cols; k++)
                if (!(piece->cols[k] = sl_col_slice(d->cols[k], pos, take))) { st = sl_err_oom(err); break; }
            piece->n_rows = take;
        }
        if (!st) st = sl_pq_writer_append(op->w, piece, err);
        if (piece != d) sl_batch_unref(piece);
        pos += take;
        if (!st && (sl_pq_writer_rows(op->w) >= ps->max_rows || sl_pq_writer_bytes(op->w) >= ps->max_bytes))
            st = close_part(ps, op, err);   /* full: the next rows start a new file */
    }
    sl_batch_unref(d);
    return st;
}

static sl_status psink_write(sl_sink *snk, sl_batch *b, sl_error *err)
{
    psink *ps = snk->impl;
    if (ps->batch < 0) return sl_err(err, SL_ERR_INTERNAL, "parquet sink: write outside a batch");
    if (ps->skip) return SL_OK;
    if (b->n_rows == 0) return SL_OK;
    if (ps->n_part == 0) return write_rows(ps, b, NULL, b->n_rows, "", err);
    /* group rows by partition directory, in order of first appearance */
    char **dirs = NULL;
    int32_t **sels = NULL;
    int64_t *counts = NULL;
    size_t nd = 0, cap = 0;
    sl_status st = SL_OK;
    sl_buf key;
    sl_buf_init(&key);
    size_t last = 0;
    for (int64_t r = 0; r < b->n_rows && !st; r++) {
        sl_buf_reset(&key);
        for (int k = 0; k < ps->n_part; k++) {
            if (k) sl_buf_putc(&key, '/');
            const char *nm = snk->schema->fields[ps->part_cols[k]].name;
            put_escaped(&key, nm, strlen(nm));
            sl_buf_putc(&key, '=');
            put_partition_value(&key, b->cols[ps->part_cols[k]], r);
        }
        if (key.oom) { st = sl_err_oom(err); break; }
        size_t g = nd;
        if (nd && !strcmp(dirs[last], key.data)) g = last;
        else for (size_t i = 0; i < nd; i++) if (!strcmp(dirs[i], key.data)) { g = i; break; }
        if (g == nd) {
            if (nd == cap) {
                size_t c2 = cap;
                if (sl_grow((void **)&dirs, &c2, nd + 1, sizeof *dirs)) { st = sl_err_oom(err); break; }
                c2 = cap;
                if (sl_grow((void **)&sels, &c2, nd + 1, sizeof *sels)) { st = sl_err_oom(err); break; }
                c2 = cap;
                if (sl_grow((void **)&counts, &c2, nd + 1, sizeof *counts)) { st = sl_err_oom(err); break; }
                cap = c2;
            }
            dirs[nd] = sl_strdup(key.data);
            sels[nd] = sl_malloc((size_t)b->n_rows * sizeof **sels);
            counts[nd] = 0;
            nd++;
            if (!dirs[nd - 1] || !sels[nd - 1]) { st = sl_err_oom(err); break; }
        }
        sels[g][counts[g]++] = (int32_t)r;
        last = g;
    }
    for (size_t i = 0; i < nd && !st; i++) st = write_rows(ps, b, sels[i], counts[i], dirs[i], err);
    for (size_t i = 0; i < nd; i++) { sl_free(dirs[i]); sl_free(sels[i]); }
    sl_free(dirs);
    sl_free(sels);
    sl_free(counts);
    sl_buf_fini(&key);
    return st;
}

static sl_status psink_commit(sl_sink *snk, int64_t batch_id, sl_error *err)
{
    psink *ps = snk->impl;
    if (ps->skip) {
        ps->batch = -1;
        return SL_OK;
    }
    sl_status st = SL_OK;
    for (size_t i = 0; i < ps->n_open && !st; i++)
        if (ps->open[i].w) st = close_part(ps, &ps->open[i], err);
    if (st) return st;
    sl_buf m;
    sl_buf_init(&m);
    sl_buf_printf(&m, "{\"version\":1,\"batchId\":%" PRId64 ",\"files\":[", batch_id);
    for (size_t i = 0; i < ps->n_touched; i++) {
        const pfile *f = &ps->st.files[ps->touched[i]];
        if (i) sl_buf_putc(&m, ',');
        sl_buf_puts(&m, "{\"path\":");
        sl_buf_json_str(&m, f->rel, strlen(f->rel));
        sl_buf_printf(&m, ",\"length\":%" PRId64 ",\"rows\":%" PRId64 "}", f->length, f->rows);
    }
    sl_buf_puts(&m, "]}\n");
    sl_buf dir, name;
    sl_buf_init(&dir);
    sl_buf_init(&name);
    sl_buf_printf(&dir, "%s/" MANIFEST_DIR, ps->path);
    sl_buf_printf(&name, "%" PRId64, batch_id);
    if (m.oom || dir.oom || name.oom) st = sl_err_oom(err);
    else st = write_atomic(dir.data, name.data, m.data, m.len, err);
    sl_buf_fini(&m);
    sl_buf_fini(&dir);
    sl_buf_fini(&name);
    if (st) return st;
    for (size_t i = 0; i < ps->n_open; i++) sl_free(ps->open[i].dir);
    ps->n_open = 0;
    ps->n_touched = 0;
    ps->last_committed = batch_id;
    ps->batch = -1;
    return SL_OK;
}

static void psink_close(sl_sink *snk)
{
    psink_free(snk->impl);
    snk->impl = NULL;
}

const sl_sink_ops sl_parquet_sink_ops = {
    .connector = "parquet",
    .open = psink_open,
    .begin = psink_begin,
    .write = psink_write,
    .commit = psink_commit,
    .close = psink_close,
};
