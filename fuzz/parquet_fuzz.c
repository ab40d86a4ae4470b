/* libFuzzer target for sluice's Parquet readers: the footer (Thrift compact
 * FileMetaData), schema trees, page headers, decompression, every value and
 * level decoder, the flat reader and the nested record assembler all run on
 * the input as a whole file.  Build and run (from the repository root):
 *
 *   make build/fuzz/parquet_fuzz
 *   build/fuzz/parquet_fuzz -max_total_time=60 fuzz/corpus/parquet
 *
 * Built with -DSL_FUZZ_REPLAY instead of -fsanitize=fuzzer it is a plain
 * program that runs each file named on its command line once (crash
 * replay, as SQLite's fuzzcheck does). */
#include "format/parquet.h"
#include "core/mem.h"
#include "core/status.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    sl_error *err = sl_error_new();
    sl_pq_file *f;
    if (sl_pq_open_mem(data, size, &f, err) == SL_OK) {
        for (int k = 0; k < 64; k++) {
            sl_batch *b = NULL;
            if (sl_pq_read_batch(f, 1000, &b, err) != SL_OK || !b) break;
            sl_batch_unref(b);
        }
        sl_pq_close(f);
    }
    sl_jdoc *doc;
    if (sl_pq_read_records_mem(data, size, &doc, err) == SL_OK) sl_jdoc_free(doc);
    sl_error_free(err);
    return 0;
}

#ifdef SL_FUZZ_REPLAY
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *fp = fopen(argv[i], "rb");
        if (!fp) { perror(argv[i]); return 1; }
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
        if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n) { fclose(fp); return 1; }
        fclose(fp);
        LLVMFuzzerTestOneInput(buf, (size_t)n);
        free(buf);
    }
    printf("%d inputs ran\n", argc - 1);
    return 0;
}
#endif
