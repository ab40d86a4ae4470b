/* The in-memory state backend: a chained hash table of byte keys, each
 * entry one allocation holding key and value together.  Also used by kv.c
 * as the set of keys a version changed.  Buckets double when the table
 * holds more entries than buckets, keeping chains about one long; doubling
 * happens in one step (state sizes per operator are moderate, and a batch
 * boundary is not latency-critical the way a request is). */
#include "state/kv_int.h"
#include "core/mem.h"
#include "core/status.h"

#include <string.h>

typedef struct ent {
    struct ent *next;
    uint64_t hash;
    size_t kl, vl;
    unsigned char data[]; /* key then value */
} ent;

struct sl_kv_hash {
    ent **buckets;
    size_t n_buckets; /* power of two */
    int64_t n;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
    /* 64-bit multiply-xorshift over 8-byte words: fast and well mixed
     * enough for a table that is not exposed to adversarial keys. */
    const unsigned char *s = p;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xFF51AFD7ED558CCDull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ (w * 0xC4CEB9FE1A85EC53ull)) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ (w * 0xC4CEB9FE1A85EC53ull)) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 32;
    return h;
}

sl_kv_hash *sl_kv_hash_new(void)
{
    sl_kv_hash *h = sl_calloc(1, sizeof *h);
    if (!h) return NULL;
    h->n_buckets = 16;
    h->buckets = sl_calloc(h->n_buckets, sizeof(ent *));
    if (!h->buckets) { sl_free(h); return NULL; }
    return h;
}

void sl_kv_hash_clear(sl_kv_hash *h)
{
    for (size_t i = 0; i < h->n_buckets; i++) {
        ent *e = h->buckets[i];
        while (e) {
            ent *next = e->next;
            sl_free(e);
            e = next;
        }
        h->buckets[i] = NULL;
    }
    h->n = 0;
}

void sl_kv_hash_free(sl_kv_hash *h)
{
    if (!h) return;
    sl_kv_hash_clear(h);
    sl_free(h->buckets);
    sl_free(h);
}

static ent **find(const sl_kv_hash *h, const void *k, size_t kl, uint64_t hv)
{
    ent **pp = &h->buckets[hv & (h->n_buckets - 1)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == hv && (*pp)->kl == kl && !memcmp((*pp)->data, k, kl)) return pp;
    return pp;
}

static void grow(sl_kv_hash *h)
{
    size_t nb = h->n_buckets * 2;
    ent **b = sl_calloc(nb, sizeof(ent *));
    if (!b) return; /* a longer chain is still correct */
    for (size_t i = 0; i < h->n_buckets; i++) {
        ent *e = h->buckets[i];
        while (e) {
            ent *next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = next;
        }
    }
    sl_free(h->buckets);
    h->buckets = b;
    h->n_buckets = nb;
}

int sl_kv_hash_put(sl_kv_hash *h, const void *k, size_t kl, const void *v, size_t vl)
{
    uint64_t hv = hash_bytes(k, kl);
    ent **pp = find(h, k, kl, hv);
    ent *old = *pp;
    if (old && old->vl == vl) { /* same size: overwrite in place */
        if (vl) memcpy(old->data + kl, v, vl);
        return 0;
    }
    ent *e = sl_malloc(sizeof(ent) + kl + vl);
    if (!e) return -1;
    e->hash = hv;
    e->kl = kl;
    e->vl = vl;
    memcpy(e->data, k, kl);
    if (vl) memcpy(e->data + kl, v, vl);
    if (old) {
        e->next = old->next;
        *pp = e;
        sl_free(old);
        return 0;
    }
    e->next = NULL;
    *pp = e;
    if (++h->n > (int64_t)h->n_buckets) grow(h);
    return 0;
}

const void *sl_kv_hash_get(const sl_kv_hash *h, const void *k, size_t kl, size_t *out_vl)
{
    ent *e = *find(h, k, kl, hash_bytes(k, kl));
    if (!e) return NULL;
    if (out_vl) *out_vl = e->vl;
    return e->data + e->kl;
}

int sl_kv_hash_del(sl_kv_hash *h, const void *k, size_t kl)
{
    ent **pp = find(h, k, kl, hash_bytes(k, kl));
    ent *e = *pp;
    if (!e) return 0;
    *pp = e->next;
    sl_free(e);
    h->n--;
    return 1;
}

int64_t sl_kv_hash_count(const sl_kv_hash *h) { return h->n; }

void sl_kv_hash_iter_init(sl_kv_hash_iter *it, const sl_kv_hash *h)
{
    it->h = h;
    it->bucket = 0;
    it->ent = NULL;
}

bool sl_kv_hash_iter_next(sl_kv_hash_iter *it, const void **k, size_t *kl, const void **v,
                          size_t *vl)
{
    const ent *e = it->ent ? ((const ent *)it->ent)->next : NULL;
    while (!e && it->bucket < it->h->n_buckets) e = it->h->buckets[it->bucket++];
    it->ent = e;
    if (!e) return false;
    *k = e->data;
    *kl = e->kl;
    *v = e->data + e->kl;
    *vl = e->vl;
    return true;
}

/* ---- as a backend ------------------------------------------------------- */

static sl_status mem_put(void *impl, const void *k, size_t kl, const void *v, size_t vl,
                         sl_error *err)
{
    return sl_kv_hash_put(impl, k, kl, v, vl) == 0 ? SL_OK : sl_err_oom(err);
}

static sl_status mem_get(void *impl, const void *k, size_t kl, sl_buf *out, bool *out_found,
                         sl_error *err)
{
    size_t vl;
    const void *v = sl_kv_hash_get(impl, k, kl, &vl);
    *out_found = v != NULL;
    if (v) {
        sl_buf_append(out, v, vl);
        if (out->oom) return sl_err_oom(err);
    }
    return SL_OK;
}

static sl_status mem_del(void *impl, const void *k, size_t kl, sl_error *err)
{
    sl_kv_hash_del(impl, k, kl);
    return SL_OK;
}

static sl_status mem_clear(void *impl, sl_error *err)
{
    sl_kv_hash_clear(impl);
    return SL_OK;
}

static int64_t mem_count(const void *impl) { return sl_kv_hash_count(impl); }

static sl_status mem_iter_new(void *impl, void **out_it, sl_error *err)
{
    sl_kv_hash_iter *it = sl_malloc(sizeof *it);
    if (!it) return sl_err_oom(err);
    sl_kv_hash_iter_init(it, impl);
    *out_it = it;
    return SL_OK;
}

static bool mem_iter_next(void *it, const void **k, size_t *kl, const void **v, size_t *vl)
{
    return sl_kv_hash_iter_next(it, k, kl, v, vl);
}

static void mem_iter_free(void *it) { sl_free(it); }
static void mem_free(void *impl) { sl_kv_hash_free(impl); }

const sl_kv_backend sl_kv_mem_backend = {
    "memory", mem_put, mem_get, mem_del, mem_clear, mem_count,
    mem_iter_new, mem_iter_next, mem_iter_free, mem_free, NULL, NULL,
};

void *sl_kv_mem_open(sl_error *err)
{
    sl_kv_hash *h = sl_kv_hash_new();
    if (!h) sl_err_oom(err);
    return h;
}
