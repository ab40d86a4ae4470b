/* XXH64 and Spark's hashing: known-answer vectors from Spark's XXH64Suite
 * (which took them from the reference implementation), Spark's documented
 * xxhash64() example, and — when the system's libxxhash is present — the
 * reference C implementation itself on every length 0..300. */
#include "test.h"
#include "core/xxhash64.h"

#include <dlfcn.h>
#include <stdint.h>

#define PRIME 2654435761ULL
#define SIZE 101

/* The 101-byte buffer of Spark's XXH64Suite: byte i is bits 24..31 of the
 * i-th repeated square of PRIME (Java long arithmetic, wrapping). */
static void suite_buffer(unsigned char *buf)
{
    uint64_t seed = PRIME;
    for (int i = 0; i < SIZE; i++) {
        buf[i] = (unsigned char)(seed >> 24);
        seed *= seed;
    }
}

TEST(xxhash_known_ints_longs)
{
    CHECK(sl_xxh64_int(0x4B1FFF9E, 0) == 0x9256E58AA397AEF1ULL);
    CHECK(sl_xxh64_int(0x4B1FFF9E, PRIME) == 0x09D5FFDFB928AB4BULL);
    CHECK(sl_xxh64_long((int64_t)0xDD2F535E4B1FFF9EULL, 0) == 0xF74CB1451B32B8CFULL);
    CHECK(sl_xxh64_long((int64_t)0xDD2F535E4B1FFF9EULL, PRIME) == 0x9C44B77FBCC302C5ULL);
}

TEST(xxhash_known_bytes)
{
    unsigned char buf[SIZE];
    suite_buffer(buf);
    CHECK(sl_xxh64(buf, 0, 0) == 0xEF46DB3751D8E999ULL);
    CHECK(sl_xxh64(buf, 0, PRIME) == 0xAC75FDA2929B17EFULL);
    CHECK(sl_xxh64(buf, 1, 0) == 0x4FCE394CC88952D8ULL);
    CHECK(sl_xxh64(buf, 1, PRIME) == 0x739840CB819FA723ULL);
    CHECK(sl_xxh64(buf, 4, 0) == 0x9256E58AA397AEF1ULL);
    CHECK(sl_xxh64(buf, 4, PRIME) == 0x09D5FFDFB928AB4BULL);
    CHECK(sl_xxh64(buf, 8, 0) == 0xF74CB1451B32B8CFULL);
    CHECK(sl_xxh64(buf, 8, PRIME) == 0x9C44B77FBCC302C5ULL);
    CHECK(sl_xxh64(buf, 14, 0) == 0xCFFA8DB881BC3A3DULL);
    CHECK(sl_xxh64(buf, 14, PRIME) == 0x5B9611585EFCC9CBULL);
    CHECK(sl_xxh64(buf, SIZE, 0) == 0x0EAB543384F878ADULL);
    CHECK(sl_xxh64(buf, SIZE, PRIME) == 0xCAA65939306F1E21ULL);
    /* The int/long shortcuts are XXH64 of the little-endian bytes. */
    CHECK(sl_xxh64_int(0x4B1FFF9E, 42) == sl_xxh64(buf, 4, 42));
    CHECK(sl_xxh64_long((int64_t)0xDD2F535E4B1FFF9EULL, 42) == sl_xxh64(buf, 8, 42));
}

/* Spark's documented example: SELECT xxhash64('Spark', array(123), 2)
 * returns 5602566077635097486.  Each argument's hash seeds the next; an
 * array hashes its elements in turn; literals are INT. */
TEST(xxhash_spark_documented_example)
{
    uint64_t h = SL_XXH64_SPARK_SEED;
    h = sl_xxh64_spark_str("Spark", 5, h);
    h = sl_xxh64_int(123, h);
    h = sl_xxh64_int(2, h);
    CHECK_INT((int64_t)h, 5602566077635097486LL);
}

TEST(xxhash_spark_double_normalisation)
{
    double nz = -0.0, nan1 = __builtin_nan(""), nan2 = -__builtin_nan("0x123");
    CHECK(sl_xxh64_spark_double(nz, 42) == sl_xxh64_spark_double(0.0, 42));
    CHECK(sl_xxh64_spark_double(0.0, 42) == sl_xxh64_long(0, 42));
    CHECK(sl_xxh64_spark_double(nan1, 42) == sl_xxh64_spark_double(nan2, 42));
    CHECK(sl_xxh64_spark_double(nan1, 42) == sl_xxh64_long(0x7ff8000000000000LL, 42));
    /* 1.0 is 0x3FF0000000000000 in IEEE-754 (doubleToLongBits). */
    CHECK(sl_xxh64_spark_double(1.0, 42) == sl_xxh64_long(0x3FF0000000000000LL, 42));
    CHECK(sl_xxh64_spark_bool(1, 42) == sl_xxh64_int(1, 42));
    CHECK(sl_xxh64_spark_bool(0, 42) == sl_xxh64_int(0, 42));
}

/* The reference implementation as an oracle, when the system has it. */
TEST(xxhash_matches_libxxhash)
{
    void *lib = dlopen("libxxhash.so.0", RTLD_NOW);
    if (!lib) {
        fprintf(stderr, "  (libxxhash.so.0 not installed: reference comparison skipped)\n");
        return;
    }
    typedef unsigned long long (*xxh64_fn)(const void *, size_t, unsigned long long);
    xxh64_fn ref;
    *(void **)&ref = dlsym(lib, "XXH64");
    REQUIRE(ref);
    unsigned char buf[300];
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 300; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    int bad = 0;
    for (size_t n = 0; n <= 300; n++)
        for (int off = 0; off < 3 && n + (size_t)off <= 300; off++) {
            uint64_t seeds[] = {0, 42, PRIME, 0xFFFFFFFFFFFFFFFFULL};
            for (int s = 0; s < 4; s++)
                if (sl_xxh64(buf + off, n, seeds[s]) != ref(buf + off, n, seeds[s])) bad++;
        }
    CHECK_INT(bad, 0);
    dlclose(lib);
}
