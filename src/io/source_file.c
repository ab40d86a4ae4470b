/* The file source: `path` is a file or a directory; files that appear in
 * the directory are picked up on later triggers, oldest first (modification
 * time, then name), at most maxFilesPerTrigger per batch (default 1000).
 * The offset is the number of files consumed in that order
 * ({"files": N}).  Hidden files (".", "_") are skipped, so a writer that
 * creates a file under a hidden name and renames it is never read half
 * written; a directory written by a sluice file sink is read through its
 * manifest, so only committed files are seen (Spark's _spark_metadata).
 *
 * Text formats (json lines or csv; a CSV file starts with its header): each
 * file is read in large blocks and split into lines for the format
 * (io/lines.h).
 *
 * format = 'parquet': each file is read with the flat Parquet reader into
 * the declared columns, bound by name (case-insensitively, as Spark
 * resolves); a declared column the file lacks is NULL (or, under a Hive
 * partition directory `col=value`, that value — such directories are
 * listed too, in this format only); a file column of another
 * type is cast with Spark's lenient rules (sl_cast_col), and a type that
 * cannot be cast at all is an error naming the file and the column.  A
 * damaged file is an error naming it, unless mode = 'DROPMALFORMED' or
 * ignoreCorruptFiles = 'true' (Spark's option): then the file is skipped
 * whole and counted in the source's malformed/dropped counters.
 *
 * A directory written by a sluice Parquet sink (connector = 'parquet', or the
 * file sink with format = 'parquet') is different: the sink rolls files
 * across batches, appending row groups to a file a previous batch committed,
 * so a file is not a unit that is read once.  There the offset is the sink's
 * last committed batch read ({"sinkBatch": B}), a trigger takes at most
 * maxFilesPerTrigger sink batches, and reading (A, B] delivers, for each file
 * in the sink's state as of batch B, the rows beyond those it had as of
 * batch A, opened at the length batch B committed — so rows half appended
 * by a running sink, or left by a crashed one, are never seen. */
#include "io/lines.h"
#include "format/parquet.h"
#include "exec/func.h"
#include "state/manifest.h"
#include "core/mem.h"
#include "core/status.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fentry { char *path; int64_t mtime_ns; } fentry;

typedef struct file_src {
    char *path;
    bool is_dir;
    bool parquet;            /* format = 'parquet' */
    bool skip_corrupt;       /* parquet: DROPMALFORMED / ignoreCorruptFiles */
    bool pq_sink;            /* path is a parquet sink's directory */
    int64_t max_files;
    fentry *files;           /* discovered, in consumption order */
    size_t n_files, files_cap;
    size_t *index;           /* hash index over files[] (see known) */
    size_t index_cap, n_indexed;
    int64_t consumed;        /* files (sink mode: last sink batch) read by committed or running batches */
    int64_t bound_batch;     /* sink mode, bounded: the last sink batch of the first listing */
    bool listed;             /* the directory was listed at least once */
    sl_pq_committed *seen;   /* sink mode: the sink's files as of batch seen_batch */
    int n_seen;
    int64_t seen_batch;
    sl_lines ln;
    char *text;              /* text formats: the read buffer (read_text_file) */
    size_t text_cap;
} file_src;

