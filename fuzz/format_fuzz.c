/* libFuzzer target for the JSON and CSV record parsers, their writers and
 * the text conversions they rest on (including Spark datetime patterns taken
 * from the input).  The first byte picks the format, mode and options; the
 * rest is split into records at newlines and parsed into a batch of every
 * type, which is then written back as JSON and CSV.  Build and run (from the
 * repository root):
 *
 *   make build/fuzz/format_fuzz
 *   build/fuzz/format_fuzz -max_total_time=60 fuzz/corpus/format
 *
 * Built with -DSL_FUZZ_REPLAY instead of -fsanitize=fuzzer it is a plain
 * program that runs each file named on its command line once. */
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"
#include "format/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1) return 0;
    unsigned sel = data[0];
    const char *text = (const char *)data + 1;
    size_t n = size - 1;

    static const char *names[] = {"s", "i", "b", "d", "t", "ok", "day", "_corrupt_record"};
    static const sl_type types[] = {SL_TYPE_STRING, SL_TYPE_INT, SL_TYPE_BIGINT,
                                    SL_TYPE_DOUBLE, SL_TYPE_TIMESTAMP, SL_TYPE_BOOLEAN,
                                    SL_TYPE_DATE, SL_TYPE_STRING};
    sl_schema *s = sl_schema_new(8);
    if (!s) return 0;
    for (int i = 0; i < 8; i++) sl_schema_set(s, i, names[i], types[i]);
    sl_options o;
    sl_options_init(&o);
    static const char *modes[] = {"PERMISSIVE", "DROPMALFORMED", "FAILFAST"};
    sl_options_set(&o, "mode", modes[(sel >> 1) % 3]);
    if (sel & 8) sl_options_set(&o, "header", "false");
    if (sel & 16) sl_options_set(&o, "timestampFormat", "dd/MM/yyyy HH:mm");
    if (sel & 32) sl_options_set(&o, "sep", ";");
    bool skip[8] = {0};
    skip[2] = (sel & 64) != 0;
    sl_format *f;
    sl_error err;
    if (sl_format_new((sel & 1) ? "csv" : "json", s, skip, &o, &f, &err) == SL_OK) {
        sl_batch *b = sl_batch_new_builder(s);
        size_t pos = 0;
        while (b && pos <= n) {
            const char *e = memchr(text + pos, '\n', n - pos);
            size_t end = e ? (size_t)(e - text) : n;
            int64_t rows;
            sl_format_parse(f, text + pos, end - pos, b, &rows, &err);
            if (sel & 128) sl_format_begin_file(f);
            pos = end + 1;
        }
        if (b) {
            /* the skipped column is the source's: fill it to the row count */
            int64_t rows = b->cols[0]->len;
            while (b->cols[2]->len < rows) sl_col_append_null(b->cols[2]);
            if (sl_batch_seal(b) == 0) {
                sl_buf out;
                sl_buf_init(&out);
                for (int64_t r = 0; r < b->n_rows && r < 64; r++) {
                    sl_format_json_row(b, s, r, &out);
                    sl_format_csv_row(b, s, r, ',', &out);
                }
                sl_buf_fini(&out);
            }
            sl_batch_unref(b);
        }
        sl_format_free(f);
    }
    sl_options_fini(&o);
    sl_schema_free(s);

    /* the text conversions on the raw input, with the input as a pattern */
    int64_t v;
    int32_t w;
    double d;
    bool bo;
    sl_text_to_i64(text, n, &v);
    sl_text_to_f64(text, n, &d);
    sl_text_to_bool(text, n, &bo);
    sl_text_to_date(text, n, &w);
    if (sl_text_to_timestamp(text, n, &v)) {
        char buf[SL_TEXT_MAX];
        sl_timestamp_to_text(v, buf);
        sl_timestamp_to_iso(v, buf);
    }
    char pat[128];
    size_t pl = n < sizeof pat - 1 ? n : sizeof pat - 1;
    memcpy(pat, text, pl);
    pat[pl] = 0;
    char out[256];
    sl_timestamp_format((int64_t)(sel * 7919) * 1000003 - 5000000000000LL, pat, out, sizeof out);
    sl_text_to_timestamp_fmt(text, n, pat, &v);
    sl_text_to_timestamp_fmt("13/10/2022 21:58", 16, pat, &v);
    return 0;
}

#ifdef SL_FUZZ_REPLAY
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *fp = fopen(argv[i], "rb");
        if (!fp) { perror(argv[i]); return 1; }
        static unsigned char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        LLVMFuzzerTestOneInput(buf, n);
    }
    return 0;
}
#endif
