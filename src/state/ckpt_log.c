/* The checkpoint directory (see ckpt_log.h): metadata with the query id and
 * plan fingerprint, the offset and commit logs, operator state files and
 * their retention.  Files are written through ckpt_file.c; this file decides
 * names, payloads and what a restart may trust.
 *
 * Payloads are small JSON objects.  The JSON handled here is only what this
 * file writes plus the connectors' offsets, which are kept as raw text, so a
 * small validating scanner suffices and the checkpoint layer does not depend
 * on the rest of the library (state/ leans only on core/). */
#include "state/ckpt_log.h"
#include "state/ckpt_file.h"
#include "core/mem.h"
#include "core/status.h"

#include <ctype.h>
#include <stdarg.h>
#include <time.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

struct sl_ckpt_log {
    char *dir;
    char *query_id;
    bool is_new;
    int lock_fd;
    int64_t retain;
    int64_t snapshot_interval;
};

/* ---- a validating JSON scanner ------------------------------------------ */

#define JS_MAX_DEPTH 64

static const char *js_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static const char *js_string_end(const char *p, const char *e)
{
    if (p >= e || *p != '"') return NULL;
    for (p++; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL;
        if (c == '\\') {
            if (++p >= e) return NULL;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (p + i >= e || !isxdigit((unsigned char)p[i])) return NULL;
                p += 4;
            } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                return NULL; /* strchr finds the terminating NUL: a NUL is no escape */
            }
        }
    }
    return NULL;
}

static const char *js_number_end(const char *p, const char *e)
{
    const char *s = p;
    if (p < e && *p == '-') p++;
    if (p >= e || !isdigit((unsigned char)*p)) return NULL;
    if (*p == '0') p++;
    else while (p < e && isdigit((unsigned char)*p)) p++;
    if (p < e && *p == '.') {
        p++;
        if (p >= e || !isdigit((unsigned char)*p)) return NULL;
        while (p < e && isdigit((unsigned char)*p)) p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || !isdigit((unsigned char)*p)) return NULL;
        while (p < e && isdigit((unsigned char)*p)) p++;
    }
    return p > s ? p : NULL;
}

/* Returns the end of the value starting at p (no leading whitespace), or
 * NULL when it is not valid JSON. */
static const char *js_value_end(const char *p, const char *e, int depth)
{
    if (p >= e || depth > JS_MAX_DEPTH) return NULL;
    switch (*p) {
    case '"': return js_string_end(p, e);
    case '{': case '[': {
        char close = *p == '{' ? '}' : ']';
        bool obj = *p == '{';
        p = js_ws(p + 1, e);
        if (p < e && *p == close) return p + 1;
        for (;;) {
            if (obj) {
                p = js_string_end(p, e);
                if (!p) return NULL;
                p = js_ws(p, e);
                if (p >= e || *p != ':') return NULL;
                p = js_ws(p + 1, e);
            }
            p = js_value_end(p, e, depth + 1);
            if (!p) return NULL;
            p = js_ws(p, e);
            if (p >= e) return NULL;
            if (*p == close) return p + 1;
            if (*p != ',') return NULL;
            p = js_ws(p + 1, e);
        }
    }
    case 't': return (e - p >= 4 && !memcmp(p, "true", 4)) ? p + 4 : NULL;
    case 'f': return (e - p >= 5 && !memcmp(p, "false", 5)) ? p + 5 : NULL;
    case 'n': return (e - p >= 4 && !memcmp(p, "null", 4)) ? p + 4 : NULL;
    default: return js_number_end(p, e);
    }
}

bool sl_ckpt_json_valid(const char *text, size_t len)
{
    const char *e = text + len;
    const char *p = js_ws(text, e);
    p = js_value_end(p, e, 0);
    return p && js_ws(p, e) == e;
}

/* Iterates the members of a validated object: *pp starts after '{' (or
 * after a previous member).  Returns false at the end. */
typedef struct js_member {
    const char *key, *key_end; /* raw, quotes excluded */
    const char *val, *val_end;
} js_member;

static bool js_next_member(const char **pp, const char *e, js_member *m)
{
    const char *p = js_ws(*pp, e);
    if (p < e && *p == ',') p = js_ws(p + 1, e);
    if (p >= e || *p != '"') return false;
    const char *ke = js_string_end(p, e);
    if (!ke) return false;
    m->key = p + 1;
    m->key_end = ke - 1;
    p = js_ws(ke, e);
    if (p >= e || *p != ':') return false;
    p = js_ws(p + 1, e);
    m->val = p;
    m->val_end = js_value_end(p, e, 1);
    if (!m->val_end) return false;
    *pp = m->val_end;
    return true;
}

static bool js_key_is(const js_member *m, const char *key)
{
    size_t n = strlen(key);
    return (size_t)(m->key_end - m->key) == n && !memcmp(m->key, key, n);
}

static void put_utf8(sl_buf *b, unsigned cp)
{
    char u[4];
    if (cp < 0x80) { u[0] = (char)cp; sl_buf_append(b, u, 1); }
    else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3F));
        sl_buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        sl_buf_append(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F));
        sl_buf_append(b, u, 4);
    }
}

/* Decodes a validated JSON string value [p, e) (quotes included) to a heap
 * string; NULL on OOM or when it holds a NUL. */
