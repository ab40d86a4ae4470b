/* Sink manifests (see manifest.h): per-batch lists of committed files with
 * periodic compaction, on top of the atomic checkpoint files. */
#include "state/manifest.h"
#include "state/ckpt_file.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sl_manifest {
    char *dir; /* <sink>/_sluice_metadata */
    int interval;
    int64_t last_batch;
    sl_manifest_files files;
};

void sl_manifest_files_fini(sl_manifest_files *f)
{
    for (size_t i = 0; i < f->n; i++) sl_free(f->paths[i]);
    sl_free(f->paths);
    f->paths = NULL;
    f->n = f->cap = 0;
}

static int files_push(sl_manifest_files *f, char *p)
{
    if (!p || sl_grow((void **)&f->paths, &f->cap, f->n + 1, sizeof(char *)) != 0) {
        sl_free(p);
        return -1;
    }
    f->paths[f->n++] = p;
    return 0;
}

sl_status sl_manifest_parse(const char *text, size_t len, const char *name,
                            sl_manifest_files *out, sl_error *err)
{
    if (len < 3 || memcmp(text, "v1\n", 3) != 0)
        return sl_err(err, SL_ERR_CHECKPOINT, "manifest %s: unknown format (no \"v1\" line)", name);
    const char *p = text + 3, *e = text + len;
    sl_buf b;
    sl_buf_init(&b);
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) {
            sl_buf_fini(&b);
            return sl_err(err, SL_ERR_CHECKPOINT, "manifest %s: last line is unterminated", name);
        }
        sl_buf_reset(&b);
        for (const char *q = p; q < nl; q++) {
            char c = *q;
            if (c == '\\') {
                if (++q == nl || (*q != '\\' && *q != 'n')) {
                    sl_buf_fini(&b);
                    return sl_err(err, SL_ERR_CHECKPOINT, "manifest %s: bad escape", name);
                }
                c = *q == 'n' ? '\n' : '\\';
            } else if (c == 0) {
                sl_buf_fini(&b);
                return sl_err(err, SL_ERR_CHECKPOINT, "manifest %s: NUL in a path", name);
            }
            sl_buf_putc(&b, c);
        }
        if (nl == p) {
            sl_buf_fini(&b);
            return sl_err(err, SL_ERR_CHECKPOINT, "manifest %s: empty path", name);
        }
        if (b.oom || files_push(out, sl_strndup(b.data, b.len)) != 0) {
            sl_buf_fini(&b);
            return sl_err_oom(err);
        }
        p = nl + 1;
    }
    sl_buf_fini(&b);
    return SL_OK;
}

static void put_path(sl_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') sl_buf_puts(b, "\\\\");
        else if (*s == '\n') sl_buf_puts(b, "\\n");
        else sl_buf_putc(b, *s);
    }
    sl_buf_putc(b, '\n');
}

/* Numbered entries of the manifest dir: plain batches and compacts. */
typedef struct entry {
    int64_t batch;
    bool compact;
} entry;

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->batch != y->batch) return x->batch < y->batch ? -1 : 1;
    return (int)x->compact - (int)y->compact;
}

static sl_status scan(const char *dir, entry **out, size_t *n_out, sl_error *err)
{
    *out = NULL;
    *n_out = 0;
    size_t cap = 0;
    DIR *d = opendir(dir);
    if (!d) return sl_err(err, SL_ERR_IO, "manifest: cannot list %s: %s", dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *s = de->d_name;
        size_t n = strlen(s), digits = 0;
        while (digits < n && isdigit((unsigned char)s[digits])) digits++;
        bool compact = digits < n && !strcmp(s + digits, ".compact");
        if (digits == 0 || digits > 18 || (digits < n && !compact)) continue;
        if (sl_grow((void **)out, &cap, *n_out + 1, sizeof(entry)) != 0) {
            closedir(d);
            sl_free(*out);
            *out = NULL;
            return sl_err_oom(err);
        }
        (*out)[*n_out].batch = strtoll(s, NULL, 10);
        (*out)[(*n_out)++].compact = compact;
    }
    closedir(d);
    if (*n_out) qsort(*out, *n_out, sizeof(entry), cmp_entry);
    return SL_OK;
}

static char *entry_path(const char *dir, int64_t batch, bool compact)
{
    size_t n = strlen(dir) + 40;
    char *p = sl_malloc(n);
    if (p) snprintf(p, n, "%s/%" PRId64 "%s", dir, batch, compact ? ".compact" : "");
    return p;
}

static sl_status read_entry(const char *dir, int64_t batch, bool compact,
                            sl_manifest_files *out, bool *out_vanished, sl_error *err)
{
    char *path = entry_path(dir, batch, compact);
    if (!path) return sl_err_oom(err);
    void *text;
    size_t len;
    sl_status st = sl_ckpt_file_read(path, SL_CKPT_KIND_MANIFEST, &text, &len, err);
    if (st == SL_OK) {
        st = sl_manifest_parse(text, len, path, out, err);
        sl_free(text);
    } else if (!sl_ckpt_file_exists(path)) {
        *out_vanished = true;
    }
    sl_free(path);
    return st;
}

/* Loads everything committed: the newest compact, then the batches after
 * it.  *out_vanished reports a file deleted under us by a compaction. */