static sl_status fsrc_open(sl_source *src, sl_error *err)
{
    file_src *f = sl_calloc(1, sizeof *f);
    if (!f) return sl_err_oom(err);
    src->impl = f;
    const char *path = sl_options_get(&src->opts, "path");
    if (!path) return sl_err(err, SL_ERR_CONFIG, "option 'path' (a file or directory) is missing");
    if (!(f->path = sl_strdup(path))) return sl_err_oom(err);
    size_t len = strlen(f->path);
    while (len > 1 && f->path[len - 1] == '/') f->path[--len] = 0;
    struct stat stt;
    if (stat(path, &stt)) return sl_err(err, SL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    f->is_dir = S_ISDIR(stt.st_mode);
    sl_status st = sl_options_get_i64(&src->opts, "maxFilesPerTrigger", 1000, &f->max_files, err);
    if (st) return st;
    if (f->max_files < 1) return sl_err(err, SL_ERR_CONFIG, "maxFilesPerTrigger must be at least 1");
    f->parquet = !strcasecmp(sl_options_get_or(&src->opts, "format", "text"), "parquet");
    if (!f->parquet) return sl_lines_init(&f->ln, src, err);
    const char *mode = sl_options_get_or(&src->opts, "mode", "FAILFAST");
    if (!strcasecmp(mode, "DROPMALFORMED")) f->skip_corrupt = true;
    else if (strcasecmp(mode, "FAILFAST") && strcasecmp(mode, "PERMISSIVE"))
        return sl_err(err, SL_ERR_CONFIG, "option 'mode' must be PERMISSIVE, DROPMALFORMED or FAILFAST, not '%s'", mode);
    bool ignore = false;
    if ((st = sl_options_get_bool(&src->opts, "ignoreCorruptFiles", false, &ignore, err))) return st;
    f->skip_corrupt |= ignore;
    if (f->is_dir) {
        int64_t *ids;
        size_t n;
        sl_pq_dir_kind kind;
        if ((st = sl_parquet_sink_batches(f->path, &ids, &n, &kind, err))) return st;
        sl_free(ids);
        /* nothing committed yet: wait for the sink's first manifest rather
         * than list files it may be writing */
        f->pq_sink = kind == SL_PQ_DIR_SINK || kind == SL_PQ_DIR_SINK_EMPTY;
    }
    f->consumed = f->pq_sink ? -1 : 0;
    f->bound_batch = -1;
    f->seen_batch = -1;
    return SL_OK;
}

/* Known paths are found through a hash index over files[] (slots hold
 * index + 1, 0 when empty), so listing a directory of n files costs O(n)
 * rather than O(n^2) string compares on every trigger. */
static uint64_t path_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static bool known(const file_src *f, const char *path)
{
    if (!f->index_cap) return false;
    for (size_t i = path_hash(path) & (f->index_cap - 1);; i = (i + 1) & (f->index_cap - 1)) {
        size_t k = f->index[i];
        if (!k) return false;
        if (!strcmp(f->files[k - 1].path, path)) return true;
    }
}

/* Indexes files[0 .. n_files), growing the table to stay under half full. */
static int index_files(file_src *f)
{
    if (f->n_files * 2 >= f->index_cap) {
        size_t cap = f->index_cap ? f->index_cap : 64;
        while (f->n_files * 2 >= cap) cap *= 2;
        size_t *t = sl_calloc(cap, sizeof *t);
        if (!t) return -1;
        sl_free(f->index);
        f->index = t;
        f->index_cap = cap;
        f->n_indexed = 0;
    }
    for (; f->n_indexed < f->n_files; f->n_indexed++) {
        size_t i = path_hash(f->files[f->n_indexed].path) & (f->index_cap - 1);
        while (f->index[i]) i = (i + 1) & (f->index_cap - 1);
        f->index[i] = f->n_indexed + 1;
    }
    return 0;
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
    return index_files(f) ? sl_err_oom(err) : SL_OK;
}

/* Adds the regular files of dir not seen before to fresh; in parquet mode
 * also those under Hive partition directories (`name=value`, as Spark,
 * DuckDB and sluice's sink write them), whose values fill the declared
 * columns the files lack. */
static sl_status list_dir(file_src *f, const char *dir, int depth, fentry **fresh, size_t *n, size_t *cap,
                          sl_error *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (depth > 0 && errno == ENOENT) return SL_OK; /* removed meanwhile */
        return sl_err(err, SL_ERR_IO, "cannot list %s: %s", dir, strerror(errno));
    }
    char full[4096];
    struct dirent *de;
    sl_status st = SL_OK;
    while (!st && (de = readdir(d))) {
        if (de->d_name[0] == '.' || de->d_name[0] == '_') continue;
        snprintf(full, sizeof full, "%s/%s", dir, de->d_name);
        struct stat stt;
        if (stat(full, &stt)) continue;
        if (S_ISDIR(stt.st_mode)) {
            if (f->parquet && depth < 16 && strchr(de->d_name, '='))
                st = list_dir(f, full, depth + 1, fresh, n, cap, err);
            continue;
        }
        if (!S_ISREG(stt.st_mode) || known(f, full)) continue;
        if (sl_grow((void **)fresh, cap, *n + 1, sizeof **fresh) || !((*fresh)[*n].path = sl_strdup(full))) {
            st = sl_err_oom(err);
            break;
        }
        (*fresh)[(*n)++].mtime_ns = (int64_t)stt.st_mtim.tv_sec * 1000000000LL + stt.st_mtim.tv_nsec;
    }
    closedir(d);
    return st;
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
    int64_t *ids;
    size_t n_ids;
    sl_pq_dir_kind kind;
    if ((st = sl_parquet_sink_batches(f->path, &ids, &n_ids, &kind, err))) return st;
    sl_free(ids);
    if (kind == SL_PQ_DIR_SINK || (f->parquet && kind == SL_PQ_DIR_SINK_EMPTY)) {
        if (!f->parquet)
            return sl_err(err, SL_ERR_CONFIG, "%s is a Parquet sink's directory: read it with format = 'parquet'", f->path);
        /* the sink started writing after this source opened */
        if (f->n_files)
            return sl_err(err, SL_ERR_IO, "%s became a Parquet sink's directory after files were read from it", f->path);
        f->pq_sink = true;
        f->consumed = -1;
        return SL_OK;
    }
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
        st = list_dir(f, f->path, 0, &fresh, &n, &cap, err);
    }
    sl_manifest_files_fini(&mf);
    if (!st && n) st = add_new(f, fresh, n, err);
    else for (size_t i = 0; i < n; i++) sl_free(fresh[i].path);
    sl_free(fresh);
    return st;
}

