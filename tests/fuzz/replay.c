/* Corpus replay for the fuzz targets without libFuzzer, SQLite fuzzcheck's
 * habit: every target's entry point is compiled a second time under a name
 * of its own (-DLLVMFuzzerTestOneInput=sl_fuzz_<target>_one, see the
 * Makefile's fuzz_replay rule) and linked with the ordinary library, release
 * or ASan, so `make test` runs every seed and every past crasher through the
 * same code the engine ships.
 *
 *   fuzz_replay TARGET PATH...    PATH: a file, or a directory whose regular
 *                                 files are each one input
 *
 * Prints "TARGET: N inputs replayed" and exits 0; a crash or a sanitizer
 * report ends it with that input's name on stderr. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef int (*entry_fn)(const unsigned char *data, size_t size);

int sl_fuzz_sql_one(const unsigned char *data, size_t size);
int sl_fuzz_model_one(const unsigned char *data, size_t size);
int sl_fuzz_format_one(const unsigned char *data, size_t size);
int sl_fuzz_parquet_one(const unsigned char *data, size_t size);
int sl_fuzz_ckpt_one(const unsigned char *data, size_t size);
int sl_fuzz_jsonfn_one(const unsigned char *data, size_t size);

static const struct {
    const char *name;
    entry_fn fn;
} targets[] = {
    {"sql", sl_fuzz_sql_one},         {"model", sl_fuzz_model_one},
    {"format", sl_fuzz_format_one},   {"parquet", sl_fuzz_parquet_one},
    {"ckpt", sl_fuzz_ckpt_one},       {"jsonfn", sl_fuzz_jsonfn_one},
};

static int run_file(entry_fn fn, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) { perror(path); return -1; }
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) { free(buf); fclose(fp); return -1; }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) break;
    }
    fclose(fp);
    /* An exact-size copy, so ASan sees a read one past the input. */
    unsigned char *in = malloc(n ? n : 1);
    if (!in) { free(buf); return -1; }
    memcpy(in, buf, n);
    free(buf);
    fprintf(stderr, "replaying %s\n", path);
    fn(in, n);
    free(in);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of inputs run, or -1. */
static long run_path(entry_fn fn, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) { perror(path); return -1; }
    if (!S_ISDIR(sb.st_mode)) return run_file(fn, path) == 0 ? 1 : -1;
    DIR *d = opendir(path);
    if (!d) { perror(path); return -1; }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char **nn = realloc(names, (n + 1) * sizeof *names);
        if (!nn) break;
        names = nn;
        names[n] = malloc(strlen(path) + strlen(de->d_name) + 2);
        if (!names[n]) break;
        sprintf(names[n], "%s/%s", path, de->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    long ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (run_file(fn, names[i]) != 0) ran = -1;
            else if (ran >= 0) ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fuzz_replay TARGET PATH...\n");
        return 2;
    }
    entry_fn fn = NULL;
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++)
        if (!strcmp(targets[i].name, argv[1])) fn = targets[i].fn;
    if (!fn) {
        fprintf(stderr, "fuzz_replay: unknown target %s\n", argv[1]);
        return 2;
    }
    long total = 0;
    for (int i = 2; i < argc; i++) {
        long r = run_path(fn, argv[i]);
        if (r < 0) return 1;
        total += r;
    }
    printf("%s: %ld inputs replayed\n", argv[1], total);
    return 0;
}
