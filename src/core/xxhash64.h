/* xxHash64, and the ways Spark feeds values to it.
 *
 * XXH64 (Yann Collet's 64-bit xxHash) is written here from the algorithm's
 * specification.  Spark's catalyst XXH64 class is the same function: its
 * hashInt(i, seed) equals XXH64 of the 4 little-endian bytes of i, its
 * hashLong(l, seed) equals XXH64 of the 8 little-endian bytes of l, and its
 * hashUnsafeBytes equals XXH64 of the bytes (8-byte words, then one 4-byte
 * word, then single bytes, as the reference tail).  The int/long variants are
 * kept as straight-line code because they are the hot path of hashing a
 * column.  Spark's per-type rules (which of these a BOOLEAN, DOUBLE or
 * TIMESTAMP goes through, and how -0.0 and NaN are normalised) live in
 * sl_xxh64_spark_*; approx_count_distinct (exec/agg/hll.h) and the
 * xxhash64() SQL function use them with seed 42. */
#ifndef SL_CORE_XXHASH64_H
#define SL_CORE_XXHASH64_H

#include <stddef.h>
#include <stdint.h>

/* The seed Spark uses for xxhash64() and for HyperLogLog++. */
#define SL_XXH64_SPARK_SEED 42

/* XXH64 of n bytes at p (p may be NULL when n == 0). */
uint64_t sl_xxh64(const void *p, size_t n, uint64_t seed);
/* XXH64 of the 4 little-endian bytes of v (Spark XXH64.hashInt). */
uint64_t sl_xxh64_int(int32_t v, uint64_t seed);
/* XXH64 of the 8 little-endian bytes of v (Spark XXH64.hashLong). */
uint64_t sl_xxh64_long(int64_t v, uint64_t seed);

/* Spark's XxHash64Function.hash for each sluice type, seed given (Spark chains
 * seeds for multi-argument xxhash64(a, b, …): the hash of a is b's seed). */
static inline uint64_t sl_xxh64_spark_bool(int v, uint64_t seed)
{
    return sl_xxh64_int(v ? 1 : 0, seed);
}
/* DOUBLE: -0.0 hashes as 0L and every NaN as Java's canonical NaN bits
 * (Double.doubleToLongBits), so values that compare equal hash equal. */
uint64_t sl_xxh64_spark_double(double v, uint64_t seed);
/* STRING: the UTF-8 bytes (Spark's UTF8String, binary collation). */
static inline uint64_t sl_xxh64_spark_str(const char *s, size_t n, uint64_t seed)
{
    return sl_xxh64(s, n, seed);
}
/* INT and DATE go through sl_xxh64_int; BIGINT and TIMESTAMP (microseconds,
 * as Spark stores them) through sl_xxh64_long. */

#endif