static int64_t parse_key(const char *json, const char *key, int64_t dflt)
{
    const char *p = json ? strstr(json, key) : NULL;
    const char *colon = p ? strchr(p, ':') : NULL;
    return colon ? strtoll(colon + 1, NULL, 10) : dflt;
}

static int64_t parse_files(const char *json) { return parse_key(json, "\"files\"", 0); }
static int64_t parse_sink_batch(const char *json) { return parse_key(json, "\"sinkBatch\"", -1); }

/* Sink mode: the end of the next batch, up to max_files sink batches on. */
static sl_status plan_sink(sl_source *src, file_src *f, const char *start, char **out_end, sl_error *err)
{
    int64_t *ids;
    size_t n;
    sl_pq_dir_kind kind;
    sl_status st = sl_parquet_sink_batches(f->path, &ids, &n, &kind, err);
    if (st) return st;
    if (src->bounded && !f->listed) f->bound_batch = n ? ids[n - 1] : -1;
    f->listed = true;
    int64_t from = parse_sink_batch(start), to = from, taken = 0;
    if (from > f->consumed) f->consumed = from; /* restarted: as fsrc_plan */
    for (size_t i = 0; i < n && taken < f->max_files; i++) {
        if (ids[i] <= from) continue;
        if (src->bounded && ids[i] > f->bound_batch) break;
        to = ids[i];
        taken++;
    }
    sl_free(ids);
    if (to == from) return SL_OK;
    char buf[64];
    snprintf(buf, sizeof buf, "{\"sinkBatch\":%lld}", (long long)to);
    *out_end = sl_strdup(buf);
    return *out_end ? SL_OK : sl_err_oom(err);
}

static sl_status fsrc_plan(sl_source *src, const char *start, char **out_end, sl_error *err)
{
    file_src *f = src->impl;
    *out_end = NULL;
    if (f->pq_sink) return plan_sink(src, f, start, out_end, err);
    /* A bounded source (a table, or availableNow) sees the files of its
     * first listing only. */
    if (!(src->bounded && f->n_files)) {
        sl_status st = discover(f, err);
        if (st) return st;
        if (f->pq_sink) return plan_sink(src, f, start, out_end, err);
        f->listed = true;
    }
    int64_t from = parse_files(start);
    /* everything before the start is committed: a source restarted past
     * the end of its input has consumed it all (exhausted() says so) */
    if (from > f->consumed) f->consumed = from;
    int64_t to = from + f->max_files;
    if (to > (int64_t)f->n_files) to = (int64_t)f->n_files;
    if (to <= from) return SL_OK;
    char buf[64];
    snprintf(buf, sizeof buf, "{\"files\":%lld}", (long long)to);
    *out_end = sl_strdup(buf);
    return *out_end ? SL_OK : sl_err_oom(err);
}