static char *js_str_dup(const char *p, const char *e)
{
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_reserve(&b, (size_t)(e - p));
    for (p++, e--; p < e; p++) {
        if (*p != '\\') { sl_buf_append(&b, p, 1); continue; }
        p++;
        switch (*p) {
        case 'b': sl_buf_putc(&b, '\b'); break;
        case 'f': sl_buf_putc(&b, '\f'); break;
        case 'n': sl_buf_putc(&b, '\n'); break;
        case 'r': sl_buf_putc(&b, '\r'); break;
        case 't': sl_buf_putc(&b, '\t'); break;
        case 'u': {
            unsigned cp = (unsigned)strtoul((char[5]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && e - p > 6 && p[1] == '\\' && p[2] == 'u') {
                unsigned lo = (unsigned)strtoul((char[5]){p[3], p[4], p[5], p[6], 0}, NULL, 16);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (cp == 0) { sl_buf_fini(&b); return NULL; }
            put_utf8(&b, cp);
            break;
        }
        default: sl_buf_putc(&b, *p); break;
        }
    }
    sl_buf_putc(&b, 0); /* an empty string still gets a buffer */
    return sl_buf_take(&b);
}

static bool js_int(const char *p, const char *e, int64_t *out)
{
    char tmp[32];
    size_t n = (size_t)(e - p);
    if (n == 0 || n >= sizeof tmp) return false;
    memcpy(tmp, p, n);
    tmp[n] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

/* ---- plan description diff ---------------------------------------------- */

typedef struct leaf {
    char *path;
    const char *val, *val_end;
} leaf;

typedef struct leaves {
    leaf *items;
    size_t n, cap;
    int oom;
} leaves;

static void leaves_add(leaves *ls, const char *path, const char *v, const char *ve)
{
    if (ls->oom) return;
    if (sl_grow((void **)&ls->items, &ls->cap, ls->n + 1, sizeof(leaf)) != 0 ||
        !(ls->items[ls->n].path = sl_strdup(path))) {
        ls->oom = 1;
        return;
    }
    ls->items[ls->n].val = v;
    ls->items[ls->n].val_end = ve;
    ls->n++;
}

static void leaves_fini(leaves *ls)
{
    for (size_t i = 0; i < ls->n; i++) sl_free(ls->items[i].path);
    sl_free(ls->items);
}

/* Flattens a validated JSON value into (path, leaf text) pairs, paths in
 * the dotted/indexed form people read ("operators[0].keys[1]"). */
static void flatten(leaves *ls, sl_buf *path, const char *p, const char *e)
{
    size_t mark = path->len;
    const char *ve = js_value_end(p, e, 0);
    if (!ve) return;
    if ((*p == '{' || *p == '[') && js_ws(p + 1, ve) + 1 == ve) {
        leaves_add(ls, path->len ? path->data : "(top)", p, ve); /* {} or [] */
        return;
    }
    if (*p == '{') {
        const char *q = p + 1;
        js_member m;
        while (js_next_member(&q, ve, &m)) {
            if (path->len) sl_buf_putc(path, '.');
            sl_buf_append(path, m.key, (size_t)(m.key_end - m.key));
            flatten(ls, path, m.val, m.val_end);
            path->len = mark;
            if (path->data) path->data[mark] = 0;
        }
    } else if (*p == '[') {
        const char *q = js_ws(p + 1, ve);
        for (int i = 0;; i++) {
            const char *ie = js_value_end(q, ve, 1);
            if (!ie) break;
            sl_buf_printf(path, "[%d]", i);
            flatten(ls, path, q, ie);
            path->len = mark;
            if (path->data) path->data[mark] = 0;
            q = js_ws(ie, ve);
            if (q >= ve || *q != ',') break;
            q = js_ws(q + 1, ve);
        }
    } else {
        leaves_add(ls, path->len ? path->data : "(top)", p, ve);
    }
}

/* The nth (0-based) leaf with this path: a repeated key is matched by its
 * position among its namesakes, so a description equals itself. */
static const leaf *leaves_find(const leaves *ls, const char *path, size_t nth)
{
    for (size_t i = 0; i < ls->n; i++)
        if (!strcmp(ls->items[i].path, path) && nth-- == 0) return &ls->items[i];
    return NULL;
}

static size_t leaves_rank(const leaves *ls, size_t i)
{
    size_t r = 0;
    for (size_t j = 0; j < i; j++) r += !strcmp(ls->items[j].path, ls->items[i].path);
    return r;
}

static void diff_note(sl_buf *msg, int n, const char *path, const leaf *was, const leaf *now)
{
    if (n > 3) return;
    if (n > 1) sl_buf_puts(msg, "; ");
    sl_buf_printf(msg, "%s: ", path);
    if (was) sl_buf_printf(msg, "was %.*s", (int)(was->val_end - was->val), was->val);
    else sl_buf_puts(msg, "was absent");
    if (now) sl_buf_printf(msg, ", now %.*s", (int)(now->val_end - now->val), now->val);
    else sl_buf_puts(msg, ", now absent");
}

int sl_ckpt_plan_diff(const char *old_json, const char *new_json, sl_buf *msg)
{
    size_t on = strlen(old_json), nn = strlen(new_json);
    if (!sl_ckpt_json_valid(old_json, on) || !sl_ckpt_json_valid(new_json, nn)) return -1;
    leaves lo = {0}, ln = {0};
    sl_buf path;
    sl_buf_init(&path);
    flatten(&lo, &path, js_ws(old_json, old_json + on), old_json + on);
    sl_buf_reset(&path);
    flatten(&ln, &path, js_ws(new_json, new_json + nn), new_json + nn);
    sl_buf_fini(&path);
    int n = 0;
    if (lo.oom || ln.oom) {
        n = strcmp(old_json, new_json) != 0;
        if (n) sl_buf_puts(msg, "plan description differs");
    } else {
        for (size_t i = 0; i < lo.n; i++) {
            const leaf *a = &lo.items[i], *b = leaves_find(&ln, a->path, leaves_rank(&lo, i));
            if (b && b->val_end - b->val == a->val_end - a->val &&
                !memcmp(a->val, b->val, (size_t)(a->val_end - a->val)))
                continue;
            diff_note(msg, ++n, a->path, a, b);
        }
        for (size_t i = 0; i < ln.n; i++)
            if (!leaves_find(&lo, ln.items[i].path, leaves_rank(&ln, i)))
                diff_note(msg, ++n, ln.items[i].path, NULL, &ln.items[i]);
        if (n > 3) sl_buf_printf(msg, "; and %d more", n - 3);
    }
    leaves_fini(&lo);
    leaves_fini(&ln);
    return n;
}

/* ---- paths and directory scans ------------------------------------------ */

static char *path_join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = sl_malloc(na + nb + 2);
    if (!p) return NULL;
    memcpy(p, a, na);
    p[na] = '/';
    memcpy(p + na + 1, b, nb + 1);
    return p;
}

static char *path_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *path_fmt(const char *fmt, ...)
{
    sl_buf b;
    sl_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    sl_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return sl_buf_take(&b);
}

/* A file name that is a batch/version number, optionally followed by a
 * suffix (".snapshot"): returns the number or -1. */
static int64_t name_number(const char *name, const char *suffix)
{
    size_t n = strlen(name), sn = suffix ? strlen(suffix) : 0;
    if (n <= sn || (sn && strcmp(name + n - sn, suffix) != 0)) return -1;
    if (n - sn > 18) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n - sn; i++) {
        if (!isdigit((unsigned char)name[i])) return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

typedef struct idlist {
    int64_t *v;
    size_t n, cap;
} idlist;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Lists the numbered files of dir (a missing dir is an empty list). */
static sl_status list_numbers(const char *dir, const char *suffix, idlist *out, sl_error *err)
{
    out->v = NULL;
    out->n = out->cap = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return SL_OK;
        return sl_err(err, SL_ERR_IO, "checkpoint: cannot list %s: %s", dir, strerror(errno));
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int64_t v = name_number(de->d_name, suffix);
        if (v < 0) continue;
        if (sl_grow((void **)&out->v, &out->cap, out->n + 1, sizeof(int64_t)) != 0) {
            closedir(d);
            sl_free(out->v);
            out->v = NULL;
            return sl_err_oom(err);
        }
        out->v[out->n++] = v;
    }
    closedir(d);
    if (out->n) qsort(out->v, out->n, sizeof(int64_t), cmp_i64);
    return SL_OK;
}

static bool idlist_has(const idlist *l, int64_t v)
{
    return l->n && bsearch(&v, l->v, l->n, sizeof(int64_t), cmp_i64) != NULL;
}

/* Versions with a snapshot of either form (bytes or directory). */
static sl_status list_snaps(const char *dir, idlist *out, sl_error *err)
{
    idlist a, b;
    sl_status st = list_numbers(dir, ".snapshot", &a, err);
    if (st != SL_OK) return st;
    if ((st = list_numbers(dir, ".snapdir", &b, err)) != SL_OK) {
        sl_free(a.v);
        return st;
    }
    for (size_t i = 0; i < b.n; i++) {
        if (idlist_has(&a, b.v[i])) continue;
        if (sl_grow((void **)&a.v, &a.cap, a.n + 1, sizeof(int64_t)) != 0) {
            sl_free(a.v);
            sl_free(b.v);
            out->v = NULL;
            out->n = out->cap = 0;
            return sl_err_oom(err);
        }
        a.v[a.n++] = b.v[i];
    }
    sl_free(b.v);
    if (a.n) qsort(a.v, a.n, sizeof(int64_t), cmp_i64);
    *out = a;
    return SL_OK;
}

/* ---- metadata ----------------------------------------------------------- */

static char *new_uuid(void)
{
    unsigned char r[16];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            /* No entropy source: time and pid still make clashes unlikely
             * enough for an id that only labels a checkpoint. */
            uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
            for (size_t i = got; i < sizeof r; i++) r[i] = (unsigned char)(t >> (8 * (i % 8)));
            break;
        }
        got += (size_t)n;
    }
    r[6] = (unsigned char)((r[6] & 0x0F) | 0x40); /* version 4 */
    r[8] = (unsigned char)((r[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    return path_fmt("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                    r[11], r[12], r[13], r[14], r[15]);
}

typedef struct meta {
    char *id, *fingerprint;
    char *plan; /* raw JSON or NULL */
} meta;

static void meta_fini(meta *m)
{
    sl_free(m->id);
    sl_free(m->fingerprint);
    sl_free(m->plan);
}

static sl_status meta_parse(const char *text, size_t len, const char *name, meta *m,
                            sl_error *err)
{
    memset(m, 0, sizeof *m);
    const char *e = text + len, *p = js_ws(text, e);
    if (!sl_ckpt_json_valid(text, len) || *p != '{')
        return sl_err(err, SL_ERR_CHECKPOINT, "checkpoint metadata %s is not a JSON object", name);
    p++;
    js_member mb;
    while (js_next_member(&p, e, &mb)) {
        if (js_key_is(&mb, "id") && *mb.val == '"') {
            sl_free(m->id);
            m->id = js_str_dup(mb.val, mb.val_end);
            if (!m->id) goto oom;
        } else if (js_key_is(&mb, "fingerprint") && *mb.val == '"') {
            sl_free(m->fingerprint);
            m->fingerprint = js_str_dup(mb.val, mb.val_end);
            if (!m->fingerprint) goto oom;
        } else if (js_key_is(&mb, "plan") &&
                   !(mb.val_end - mb.val == 4 && !memcmp(mb.val, "null", 4))) {
            sl_free(m->plan);
            m->plan = sl_strndup(mb.val, (size_t)(mb.val_end - mb.val));
            if (!m->plan) goto oom;
        }
    }
    if (!m->id || !m->fingerprint) {
        meta_fini(m);
        memset(m, 0, sizeof *m);
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "checkpoint metadata %s lacks the query id or plan fingerprint", name);
    }
    return SL_OK;
oom:
    meta_fini(m);
    memset(m, 0, sizeof *m);
    return sl_err_oom(err);
}

static sl_status meta_write(const char *path, const char *id, const sl_ckpt_log_opts *opts,
                            sl_error *err)
{
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_puts(&b, "{\"id\":");
    sl_buf_json_str(&b, id, strlen(id));
    sl_buf_puts(&b, ",\"format\":1,\"fingerprint\":");
    sl_buf_json_str(&b, opts->fingerprint, strlen(opts->fingerprint));
    sl_buf_puts(&b, ",\"plan\":");
    sl_buf_puts(&b, opts->plan_json ? opts->plan_json : "null");
    sl_buf_puts(&b, "}\n");
    if (b.oom) { sl_buf_fini(&b); return sl_err_oom(err); }
    sl_status st = sl_ckpt_file_write(path, SL_CKPT_KIND_METADATA, b.data, b.len, err);
    sl_buf_fini(&b);
    return st;
}

static sl_status check_compatible(const char *dir, const meta *m, const sl_ckpt_log_opts *opts,
                                  sl_error *err)
{
    bool fp_same = strcmp(m->fingerprint, opts->fingerprint) == 0;
    bool plan_same = (!m->plan && !opts->plan_json) ||
                     (m->plan && opts->plan_json && !strcmp(m->plan, opts->plan_json));
    if (fp_same && plan_same) return SL_OK;
    sl_buf msg;
    sl_buf_init(&msg);
    int n = 0;
    if (m->plan && opts->plan_json) n = sl_ckpt_plan_diff(m->plan, opts->plan_json, &msg);
    if (fp_same && n == 0) { /* the same description, differently spaced */
        sl_buf_fini(&msg);
        return SL_OK;
    }
    if (n <= 0) {
        sl_buf_reset(&msg);
        sl_buf_printf(&msg, "plan fingerprint was \"%s\", now \"%s\"", m->fingerprint,
                      opts->fingerprint);
    }
    sl_err(err, SL_ERR_CHECKPOINT,
           "checkpoint %s was written by an incompatible query (%s); sources, stateful "
           "operators, grouping keys and join keys must not change across restarts: use a "
           "new checkpoint location or delete this one (see docs/CHECKPOINTS.md)",
           dir, msg.data ? msg.data : "plan differs");
    sl_buf_fini(&msg);
    return SL_ERR_CHECKPOINT;
}

/* ---- open / free -------------------------------------------------------- */

static bool dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return true;
    struct dirent *de;
    bool empty = true;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
            !strcmp(de->d_name, ".lock") || sl_ckpt_file_is_temp(de->d_name))
            continue;
        empty = false;
        break;
    }
    closedir(d);
    return empty;
}

