/* libFuzzer target for everything sluice parses out of a checkpoint or a
 * sink manifest: the file container (header, length, checksums), offsets
 * and metadata-style JSON, plan descriptions, manifest payloads, and state
 * snapshot/delta bytes.  The first input byte picks the parser; the rest is
 * its input.  Build and run (from the repository root):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *     -Iinclude -Isrc fuzz/ckpt_fuzz.c src/state/[a-z]*.c src/core/mem.c \
 *     src/core/status.c src/core/buf.c src/core/options.c -lrocksdb -lpthread \
 *     -o build/ckpt_fuzz
 *   build/ckpt_fuzz -max_total_time=60 fuzz/corpus/ckpt
 *
 * Built with -DSL_FUZZ_REPLAY instead of -fsanitize=fuzzer it is a plain
 * program that runs each file named on its command line once (crash
 * replay, as SQLite's fuzzcheck does). */
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"
#include "state/ckpt_file.h"
#include "state/ckpt_log.h"
#include "state/kv.h"
#include "state/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sl_kv *fuzz_kv;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1) return 0;
    int which = data[0] % 8;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    sl_error err = {0};
    if (!fuzz_kv && sl_kv_open(NULL, &fuzz_kv, &err) != SL_OK) abort();

    const void *payload = in;
    size_t plen = n;
    if (which >= 4) {
        /* The realistic path: through the container first. */
        if (sl_ckpt_file_decode(in, n, SL_CKPT_KIND_ANY, "fuzz", &payload, &plen, &err) != SL_OK)
            return 0;
        which -= 4;
    }
    /* Parsers get an exact-length heap copy so ASan sees any overread. */
    char *copy = malloc(plen + 1);
    if (!copy) return 0;
    memcpy(copy, payload, plen);
    copy[plen] = 0;
    switch (which) {
    case 0: {
        sl_ckpt_offsets off;
        if (sl_ckpt_offsets_parse(copy, plen, "fuzz", &off, &err) == SL_OK) {
            for (int i = 0; i < off.n_sources; i++)
                if (!sl_ckpt_json_valid(off.sources[i].json, strlen(off.sources[i].json)))
                    abort(); /* a parsed offset must itself be valid JSON */
        }
        sl_ckpt_offsets_fini(&off);
        break;
    }
    case 1: {
        sl_manifest_files f = {0};
        sl_manifest_parse(copy, plen, "fuzz", &f, &err);
        sl_manifest_files_fini(&f);
        break;
    }
    case 2: {
        /* Snapshot then delta bytes into one store. */
        if (sl_kv_load(fuzz_kv, copy, plen, &err) == SL_OK) {
            sl_buf b;
            sl_buf_init(&b);
            /* A loaded snapshot re-encodes to something that loads again. */
            if (sl_kv_snapshot(fuzz_kv, &b, &err) != SL_OK ||
                sl_kv_load(fuzz_kv, b.data, b.len, &err) != SL_OK)
                abort();
            sl_buf_fini(&b);
        }
        sl_kv_apply_delta(fuzz_kv, copy, plen, &err);
        break;
    }
    case 3: {
        /* Two plan descriptions separated by a NUL. */
        const char *sep = memchr(copy, 0, plen);
        if (!sep) {
            if (sl_ckpt_json_valid(copy, plen)) {
                sl_buf msg;
                sl_buf_init(&msg);
                if (sl_ckpt_plan_diff(copy, copy, &msg) != 0) abort(); /* equal to itself */
                sl_buf_fini(&msg);
            }
            break;
        }
        sl_buf msg;
        sl_buf_init(&msg);
        sl_ckpt_plan_diff(copy, sep + 1, &msg);
        sl_buf_fini(&msg);
        break;
    }
    }
    free(copy);
    return 0;
}

#ifdef SL_FUZZ_REPLAY
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) { perror(argv[i]); return 1; }
        static unsigned char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
    }
    sl_kv_free(fuzz_kv);
    printf("%d inputs replayed\n", argc - 1);
    return 0;
}
#endif
