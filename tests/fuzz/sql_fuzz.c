/* libFuzzer target for the SQL front end: the input is a whole script that
 * goes through sl_engine_exec (lexer, parser, binder, streaming rules and
 * planner, exactly as `sluice run` takes a file) and then sl_engine_explain,
 * which renders every planned sink.  Nothing is started: sources are not
 * opened and no batch runs, so the target reads no input beyond its own.
 * Build and run (from the repository root):
 *
 *   make build/fuzz/sql_fuzz
 *   build/fuzz/sql_fuzz -max_total_time=60 tests/fuzz/corpus/sql
 *
 * Built without libFuzzer (tests/fuzz/replay.c renames the entry point) it
 * replays the corpus in `make test`. */
#include "sluice.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* CREATE MODEL … AS SELECT trains a model, which runs a query: that is not
 * a parser, and would let the fuzzer write model directories.  Such inputs
 * are skipped; CREATE MODEL … FROM 'path' still goes through. */
static int trains_model(const char *s)
{
    const char *m = strcasestr(s, "model");
    return m && strcasestr(m, "select");
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size > 64 * 1024) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    if (trains_model(text)) { free(text); return 0; }
    sl_error *err = sl_error_new();
    sl_engine *eng = NULL;
    if (err && sl_engine_new(NULL, &eng, err) == SL_OK) {
        /* A failed exec leaves what the earlier statements defined, and
         * explain must still render it. */
        sl_engine_exec(eng, text, "fuzz.sql", err);
        char *plan = NULL;
        if (sl_engine_explain(eng, &plan, err) == SL_OK) sl_free_string(plan);
    }
    sl_engine_free(eng);
    sl_error_free(err);
    free(text);
    return 0;
}