/* Text files are read in large blocks with read(2) into one buffer the
 * source keeps (TEXT_BLOCK bytes, grown only for a line longer than that)
 * and split at '\n' with memchr: a record is handed to the format straight
 * from the buffer, with no copy and no stdio per line.  A trailing '\r'
 * (CRLF files) is not part of the record; blank lines are not records; a
 * last line without its newline is one.
 *
 * The buffer grows to at most 'maxRecordBytes' + 2 bytes: a line that
 * fills that much is over the limit whatever follows (even if it ends in
 * '\r', which is not part of the record), so the source keeps
 * its first kilobyte, reads on to its newline counting bytes without
 * keeping them, and hands the format the head and the full length
 * (sl_lines_add_oversized).  A line of gigabytes costs no more memory than
 * one at the limit, and the lines after it are read as usual. */
#define TEXT_BLOCK ((size_t)1 << 20)
#define OVERSIZED_HEAD 1024

static sl_status text_lines(file_src *f, const char *p, size_t n, sl_error *err)
{
    if (n && p[n - 1] == '\r') n--;
    if (n == 0) return SL_OK;
    return sl_lines_add(&f->ln, p, n, err);
}

/* A line over the limit that was skipped rather than kept. */
typedef struct skipped_line {
    bool on;                    /* inside such a line */
    char head[OVERSIZED_HEAD];  /* its first bytes */
    size_t head_len;
    size_t len;                 /* bytes so far */
    char last;                  /* its last byte so far ('\r' is dropped) */
} skipped_line;

static sl_status skipped_end(file_src *f, skipped_line *sk, sl_error *err)
{
    sk->on = false;
    return sl_lines_add_oversized(&f->ln, sk->head, sk->head_len, sk->len - (sk->last == '\r'), err);
}

static sl_status read_text_file(file_src *f, const char *path, sl_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sl_err(err, SL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (f->ln.fmt) sl_format_begin_file(f->ln.fmt);
    sl_status st = SL_OK;
    if (!f->text && !(f->text = sl_malloc(TEXT_BLOCK))) st = sl_err_oom(err);
    if (!st) f->text_cap = f->text_cap ? f->text_cap : TEXT_BLOCK;
    /* A line that fills limit + 2 bytes is over the limit even without
     * its '\r' (a line of exactly the limit may end in one). */
    size_t keep_max = (size_t)f->ln.max_record + 2;
    size_t have = 0; /* bytes of an unfinished line at the start of f->text */
    skipped_line sk = {0};
    while (!st) {
        if (have == f->text_cap && have >= keep_max) { /* over the limit: stop keeping it */
            sk.on = true;
            sk.head_len = have < OVERSIZED_HEAD ? have : OVERSIZED_HEAD;
            memcpy(sk.head, f->text, sk.head_len);
            sk.len = have;
            sk.last = f->text[have - 1];
            have = 0;
        } else if (have == f->text_cap) { /* one line fills the buffer: grow it */
            size_t cap = f->text_cap * 2 < keep_max ? f->text_cap * 2 : keep_max;
            char *nb = sl_realloc(f->text, cap);
            if (!nb) { st = sl_err_oom(err); break; }
            f->text = nb;
            f->text_cap = cap;
        }
        ssize_t got = read(fd, f->text + have, f->text_cap - have);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) { st = sl_err(err, SL_ERR_IO, "cannot read %s: %s", path, strerror(errno)); break; }
        if (got == 0) { /* end of file: the last line may lack its newline */
            if (sk.on) st = skipped_end(f, &sk, err);
            else if (have) st = text_lines(f, f->text, have, err);
            break;
        }
        char *p = f->text, *end = f->text + have + (size_t)got, *nl;
        if (sk.on) {
            nl = memchr(p, '\n', (size_t)(end - p));
            char *stop = nl ? nl : end;
            if (stop > p) {
                sk.len += (size_t)(stop - p);
                sk.last = stop[-1];
            }
            if (!nl) {
                have = 0;
                continue;
            }
            st = skipped_end(f, &sk, err);
            p = nl + 1;
        }
        while (!st && (nl = memchr(p, '\n', (size_t)(end - p)))) {
            st = text_lines(f, p, (size_t)(nl - p), err);
            p = nl + 1;
        }
        have = (size_t)(end - p);
        if (have && p != f->text) memmove(f->text, p, have);
    }
    close(fd);
    if (st) sl_err_prefix(err, "%s", path);
    return st;
}