void sl_ckpt_log_free(sl_ckpt_log *log)
{
    if (!log) return;
    if (log->lock_fd >= 0) close(log->lock_fd); /* releases the flock */
    sl_free(log->dir);
    sl_free(log->query_id);
    sl_free(log);
}

sl_status sl_ckpt_log_open(const char *dir, const sl_ckpt_log_opts *opts,
                           sl_ckpt_log **out_log, sl_error *err)
{
    *out_log = NULL;
    if (!opts || !opts->fingerprint)
        return sl_err(err, SL_ERR_INTERNAL, "checkpoint: open without a plan fingerprint");
    if (opts->plan_json && !sl_ckpt_json_valid(opts->plan_json, strlen(opts->plan_json)))
        return sl_err(err, SL_ERR_INTERNAL, "checkpoint: plan description is not valid JSON");
    sl_ckpt_log *log = sl_calloc(1, sizeof *log);
    if (!log) return sl_err_oom(err);
    log->lock_fd = -1;
    log->retain = opts->min_batches_to_retain > 0 ? opts->min_batches_to_retain : 100;
    log->snapshot_interval = opts->snapshot_interval > 0 ? opts->snapshot_interval : 10;
    sl_status st;
    char *p_lock = NULL, *p_meta = NULL, *p_off = NULL, *p_com = NULL, *p_state = NULL;
    meta m = {0};
    log->dir = sl_strdup(dir);
    p_lock = path_join(dir, ".lock");
    p_meta = path_join(dir, "metadata");
    p_off = path_join(dir, "offsets");
    p_com = path_join(dir, "commits");
    p_state = path_join(dir, "state");
    if (!log->dir || !p_lock || !p_meta || !p_off || !p_com || !p_state) {
        st = sl_err_oom(err);
        goto fail;
    }
    if ((st = sl_ckpt_mkdirs(dir, err)) != SL_OK) goto fail;

    log->lock_fd = open(p_lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (log->lock_fd < 0) {
        st = sl_err(err, SL_ERR_IO, "checkpoint: cannot create %s: %s", p_lock, strerror(errno));
        goto fail;
    }
    if (flock(log->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        st = sl_err(err, SL_ERR_CHECKPOINT,
                    "checkpoint %s is in use by another running query", dir);
        goto fail;
    }
    /* We are the only writer now: temporaries are debris of a crash. */
    sl_ckpt_dir_clean_temps(dir);
    sl_ckpt_dir_clean_temps(p_off);
    sl_ckpt_dir_clean_temps(p_com);

    if (sl_ckpt_file_exists(p_meta)) {
        void *text;
        size_t len;
        if ((st = sl_ckpt_file_read(p_meta, SL_CKPT_KIND_METADATA, &text, &len, err)) != SL_OK)
            goto fail;
        st = meta_parse(text, len, p_meta, &m, err);
        sl_free(text);
        if (st != SL_OK) goto fail;
        if ((st = check_compatible(dir, &m, opts, err)) != SL_OK) goto fail;
        log->query_id = m.id;
        m.id = NULL;
    } else {
        if (!dir_is_empty(dir)) {
            /* offsets without metadata: someone else's files or a damaged
             * checkpoint; either way not ours to reuse or overwrite. */
            st = sl_err(err, SL_ERR_CHECKPOINT,
                        "checkpoint %s has no metadata file but is not empty; refusing to "
                        "reuse it", dir);
            goto fail;
        }
        log->query_id = new_uuid();
        if (!log->query_id) { st = sl_err_oom(err); goto fail; }
        if ((st = meta_write(p_meta, log->query_id, opts, err)) != SL_OK) goto fail;
        log->is_new = true;
    }
    if ((st = sl_ckpt_mkdirs(p_off, err)) != SL_OK ||
        (st = sl_ckpt_mkdirs(p_com, err)) != SL_OK ||
        (st = sl_ckpt_mkdirs(p_state, err)) != SL_OK ||
        (st = sl_ckpt_dir_sync(dir, err)) != SL_OK)
        goto fail;
    *out_log = log;
    st = SL_OK;
    goto out;
fail:
    sl_ckpt_log_free(log);
out:
    meta_fini(&m);
    sl_free(p_lock);
    sl_free(p_meta);
    sl_free(p_off);
    sl_free(p_com);
    sl_free(p_state);
    return st;
}

const char *sl_ckpt_log_query_id(const sl_ckpt_log *log) { return log->query_id; }
const char *sl_ckpt_log_dir(const sl_ckpt_log *log) { return log->dir; }
bool sl_ckpt_log_is_new(const sl_ckpt_log *log) { return log->is_new; }

/* ---- offsets ------------------------------------------------------------ */

void sl_ckpt_offsets_init(sl_ckpt_offsets *off)
{
    memset(off, 0, sizeof *off);
    off->batch_id = -1;
}

void sl_ckpt_offsets_fini(sl_ckpt_offsets *off)
{
    for (int i = 0; i < off->n_sources; i++) {
        sl_free(off->sources[i].name);
        sl_free(off->sources[i].json);
    }
    sl_free(off->sources);
    sl_ckpt_offsets_init(off);
}

static int offsets_add_n(sl_ckpt_offsets *off, char *name, char *json)
{
    if (!name || !json) goto fail;
    if (off->n_sources == off->cap_sources) {
        int cap = off->cap_sources ? off->cap_sources * 2 : 4;
        void *p = sl_realloc(off->sources, (size_t)cap * sizeof *off->sources);
        if (!p) goto fail;
        off->sources = p;
        off->cap_sources = cap;
    }
    off->sources[off->n_sources].name = name;
    off->sources[off->n_sources].json = json;
    off->n_sources++;
    return 0;
fail:
    sl_free(name);
    sl_free(json);
    return -1;
}

int sl_ckpt_offsets_add(sl_ckpt_offsets *off, const char *name, const char *json)
{
    return offsets_add_n(off, sl_strdup(name), sl_strdup(json));
}

const char *sl_ckpt_offsets_get(const sl_ckpt_offsets *off, const char *name)
{
    for (int i = 0; i < off->n_sources; i++)
        if (!strcmp(off->sources[i].name, name)) return off->sources[i].json;
    return NULL;
}

sl_status sl_ckpt_offsets_parse(const char *text, size_t len, const char *name,
                                sl_ckpt_offsets *out, sl_error *err)
{
    sl_ckpt_offsets_init(out);
    const char *e = text + len, *p = js_ws(text, e);
    if (!sl_ckpt_json_valid(text, len) || *p != '{')
        return sl_err(err, SL_ERR_CHECKPOINT, "checkpoint offsets %s are not a JSON object", name);
    p++;
    js_member mb;
    bool have_id = false, have_sources = false;
    while (js_next_member(&p, e, &mb)) {
        if (js_key_is(&mb, "batchId")) {
            have_id = js_int(mb.val, mb.val_end, &out->batch_id) && out->batch_id >= 0;
        } else if (js_key_is(&mb, "batchWatermarkUs")) {
            if (!js_int(mb.val, mb.val_end, &out->watermark_us)) goto bad;
        } else if (js_key_is(&mb, "batchTimestampUs")) {
            if (!js_int(mb.val, mb.val_end, &out->timestamp_us)) goto bad;
        } else if (js_key_is(&mb, "sources")) {
            if (*mb.val != '{') goto bad;
            have_sources = true;
            const char *q = mb.val + 1;
            js_member sm;
            while (js_next_member(&q, mb.val_end, &sm)) {
                char *sname = js_str_dup(sm.key - 1, sm.key_end + 1);
                char *sjson = sl_strndup(sm.val, (size_t)(sm.val_end - sm.val));
                if (offsets_add_n(out, sname, sjson) != 0) {
                    sl_ckpt_offsets_fini(out);
                    return sl_err_oom(err);
                }
            }
        }
    }
    if (!have_id || !have_sources) goto bad;
    return SL_OK;
bad:
    sl_ckpt_offsets_fini(out);
    return sl_err(err, SL_ERR_CHECKPOINT,
                  "checkpoint offsets %s lack a valid batchId, watermark, timestamp or sources",
                  name);
}

static char *log_path(const sl_ckpt_log *log, const char *sub, int64_t batch)
{
    return path_fmt("%s/%s/%" PRId64, log->dir, sub, batch);
}

sl_status sl_ckpt_log_write_offsets(sl_ckpt_log *log, const sl_ckpt_offsets *off,
                                    sl_error *err)
{
    if (off->batch_id < 0)
        return sl_err(err, SL_ERR_INTERNAL, "checkpoint: offsets without a batch id");
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_printf(&b, "{\"batchId\":%" PRId64 ",\"batchWatermarkUs\":%" PRId64
                      ",\"batchTimestampUs\":%" PRId64 ",\"sources\":{",
                  off->batch_id, off->watermark_us, off->timestamp_us);
    for (int i = 0; i < off->n_sources; i++) {
        const sl_ckpt_source_offset *so = &off->sources[i];
        if (!sl_ckpt_json_valid(so->json, strlen(so->json))) {
            sl_buf_fini(&b);
            return sl_err(err, SL_ERR_INTERNAL,
                          "checkpoint: source %s gave an offset that is not valid JSON: %.200s",
                          so->name, so->json);
        }
        if (i) sl_buf_putc(&b, ',');
        sl_buf_json_str(&b, so->name, strlen(so->name));
        sl_buf_putc(&b, ':');
        sl_buf_puts(&b, so->json);
    }
    sl_buf_puts(&b, "}}\n");
    char *path = log_path(log, "offsets", off->batch_id);
    sl_status st;
    if (b.oom || !path) st = sl_err_oom(err);
    else st = sl_ckpt_file_write(path, SL_CKPT_KIND_OFFSETS, b.data, b.len, err);
    sl_free(path);
    sl_buf_fini(&b);
    return st;
}

sl_status sl_ckpt_log_read_offsets(sl_ckpt_log *log, int64_t batch, sl_ckpt_offsets *out,
                                   sl_error *err)
{
    sl_ckpt_offsets_init(out);
    char *path = log_path(log, "offsets", batch);
    if (!path) return sl_err_oom(err);
    void *text;
    size_t len;
    sl_status st = sl_ckpt_file_read(path, SL_CKPT_KIND_OFFSETS, &text, &len, err);
    if (st == SL_OK) {
        st = sl_ckpt_offsets_parse(text, len, path, out, err);
        sl_free(text);
        if (st == SL_OK && out->batch_id != batch) {
            sl_ckpt_offsets_fini(out);
            st = sl_err(err, SL_ERR_CHECKPOINT,
                        "checkpoint offsets %s hold batch %" PRId64 ", not %" PRId64,
                        path, out->batch_id, batch);
        }
    }
    sl_free(path);
    return st;
}

/* ---- commits ------------------------------------------------------------ */

sl_status sl_ckpt_log_write_commit(sl_ckpt_log *log, int64_t batch, int64_t next_watermark_us,
                                   sl_error *err)
{
    char *opath = log_path(log, "offsets", batch);
    char *path = log_path(log, "commits", batch);
    char text[128];
    sl_status st;
    if (!opath || !path) {
        st = sl_err_oom(err);
    } else if (!sl_ckpt_file_exists(opath)) {
        st = sl_err(err, SL_ERR_INTERNAL,
                    "checkpoint: commit of batch %" PRId64 " whose offsets were never logged",
                    batch);
    } else {
        int n = snprintf(text, sizeof text,
                         "{\"batchId\":%" PRId64 ",\"nextBatchWatermarkUs\":%" PRId64 "}\n",
                         batch, next_watermark_us);
        st = sl_ckpt_file_write(path, SL_CKPT_KIND_COMMIT, text, (size_t)n, err);
    }
    sl_free(opath);
    sl_free(path);
    return st;
}

sl_status sl_ckpt_log_read_commit(sl_ckpt_log *log, int64_t batch,
                                  int64_t *out_next_watermark_us, sl_error *err)
{
    char *path = log_path(log, "commits", batch);
    if (!path) return sl_err_oom(err);
    void *text;
    size_t len;
    sl_status st = sl_ckpt_file_read(path, SL_CKPT_KIND_COMMIT, &text, &len, err);
    if (st == SL_OK) {
        const char *e = (const char *)text + len, *p = js_ws(text, e);
        int64_t id = -1, wm = 0;
        bool ok = sl_ckpt_json_valid(text, len) && *p == '{', have_wm = false;
        if (ok) {
            p++;
            js_member mb;
            while (js_next_member(&p, e, &mb)) {
                if (js_key_is(&mb, "batchId")) ok = ok && js_int(mb.val, mb.val_end, &id);
                else if (js_key_is(&mb, "nextBatchWatermarkUs"))
                    ok = ok && (have_wm = js_int(mb.val, mb.val_end, &wm));
            }
        }
        if (!ok || id != batch || !have_wm)
            st = sl_err(err, SL_ERR_CHECKPOINT,
                        "checkpoint commit %s does not record batch %" PRId64
                        " with its watermark", path, batch);
        else if (out_next_watermark_us)
            *out_next_watermark_us = wm;
        sl_free(text);
    }
    sl_free(path);
    return st;
}

/* ---- recovery ----------------------------------------------------------- */

void sl_ckpt_recovery_fini(sl_ckpt_recovery *rec)
{
    sl_ckpt_offsets_fini(&rec->offsets);
    sl_ckpt_offsets_fini(&rec->start);
}

sl_status sl_ckpt_log_recover(sl_ckpt_log *log, sl_ckpt_recovery *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    sl_ckpt_offsets_init(&out->offsets);
    sl_ckpt_offsets_init(&out->start);
    out->last_committed = -1;
    idlist offs = {0}, coms = {0};
    char *doff = path_join(log->dir, "offsets"), *dcom = path_join(log->dir, "commits");
    sl_status st;
    if (!doff || !dcom) { st = sl_err_oom(err); goto out; }
    if ((st = list_numbers(doff, NULL, &offs, err)) != SL_OK ||
        (st = list_numbers(dcom, NULL, &coms, err)) != SL_OK)
        goto out;
    int64_t last_off = offs.n ? offs.v[offs.n - 1] : -1;
    int64_t last_com = coms.n ? coms.v[coms.n - 1] : -1;
    if (last_com > last_off || (last_com >= 0 && !idlist_has(&offs, last_com))) {
        st = sl_err(err, SL_ERR_CHECKPOINT,
                    "checkpoint %s: commits/%" PRId64 " has no matching offsets entry",
                    log->dir, last_com);
        goto out;
    }
    if (last_off > last_com + 1) {
        /* The driver logs batch n+1 only after committing n. */
        st = sl_err(err, SL_ERR_CHECKPOINT,
                    "checkpoint %s: offsets/%" PRId64 " is logged but commits/%" PRId64
                    " is missing", log->dir, last_off, last_off - 1);
        goto out;
    }
    out->last_committed = last_com;
    if (last_com >= 0 &&
        (st = sl_ckpt_log_read_commit(log, last_com, &out->next_watermark_us, err)) != SL_OK)
        goto out;
    if (last_com >= 0 &&
        (st = sl_ckpt_log_read_offsets(log, last_com, &out->start, err)) != SL_OK)
        goto out;
    if (last_off > last_com) {
        out->rerun = true;
        out->next_batch = last_off;
        st = sl_ckpt_log_read_offsets(log, last_off, &out->offsets, err);
    } else {
        out->next_batch = last_com + 1;
        if (last_com >= 0) st = sl_ckpt_log_read_offsets(log, last_com, &out->offsets, err);
    }
out:
    if (st != SL_OK) sl_ckpt_recovery_fini(out);
    sl_free(offs.v);
    sl_free(coms.v);
    sl_free(doff);
    sl_free(dcom);
    return st;
}

/* ---- operator state ----------------------------------------------------- */

static sl_status verify_snapdir(const char *dir, sl_error *err);
static sl_status purge_snapdirs(const char *d, int64_t below, sl_error *err);

static bool op_id_ok(const char *op)
{
    size_t n = strlen(op);
    if (n == 0 || n > 128 || op[0] == '.') return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)op[i]) && !strchr("_.-", op[i])) return false;
    return true;
}

