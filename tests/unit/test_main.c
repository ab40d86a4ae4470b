/* Runs the registered unit tests; see test.h. */
#include "test.h"

#include <stdlib.h>

typedef struct { const char *name; sl_test_fn fn; } entry;
static entry *tests;
static int n_tests, cap_tests;

void sl_test_register(const char *name, sl_test_fn fn)
{
    if (n_tests == cap_tests) {
        cap_tests = cap_tests ? cap_tests * 2 : 64;
        tests = realloc(tests, (size_t)cap_tests * sizeof *tests);
        if (!tests) abort();
    }
    tests[n_tests].name = name;
    tests[n_tests].fn = fn;
    n_tests++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    qsort(tests, (size_t)n_tests, sizeof *tests, by_name);
    for (int i = 0; i < n_tests; i++) {
        if (filter && !strstr(tests[i].name, filter)) continue;
        int f = 0;
        tests[i].fn(&f);
        if (f) { failed++; fprintf(stderr, "FAIL unit/%s\n", tests[i].name); }
        else passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    free(tests);
    return failed ? 1 : 0;
}