/* ---- parquet ------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The value of Hive partition directory `name=value` in `rel` (a path
 * relative to the source directory), %XX-unescaped, into *out (heap);
 * *found false when no directory names the column; *out NULL for Spark's
 * NULL partition. */
static sl_status partition_value(const char *rel, const char *name, bool *found, char **out,
                                 sl_error *err)
{
    *found = false;
    *out = NULL;
    size_t nl = strlen(name);
    const char *seg = rel;
    for (const char *slash; rel && (slash = strchr(seg, '/')); seg = slash + 1) {
        const char *eq = memchr(seg, '=', (size_t)(slash - seg));
        if (!eq || (size_t)(eq - seg) != nl || strncasecmp(seg, name, nl)) continue;
        const char *v = eq + 1;
        size_t vl = (size_t)(slash - v);
        *found = true;
        if (vl == 26 && !strncmp(v, "__HIVE_DEFAULT_PARTITION__", 26)) return SL_OK;
        char *s = sl_malloc(vl + 1);
        if (!s) return sl_err_oom(err);
        size_t k = 0;
        for (size_t i = 0; i < vl; i++) {
            int hi, lo;
            if (v[i] == '%' && i + 2 < vl && (hi = hexval(v[i + 1])) >= 0 && (lo = hexval(v[i + 2])) >= 0) {
                s[k++] = (char)(hi * 16 + lo);
                i += 2;
            } else {
                s[k++] = v[i];
            }
        }
        s[k] = 0;
        *out = s;
        return SL_OK;
    }
    return SL_OK;
}

/* How one file's columns feed the declared ones. */
typedef struct pq_bind {
    int *file_col;      /* per declared column: file column or -1 */
    char **part;        /* per declared column without a file column: partition text (NULL: NULL) */
} pq_bind;

static void bind_fini(pq_bind *b, int n)
{
    if (b->part) for (int i = 0; i < n; i++) sl_free(b->part[i]);
    sl_free(b->part);
    sl_free(b->file_col);
}

static sl_status bind_file(const sl_schema *decl, const sl_pq_file *pf, const char *rel,
                           pq_bind *b, sl_error *err)
{
    const sl_schema *fs = sl_pq_schema(pf);
    b->file_col = sl_calloc((size_t)decl->n + 1, sizeof *b->file_col);
    b->part = sl_calloc((size_t)decl->n + 1, sizeof *b->part);
    if (!b->file_col || !b->part) return sl_err_oom(err);
    for (int i = 0; i < decl->n; i++) {
        const sl_field *d = &decl->fields[i];
        int j = sl_schema_find(fs, d->name);
        b->file_col[i] = j;
        if (j >= 0) {
            sl_type t = fs->fields[j].type;
            if (t != d->type && !sl_cast_allowed(t, d->type))
                return sl_err(err, SL_ERR_TYPE, "column %s is %s in the file but declared %s, which it cannot be cast to",
                              d->name, sl_type_name(t), sl_type_name(d->type));
            continue;
        }
        if (sl_pq_nested_column(pf, d->name))
            return sl_err(err, SL_ERR_TYPE, "column %s is nested in the file (a struct, list or map); "
                          "the file source reads flat columns only", d->name);
        bool found;
        sl_status st = partition_value(rel, d->name, &found, &b->part[i], err);
        if (st) return st;
    }
    return SL_OK;
}