static char *state_dir(const sl_ckpt_log *log, const char *op)
{
    return path_fmt("%s/state/%s", log->dir, op);
}

static char *state_path(const sl_ckpt_log *log, const char *op, int64_t v, bool snapshot)
{
    return path_fmt("%s/state/%s/%" PRId64 ".%s", log->dir, op, v,
                    snapshot ? "snapshot" : "delta");
}

bool sl_ckpt_log_state_wants_snapshot(sl_ckpt_log *log, const char *op_id, int64_t version)
{
    if (version % log->snapshot_interval == 0) return true;
    char *d = state_dir(log, op_id);
    if (!d) return true;
    idlist snaps;
    bool want = true;
    if (list_snaps(d, &snaps, NULL) == SL_OK) {
        for (size_t i = 0; i < snaps.n; i++)
            if (snaps.v[i] < version) want = false;
        sl_free(snaps.v);
    }
    sl_free(d);
    return want;
}

sl_status sl_ckpt_log_write_state(sl_ckpt_log *log, const char *op_id, int64_t version,
                                  bool snapshot, const void *data, size_t len, sl_error *err)
{
    if (!op_id_ok(op_id))
        return sl_err(err, SL_ERR_INTERNAL, "checkpoint: bad operator id \"%s\"", op_id);
    if (version < 0)
        return sl_err(err, SL_ERR_INTERNAL, "checkpoint: negative state version");
    char *d = state_dir(log, op_id);
    char *path = state_path(log, op_id, version, snapshot);
    char *other = state_path(log, op_id, version, !snapshot);
    sl_status st;
    if (!d || !path || !other) {
        st = sl_err_oom(err);
        goto out;
    }
    if (!sl_ckpt_file_exists(d)) {
        if ((st = sl_ckpt_mkdirs(d, err)) != SL_OK) goto out;
        char *parent = path_join(log->dir, "state");
        if (!parent) { st = sl_err_oom(err); goto out; }
        st = sl_ckpt_dir_sync(parent, err);
        sl_free(parent);
        if (st != SL_OK) goto out;
    } else {
        sl_ckpt_dir_clean_temps(d);
    }
    st = sl_ckpt_file_write(path, snapshot ? SL_CKPT_KIND_STATE_SNAPSHOT
                                           : SL_CKPT_KIND_STATE_DELTA,
                            data, len, err);
    /* A re-run may write another kind than the first attempt did; a stale
     * file of the same version must not linger. */
    if (st == SL_OK) {
        char *sd = path_fmt("%s/%" PRId64 ".snapdir", d, version);
        bool removed = unlink(other) == 0;
        if (sd && sl_ckpt_file_exists(sd)) removed |= sl_ckpt_dir_remove_flat(sd) == 0;
        sl_free(sd);
        if (removed) st = sl_ckpt_dir_sync(d, err);
    }
out:
    sl_free(d);
    sl_free(path);
    sl_free(other);
    return st;
}

