/* A tiny unit-test harness: TEST(name) { … } registers a test at load time;
 * CHECK(cond) records a failure and continues, REQUIRE(cond) stops the test.
 * test_main.c runs every registered test (or those whose name contains the
 * first argument) and prints "N passed, N failed". */
#ifndef SL_TEST_H
#define SL_TEST_H

#include <stdio.h>
#include <string.h>

typedef void (*sl_test_fn)(int *failed);
void sl_test_register(const char *name, sl_test_fn fn);

#define TEST(name)                                                        \
    static void test_##name(int *sl_test_failed);                         \
    __attribute__((constructor)) static void register_##name(void)        \
    {                                                                     \
        sl_test_register(#name, test_##name);                             \
    }                                                                     \
    static void test_##name(int *sl_test_failed)

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__,      \
                    __LINE__, #cond);                                     \
            *sl_test_failed = 1;                                          \
        }                                                                 \
    } while (0)

#define REQUIRE(cond)                                                     \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "  %s:%d: REQUIRE(%s) failed\n", __FILE__,    \
                    __LINE__, #cond);                                     \
            *sl_test_failed = 1;                                          \
            return;                                                       \
        }                                                                 \
    } while (0)

#define CHECK_STR(a, b)                                                   \
    do {                                                                  \
        const char *sa_ = (a), *sb_ = (b);                                \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                      \
            fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__,      \
                    __LINE__, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
            *sl_test_failed = 1;                                          \
        }                                                                 \
    } while (0)

#define CHECK_INT(a, b)                                                   \
    do {                                                                  \
        long long ia_ = (long long)(a), ib_ = (long long)(b);             \
        if (ia_ != ib_) {                                                 \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n",       \
                    __FILE__, __LINE__, #a, ia_, ib_);                    \
            *sl_test_failed = 1;                                          \
        }                                                                 \
    } while (0)

#endif