static sl_status load(const char *dir, sl_manifest_files *out, int64_t *out_last,
                      bool *out_vanished, sl_error *err)
{
    entry *es;
    size_t n;
    *out_vanished = false;
    *out_last = -1;
    sl_status st = scan(dir, &es, &n, err);
    if (st != SL_OK) return st;
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (es[i].compact) start = i;
    for (size_t i = start; i < n && st == SL_OK; i++) {
        st = read_entry(dir, es[i].batch, es[i].compact, out, out_vanished, err);
        *out_last = es[i].batch;
    }
    sl_free(es);
    return st;
}

sl_status sl_manifest_read(const char *sink_dir, sl_manifest_files *out, bool *out_exists,
                           sl_error *err)
{
    memset(out, 0, sizeof *out);
    *out_exists = false;
    size_t n = strlen(sink_dir) + sizeof SL_MANIFEST_DIR + 2;
    char *dir = sl_malloc(n);
    if (!dir) return sl_err_oom(err);
    snprintf(dir, n, "%s/%s", sink_dir, SL_MANIFEST_DIR);
    sl_status st = SL_OK;
    if (sl_ckpt_file_exists(dir)) {
        *out_exists = true;
        /* A compaction between our listing and our reads removes files we
         * meant to read; the compact file that replaced them is then there
         * for the next attempt. */
        for (int attempt = 0; attempt < 5; attempt++) {
            int64_t last;
            bool vanished;
            sl_manifest_files_fini(out);
            st = load(dir, out, &last, &vanished, err);
            if (!(st != SL_OK && vanished)) break;
        }
        if (st != SL_OK) sl_manifest_files_fini(out);
    }
    sl_free(dir);
    return st;
}

sl_status sl_manifest_open(const char *sink_dir, int compact_interval, sl_manifest **out_m,
                           sl_error *err)
{
    *out_m = NULL;
    sl_manifest *m = sl_calloc(1, sizeof *m);
    if (!m) return sl_err_oom(err);
    m->interval = compact_interval > 0 ? compact_interval : 10;
    size_t n = strlen(sink_dir) + sizeof SL_MANIFEST_DIR + 2;
    m->dir = sl_malloc(n);
    if (!m->dir) { sl_free(m); return sl_err_oom(err); }
    snprintf(m->dir, n, "%s/%s", sink_dir, SL_MANIFEST_DIR);
    sl_status st = sl_ckpt_mkdirs(m->dir, err);
    bool vanished;
    if (st == SL_OK) {
        sl_ckpt_dir_clean_temps(m->dir);
        st = load(m->dir, &m->files, &m->last_batch, &vanished, err);
    }
    if (st != SL_OK) {
        sl_manifest_free(m);
        return st;
    }
    *out_m = m;
    return SL_OK;
}

void sl_manifest_free(sl_manifest *m)
{
    if (!m) return;
    sl_manifest_files_fini(&m->files);
    sl_free(m->dir);
    sl_free(m);
}

int64_t sl_manifest_last_batch(const sl_manifest *m) { return m->last_batch; }
const sl_manifest_files *sl_manifest_files_get(const sl_manifest *m) { return &m->files; }

sl_status sl_manifest_commit(sl_manifest *m, int64_t batch, const char *const *paths,
                             size_t n_paths, sl_error *err)
{
    if (batch <= m->last_batch)
        return sl_err(err, SL_ERR_INTERNAL, "manifest %s: batch %" PRId64
                      " is not after the last recorded batch %" PRId64,
                      m->dir, batch, m->last_batch);
    for (size_t i = 0; i < n_paths; i++)
        if (!paths[i][0])
            return sl_err(err, SL_ERR_INTERNAL, "manifest %s: empty file path", m->dir);
    bool compact = (batch + 1) % m->interval == 0;
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_puts(&b, "v1\n");
    if (compact)
        for (size_t i = 0; i < m->files.n; i++) put_path(&b, m->files.paths[i]);
    for (size_t i = 0; i < n_paths; i++) put_path(&b, paths[i]);
    char *path = entry_path(m->dir, batch, compact);
    size_t old_n = m->files.n;
    sl_status st = SL_OK;
    if (b.oom || !path) st = sl_err_oom(err);
    /* Grow the in-memory list first so that, once the file is durable,
     * nothing can fail and memory matches disk. */
    for (size_t i = 0; st == SL_OK && i < n_paths; i++)
        if (files_push(&m->files, sl_strdup(paths[i])) != 0) st = sl_err_oom(err);
    if (st == SL_OK) st = sl_ckpt_file_write(path, SL_CKPT_KIND_MANIFEST, b.data, b.len, err);
    if (st != SL_OK) {
        while (m->files.n > old_n) sl_free(m->files.paths[--m->files.n]);
    } else {
        m->last_batch = batch;
        if (compact) {
            /* Superseded files go only after the compact is durable; a
             * crash in between leaves duplicates that readers skip. */
            entry *es;
            size_t n;
            sl_error ignore;
            if (scan(m->dir, &es, &n, &ignore) == SL_OK) {
                for (size_t i = 0; i < n; i++) {
                    if (es[i].batch > batch || (es[i].batch == batch && es[i].compact)) continue;
                    char *p = entry_path(m->dir, es[i].batch, es[i].compact);
                    if (p) unlink(p);
                    sl_free(p);
                }
                sl_free(es);
                sl_ckpt_dir_sync(m->dir, &ignore);
            }
        }
    }
    sl_free(path);
    sl_buf_fini(&b);
    return st;
}