void sl_ckpt_state_chain_fini(sl_ckpt_state_chain *chain)
{
    for (int i = 0; i < chain->n; i++) {
        sl_free(chain->parts[i].data);
        sl_free(chain->parts[i].dir);
    }
    sl_free(chain->parts);
    chain->parts = NULL;
    chain->n = 0;
    chain->version = -1;
}

sl_status sl_ckpt_log_load_state(sl_ckpt_log *log, const char *op_id, int64_t version,
                                 sl_ckpt_state_chain *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    out->version = -1;
    if (!op_id_ok(op_id))
        return sl_err(err, SL_ERR_INTERNAL, "checkpoint: bad operator id \"%s\"", op_id);
    idlist snaps = {0}, deltas = {0};
    char *d = state_dir(log, op_id);
    char *path = NULL;
    sl_status st;
    if (!d) return sl_err_oom(err);
    if ((st = list_snaps(d, &snaps, err)) != SL_OK ||
        (st = list_numbers(d, ".delta", &deltas, err)) != SL_OK)
        goto out;
    int64_t base = -1;
    for (size_t i = 0; i < snaps.n; i++)
        if (snaps.v[i] <= version) base = snaps.v[i];
    bool any_delta = deltas.n && deltas.v[0] <= version;
    /* The newest version at or below the one asked for that has a file:
     * the chain must reach it without gaps. */
    int64_t top = base;
    for (size_t i = 0; i < deltas.n; i++)
        if (deltas.v[i] <= version && deltas.v[i] > top) top = deltas.v[i];
    version = top;
    if (base < 0) {
        if (any_delta) {
            st = sl_err(err, SL_ERR_CHECKPOINT,
                        "checkpoint %s: operator %s has deltas but no snapshot at or below "
                        "version %" PRId64, log->dir, op_id, version);
        }
        goto out; /* no state yet */
    }
    out->parts = sl_calloc((size_t)(version - base + 1), sizeof *out->parts);
    if (!out->parts) { st = sl_err_oom(err); goto out; }
    for (int64_t v = base; v <= version; v++) {
        bool snap = v == base;
        if (!snap && !idlist_has(&deltas, v)) {
            sl_free(path);
            path = state_path(log, op_id, v, false);
            st = sl_err(err, SL_ERR_CHECKPOINT,
                        "checkpoint state file %s is missing: cannot rebuild operator %s "
                        "at version %" PRId64, path ? path : "(delta)", op_id, version);
            goto out;
        }
        sl_free(path);
        path = state_path(log, op_id, v, snap);
        if (!path) { st = sl_err_oom(err); goto out; }
        sl_ckpt_state_part *part = &out->parts[out->n];
        if (snap && !sl_ckpt_file_exists(path)) {
            sl_free(path);
            path = path_fmt("%s/%" PRId64 ".snapdir", d, v);
            if (!path) { st = sl_err_oom(err); goto out; }
            if ((st = verify_snapdir(path, err)) != SL_OK) goto out;
            part->dir = path;
            path = NULL;
        } else {
            st = sl_ckpt_file_read(path, snap ? SL_CKPT_KIND_STATE_SNAPSHOT
                                              : SL_CKPT_KIND_STATE_DELTA,
                                   &part->data, &part->len, err);
            if (st != SL_OK) goto out;
        }
        part->version = v;
        part->snapshot = snap;
        out->n++;
    }
    out->version = version;
out:
    if (st != SL_OK) sl_ckpt_state_chain_fini(out);
    sl_free(snaps.v);
    sl_free(deltas.v);
    sl_free(d);
    sl_free(path);
    return st;
}

