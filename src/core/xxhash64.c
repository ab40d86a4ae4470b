/* xxHash64 written from the algorithm's specification (see xxhash64.h for how
 * Spark's variants map onto it).  Input words are read little-endian with
 * memcpy, which compiles to a plain load on x86-64 and stays correct for
 * unaligned string bytes. */
#include "core/xxhash64.h"

#include <string.h>

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint32_t read32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t round1(uint64_t acc, uint64_t lane)
{
    acc += lane * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

static inline uint64_t merge_round(uint64_t h, uint64_t v)
{
    h ^= round1(0, v);
    return h * P1 + P4;
}

static inline uint64_t avalanche(uint64_t h)
{
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

uint64_t sl_xxh64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    const unsigned char *end = p + n;
    uint64_t h;
    if (n >= 32) {
        const unsigned char *limit = end - 32;
        uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
        do {
            v1 = round1(v1, read64(p));
            v2 = round1(v2, read64(p + 8));
            v3 = round1(v3, read64(p + 16));
            v4 = round1(v4, read64(p + 24));
            p += 32;
        } while (p <= limit);
        h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
        h = merge_round(h, v1);
        h = merge_round(h, v2);
        h = merge_round(h, v3);
        h = merge_round(h, v4);
    } else {
        h = seed + P5;
    }
    h += (uint64_t)n;
    while (end - p >= 8) {
        h ^= round1(0, read64(p));
        h = rotl(h, 27) * P1 + P4;
        p += 8;
    }
    if (end - p >= 4) {
        h ^= (uint64_t)read32(p) * P1;
        h = rotl(h, 23) * P2 + P3;
        p += 4;
    }
    while (p < end) {
        h ^= (uint64_t)(*p) * P5;
        h = rotl(h, 11) * P1;
        p++;
    }
    return avalanche(h);
}

uint64_t sl_xxh64_int(int32_t v, uint64_t seed)
{
    uint64_t h = seed + P5 + 4;
    h ^= (uint64_t)(uint32_t)v * P1;
    h = rotl(h, 23) * P2 + P3;
    return avalanche(h);
}

uint64_t sl_xxh64_long(int64_t v, uint64_t seed)
{
    uint64_t h = seed + P5 + 8;
    h ^= round1(0, (uint64_t)v);
    h = rotl(h, 27) * P1 + P4;
    return avalanche(h);
}

uint64_t sl_xxh64_spark_double(double v, uint64_t seed)
{
    int64_t bits;
    if (v == 0.0) {
        bits = 0;                       /* 0.0 and -0.0 alike */
    } else if (v != v) {
        bits = 0x7ff8000000000000LL;    /* Java's canonical NaN */
    } else {
        memcpy(&bits, &v, 8);
    }
    return sl_xxh64_long(bits, seed);
}