/* The declared columns of a batch the reader returned. */
static sl_status shape_batch(const sl_schema *decl, const pq_bind *bind, sl_batch *in,
                             sl_batch **out, sl_error *err)
{
    *out = NULL;
    sl_batch *b = sl_batch_new(decl->n);
    if (!b) return sl_err_oom(err);
    int64_t n = in->n_rows;
    b->n_rows = n;
    sl_status st = SL_OK;
    for (int i = 0; i < decl->n && !st; i++) {
        sl_type want = decl->fields[i].type;
        int j = bind->file_col[i];
        if (j >= 0) {
            st = sl_cast_col(in->cols[j], want, &b->cols[i], err);
            if (st) sl_err_prefix(err, "column %s", decl->fields[i].name);
        } else if (!bind->part[i]) {
            if (!(b->cols[i] = sl_col_new_nulls(want, n))) st = sl_err_oom(err);
        } else {
            size_t vl = strlen(bind->part[i]);
            sl_col *s = sl_col_new(SL_TYPE_STRING);
            if (!s || sl_col_reserve(s, n, vl * (size_t)n)) st = sl_err_oom(err);
            for (int64_t r = 0; r < n && !st; r++)
                if (sl_col_append_str(s, bind->part[i], vl)) st = sl_err_oom(err);
            if (!st) st = sl_cast_col(s, want, &b->cols[i], err);
            sl_col_unref(s);
        }
    }
    if (st) { sl_batch_unref(b); return st; }
    *out = b;
    return SL_OK;
}

typedef struct held { sl_batch **b; size_t n, cap; } held;

static void held_fini(held *h)
{
    for (size_t i = 0; i < h->n; i++) sl_batch_unref(h->b[i]);
    sl_free(h->b);
    memset(h, 0, sizeof *h);
}

/* Reads `path` (its first `len` bytes; -1: all) from row `skip` on.
 * `rows_expected` >= 0 checks the file's row count (a sink manifest's).
 * Batches go to emit, or into *hold when the file must be read whole
 * before any of it is delivered (skipping corrupt files). */
static sl_status read_pq(sl_source *src, const char *path, const char *rel, int64_t len, int64_t skip,
                         int64_t rows_expected, held *hold, sl_emit_fn emit, void *ctx, sl_error *err)
{
    sl_pq_file *pf = NULL;
    sl_status st = sl_pq_open(path, len, &pf, err);
    if (st) return st;
    pq_bind bind = {0};
    if (rows_expected >= 0 && sl_pq_num_rows(pf) != rows_expected)
        st = sl_err(err, SL_ERR_FORMAT, "%s: the file has %lld rows where the sink's manifest records %lld",
                    path, (long long)sl_pq_num_rows(pf), (long long)rows_expected);
    if (!st) {
        st = bind_file(src->schema, pf, rel, &bind, err);
        if (st) sl_err_prefix(err, "%s", path);
    }
    if (!st) st = sl_pq_skip_rows(pf, skip, err);
    while (!st) {
        sl_batch *raw = NULL, *b = NULL;
        if ((st = sl_pq_read_batch(pf, SL_BATCH_ROWS, &raw, err)) || !raw) break;
        st = shape_batch(src->schema, &bind, raw, &b, err);
        sl_batch_unref(raw);
        if (st) break;
        if (hold) {
            if (sl_grow((void **)&hold->b, &hold->cap, hold->n + 1, sizeof *hold->b)) { sl_batch_unref(b); st = sl_err_oom(err); break; }
            hold->b[hold->n++] = b;
            continue;
        }
        src->stats.rows += b->n_rows;
        st = b->n_rows ? emit(ctx, b, err) : SL_OK;
        sl_batch_unref(b);
    }
    if (!st && len > 0) {
        /* a file read from row `skip` on counts its share of the bytes */
        int64_t total = sl_pq_num_rows(pf);
        src->stats.bytes += skip > 0 && total > 0 ? (int64_t)((double)len * (double)(total - skip) / (double)total) : len;
    }
    bind_fini(&bind, src->schema->n);
    sl_pq_close(pf);
    return st;
}