/* ---- directory snapshots ------------------------------------------------ */

#define SNAPDIR_LIST "_sluice_files"

sl_status sl_ckpt_log_state_dir_begin(sl_ckpt_log *log, const char *op_id, int64_t version,
                                      char **out_tmp, sl_error *err)
{
    static unsigned long seq;
    *out_tmp = NULL;
    if (!op_id_ok(op_id))
        return sl_err(err, SL_ERR_INTERNAL, "checkpoint: bad operator id \"%s\"", op_id);
    char *d = state_dir(log, op_id);
    if (!d) return sl_err_oom(err);
    sl_status st = sl_ckpt_mkdirs(d, err);
    if (st == SL_OK) {
        sl_ckpt_dir_clean_temps(d);
        /* Hidden and named like a temporary file, so a crash leaves debris
         * that the next owner's clean-up removes. */
        *out_tmp = path_fmt("%s/.%" PRId64 ".snapdir.tmp-%ld-%lu", d, version,
                            (long)getpid(), ++seq);
        if (!*out_tmp) st = sl_err_oom(err);
    }
    sl_free(d);
    return st;
}

void sl_ckpt_log_state_dir_abort(const char *tmp)
{
    if (tmp) sl_ckpt_dir_remove_flat(tmp);
}

sl_status sl_ckpt_log_state_dir_commit(sl_ckpt_log *log, const char *op_id, int64_t version,
                                       const char *tmp, sl_error *err)
{
    sl_buf list;
    sl_buf_init(&list);
    sl_buf_puts(&list, "v1\n");
    char *d = state_dir(log, op_id);
    char *final = path_fmt("%s/state/%s/%" PRId64 ".snapdir", log->dir, op_id, version);
    char *lpath = path_join(tmp, SNAPDIR_LIST);
    sl_status st = SL_OK;
    if (!d || !final || !lpath) { st = sl_err_oom(err); goto out; }
    DIR *dd = opendir(tmp);
    if (!dd) {
        st = sl_err(err, SL_ERR_IO, "checkpoint: cannot list %s: %s", tmp, strerror(errno));
        goto out;
    }
    struct dirent *de;
    while (st == SL_OK && (de = readdir(dd)) != NULL) {
        if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, ".."))) continue;
        if (strchr(de->d_name, '\n') || !strcmp(de->d_name, SNAPDIR_LIST)) continue;
        int fd = openat(dirfd(dd), de->d_name, O_RDONLY | O_CLOEXEC);
        struct stat stt;
        if (fd < 0 || fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode) || fsync(fd) != 0) {
            st = sl_err(err, SL_ERR_IO, "checkpoint: cannot sync %s/%s: %s", tmp, de->d_name,
                        fd < 0 ? strerror(errno) : "not a synced regular file");
        } else {
            sl_buf_printf(&list, "%s %lld\n", de->d_name, (long long)stt.st_size);
        }
        if (fd >= 0) close(fd);
    }
    closedir(dd);
    if (st != SL_OK) goto out;
    if (list.oom) { st = sl_err_oom(err); goto out; }
    if ((st = sl_ckpt_file_write(lpath, SL_CKPT_KIND_STATE_DIR, list.data, list.len, err)) != SL_OK)
        goto out;
    /* A re-run replaces an earlier attempt's directory; the version is not
     * committed yet, so the moment without one is harmless. */
    if (sl_ckpt_file_exists(final)) sl_ckpt_dir_remove_flat(final);
    if (rename(tmp, final) != 0) {
        st = sl_err(err, SL_ERR_IO, "checkpoint: cannot rename %s to %s: %s", tmp, final,
                    strerror(errno));
        goto out;
    }
    char *snap = state_path(log, op_id, version, true), *delta = state_path(log, op_id, version, false);
    if (snap) unlink(snap);
    if (delta) unlink(delta);
    sl_free(snap);
    sl_free(delta);
    st = sl_ckpt_dir_sync(d, err);