/* One whole file of a plain directory, with the corrupt-file policy. */
static sl_status read_pq_file(sl_source *src, file_src *f, const char *path, sl_emit_fn emit, void *ctx,
                              sl_error *err)
{
    struct stat stt;
    int64_t len = stat(path, &stt) ? -1 : (int64_t)stt.st_size;
    const char *rel = strncmp(path, f->path, strlen(f->path)) ? NULL : path + strlen(f->path) + 1;
    if (!f->is_dir) rel = NULL;
    if (!f->skip_corrupt) {
        sl_status st = read_pq(src, path, rel, len, 0, -1, NULL, emit, ctx, err);
        if (st == SL_ERR_FORMAT && err && !strstr(err->msg, path)) sl_err_prefix(err, "%s", path);
        return st;
    }
    held h = {0};
    sl_status st = read_pq(src, path, rel, len, 0, -1, &h, emit, ctx, err);
    if (st == SL_ERR_FORMAT) {
        /* ignoreCorruptFiles: the file counts as one malformed record */
        held_fini(&h);
        src->stats.malformed++;
        src->stats.dropped++;
        sl_err_clear(err);
        return SL_OK;
    }
    for (size_t i = 0; i < h.n && !st; i++) {
        src->stats.rows += h.b[i]->n_rows;
        if (h.b[i]->n_rows) st = emit(ctx, h.b[i], err);
    }
    held_fini(&h);
    return st;
}

/* The sink's files as of batch b, from `base` (as of batch a, borrowed) and
 * the manifests of the batches in (a, b].  New files go at the end, in
 * order of first commit, as the sink's own listing has them. */
static sl_status advance_state(const char *dir, const sl_pq_committed *base, int n_base, const int64_t *ids,
                               size_t n_ids, int64_t a, int64_t b, sl_pq_committed **out, int *out_n,
                               sl_error *err)
{
    *out = NULL;
    *out_n = 0;
    size_t cap = (size_t)n_base + 8, n = 0;
    sl_pq_committed *c = sl_calloc(cap, sizeof *c);
    if (!c) return sl_err_oom(err);
    sl_status st = SL_OK;
    for (; n < (size_t)n_base; n++) {
        c[n] = base[n];
        if (!(c[n].path = sl_strdup(base[n].path))) { st = sl_err_oom(err); break; }
    }
    for (size_t i = 0; i < n_ids && !st; i++) {
        if (ids[i] <= a || ids[i] > b) continue;
        sl_pq_committed *bf;
        int nb;
        if ((st = sl_parquet_sink_batch_files(dir, ids[i], &bf, &nb, err))) break;
        for (int k = 0; k < nb && !st; k++) {
            /* a batch touches the files it appended to, usually the newest */
            size_t j = n;
            while (j > 0 && strcmp(c[j - 1].path, bf[k].path)) j--;
            if (j > 0) {
                c[j - 1].length = bf[k].length;
                c[j - 1].rows = bf[k].rows;
                continue;
            }
            if (sl_grow((void **)&c, &cap, n + 1, sizeof *c)) { st = sl_err_oom(err); break; }
            c[n++] = bf[k];
            bf[k].path = NULL; /* moved */
        }
        sl_pq_committed_free(bf, nb);
    }
    if (st) {
        sl_pq_committed_free(c, (int)n);
        return st;
    }
    *out = c;
    *out_n = (int)n;
    return SL_OK;
}