out:
    sl_buf_fini(&list);
    sl_free(d);
    sl_free(final);
    sl_free(lpath);
    return st;
}

/* Checks a directory snapshot against its checksummed file list: every
 * listed file present with its size.  (File contents carry RocksDB's own
 * block checksums, verified as they are read.) */
static sl_status verify_snapdir(const char *dir, sl_error *err)
{
    char *lpath = path_join(dir, SNAPDIR_LIST);
    if (!lpath) return sl_err_oom(err);
    void *text;
    size_t len;
    sl_status st = sl_ckpt_file_read(lpath, SL_CKPT_KIND_STATE_DIR, &text, &len, err);
    if (st == SL_ERR_IO && !sl_ckpt_file_exists(lpath))
        st = sl_err(err, SL_ERR_CHECKPOINT, "checkpoint state directory %s has no file list", dir);
    sl_free(lpath);
    if (st != SL_OK) return st;
    char *p = text, *e = p + len;
    if (len < 3 || memcmp(p, "v1\n", 3) != 0) {
        st = sl_err(err, SL_ERR_CHECKPOINT, "checkpoint state directory %s: bad file list", dir);
        goto out;
    }
    for (p += 3; p < e && st == SL_OK;) {
        char *nl = memchr(p, '\n', (size_t)(e - p)), *sp;
        if (!nl || !(sp = memchr(p, ' ', (size_t)(nl - p)))) {
            st = sl_err(err, SL_ERR_CHECKPOINT, "checkpoint state directory %s: bad file list", dir);
            break;
        }
        *sp = *nl = 0;
        long long want = strtoll(sp + 1, NULL, 10);
        char *fp = path_join(dir, p);
        struct stat stt;
        if (!fp) st = sl_err_oom(err);
        else if (stat(fp, &stt) != 0 || stt.st_size != want)
            st = sl_err(err, SL_ERR_CHECKPOINT,
                        "checkpoint state file %s is missing or has the wrong size", fp);
        sl_free(fp);
        p = nl + 1;
    }
out:
    sl_free(text);
    return st;
}

static sl_status purge_snapdirs(const char *d, int64_t below, sl_error *err)
{
    idlist l;
    sl_status st = list_numbers(d, ".snapdir", &l, err);
    for (size_t i = 0; st == SL_OK && i < l.n && l.v[i] < below; i++) {
        char *p = path_fmt("%s/%" PRId64 ".snapdir", d, l.v[i]);
        if (!p) { st = sl_err_oom(err); break; }
        sl_ckpt_dir_remove_flat(p);
        sl_free(p);
    }
    sl_free(l.v);
    return st;
}

/* ---- retention ---------------------------------------------------------- */

/* Removals are not fsynced: a file that reappears after a crash is one
 * retention had already judged unnecessary, and the next purge removes it
 * again.  That saves two or three fsyncs per batch. */
static sl_status purge_numbered(const char *dir, const char *suffix, int64_t below,
                                sl_error *err)
{
    idlist l;
    sl_status st = list_numbers(dir, suffix, &l, err);
    if (st != SL_OK) return st;
    for (size_t i = 0; i < l.n && l.v[i] < below; i++) {
        char *p = path_fmt("%s/%" PRId64 "%s", dir, l.v[i], suffix ? suffix : "");
        if (!p) { st = sl_err_oom(err); break; }
        unlink(p);
        sl_free(p);
    }
    sl_free(l.v);
    return st;
}

sl_status sl_ckpt_log_purge(sl_ckpt_log *log, int64_t current, sl_error *err)
{
    int64_t oldest = current - log->retain + 1; /* oldest batch kept */
    if (oldest <= 0) return SL_OK;
    char *doff = path_join(log->dir, "offsets"), *dcom = path_join(log->dir, "commits");
    char *dstate = path_join(log->dir, "state");
    sl_status st = SL_OK;
    if (!doff || !dcom || !dstate) { st = sl_err_oom(err); goto out; }
    /* Commits first: a crash in between leaves offsets without commits only
     * below the retained range, where recovery never looks. */
    if ((st = purge_numbered(dcom, NULL, oldest, err)) != SL_OK ||
        (st = purge_numbered(doff, NULL, oldest, err)) != SL_OK)
        goto out;
    DIR *dd = opendir(dstate);
    if (!dd) goto out;
    struct dirent *de;
    while (st == SL_OK && (de = readdir(dd)) != NULL) {
        if (!op_id_ok(de->d_name)) continue;
        char *d = path_join(dstate, de->d_name);
        idlist snaps;
        if (!d) { st = sl_err_oom(err); break; }
        st = list_snaps(d, &snaps, err);
        if (st == SL_OK) {
            int64_t base = -1; /* the snapshot the oldest kept batch rebuilds from */
            for (size_t i = 0; i < snaps.n; i++)
                if (snaps.v[i] <= oldest) base = snaps.v[i];
            sl_free(snaps.v);
            if (base > 0 && (st = purge_numbered(d, ".delta", base + 1, err)) == SL_OK &&
                (st = purge_numbered(d, ".snapshot", base, err)) == SL_OK)
                st = purge_snapdirs(d, base, err);
        }
        sl_free(d);
    }
    closedir(dd);
out:
    sl_free(doff);
    sl_free(dcom);
    sl_free(dstate);
    return st;
}