/* Sink mode: the rows committed by sink batches (a, b]. */
static sl_status read_sink(sl_source *src, file_src *f, int64_t a, int64_t b, sl_emit_fn emit, void *ctx,
                           sl_error *err)
{
    sl_pq_committed *was = NULL, *now = NULL;
    int n_was = 0, n_now = 0;
    int64_t *ids;
    size_t n_ids;
    sl_pq_dir_kind kind;
    sl_status st = sl_parquet_sink_batches(f->path, &ids, &n_ids, &kind, err);
    if (st) return st;
    bool have = false;
    for (size_t i = 0; i < n_ids; i++) have |= ids[i] == b;
    if (!have) {
        sl_free(ids);
        return sl_err(err, SL_ERR_IO, "%s: sink batch %lld was logged for this batch but its manifest is gone",
                      f->path, (long long)b);
    }
    /* The state the previous read ended at is kept, and only the manifests
     * after it are read; after a restart, the states are loaded whole. */
    if (a >= 0 && a == f->seen_batch) {
        was = f->seen;
        n_was = f->n_seen;
        f->seen = NULL;
        f->n_seen = 0;
        st = advance_state(f->path, was, n_was, ids, n_ids, a, b, &now, &n_now, err);
    } else {
        if (a >= 0) st = sl_parquet_sink_committed_upto(f->path, a, &was, &n_was, err);
        if (!st) st = sl_parquet_sink_committed_upto(f->path, b, &now, &n_now, err);
    }
    sl_free(ids);
    size_t dl = strlen(f->path) + 1;
    for (int i = 0; i < n_now && !st; i++) {
        /* the sink lists files in order of first commit, so the older
         * state is a prefix of the newer one */
        int64_t before = 0;
        if (i < n_was && !strcmp(was[i].path, now[i].path)) before = was[i].rows;
        else for (int k = 0; k < n_was; k++)
            if (!strcmp(was[k].path, now[i].path)) before = was[k].rows;
        if (now[i].rows <= before) continue;
        const char *rel = strlen(now[i].path) > dl ? now[i].path + dl : NULL;
        st = read_pq(src, now[i].path, rel, now[i].length, before, now[i].rows, NULL, emit, ctx, err);
        if (st == SL_ERR_FORMAT && err && !strstr(err->msg, now[i].path)) sl_err_prefix(err, "%s", now[i].path);
    }
    sl_pq_committed_free(was, n_was);
    sl_pq_committed_free(f->seen, f->n_seen);
    f->seen = NULL;
    f->n_seen = 0;
    f->seen_batch = -1;
    if (st) {
        sl_pq_committed_free(now, n_now);
        return st;
    }
    f->seen = now;
    f->n_seen = n_now;
    f->seen_batch = b;
    f->consumed = b;
    return SL_OK;
}

static sl_status fsrc_read(sl_source *src, const char *start, const char *end, sl_emit_fn emit,
                           void *ctx, sl_error *err)
{
    file_src *f = src->impl;
    if (f->pq_sink) return read_sink(src, f, parse_sink_batch(start), parse_sink_batch(end), emit, ctx, err);
    int64_t a = parse_files(start), b = parse_files(end);
    if (b > (int64_t)f->n_files) {
        /* a restart: the listing must reach the logged end again */
        sl_status st = discover(f, err);
        if (st) return st;
        if (b > (int64_t)f->n_files)
            return sl_err(err, SL_ERR_IO, "%s: %lld files were logged for this batch but only %zu exist now",
                          f->path, (long long)b, f->n_files);
    }
    if (f->parquet) {
        for (int64_t i = a; i < b; i++) {
            sl_status st = read_pq_file(src, f, f->files[i].path, emit, ctx, err);
            if (st) return st;
        }
        f->consumed = b;
        return SL_OK;
    }
    sl_lines_start(&f->ln, emit, ctx);
    for (int64_t i = a; i < b; i++) {
        sl_status st = read_text_file(f, f->files[i].path, err);
        if (st) return st;
    }
    f->consumed = b;
    return sl_lines_flush(&f->ln, err);
}

static bool fsrc_exhausted(sl_source *src)
{
    file_src *f = src->impl;
    if (f->pq_sink) return src->bounded && f->listed && f->consumed >= f->bound_batch;
    return src->bounded && f->listed && f->consumed >= (int64_t)f->n_files;
}

static void fsrc_close(sl_source *src)
{
    file_src *f = src->impl;
    if (!f) return;
    sl_lines_fini(&f->ln);
    sl_free(f->text);
    sl_pq_committed_free(f->seen, f->n_seen);
    for (size_t i = 0; i < f->n_files; i++) sl_free(f->files[i].path);
    sl_free(f->files);
    sl_free(f->index);
    sl_free(f->path);
    sl_free(f);
}

const sl_source_ops sl_file_source_ops = {
    .connector = "file", .open = fsrc_open, .plan = fsrc_plan, .read = fsrc_read,
    .exhausted = fsrc_exhausted, .close = fsrc_close};
