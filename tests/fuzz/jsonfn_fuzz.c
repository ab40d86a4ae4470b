/* libFuzzer target for the JSON functions on column values
 * (src/exec/fn_json.c: get_json_object, the one there is; sluice has no
 * from_json yet).  They run on whatever text a stream carries, with a path
 * that is usually a literal but may be any string column.
 *
 * The input is a path, a newline, then the JSON text (no newline: the
 * whole input is the text and the path is "$").  Each call gets its own
 * one-row columns whose character buffers are exactly the strings' size,
 * so ASan sees any read past a value.  Evaluated: the text with the path;
 * the same again (the compiled path is reused from the call's state); the
 * text's first half with the path; the text with the path's first half;
 * and a three-row batch (text, NULL, text) to cover NULL rows and the
 * path cache across rows.  The result must be NULL or a string no longer
 * than needed to hold the text's values (each at most the text, quoted and
 * joined: a bound, not an oracle).  Build and run (from the repository
 * root):
 *
 *   make build/fuzz/jsonfn_fuzz
 *   build/fuzz/jsonfn_fuzz -dict=tests/fuzz/jsonfn.dict -max_total_time=60 tests/fuzz/corpus/jsonfn
 *
 * Built without libFuzzer (tests/fuzz/replay.c renames the entry point) it
 * replays the corpus in `make test`. */
#include "core/column.h"
#include "core/status.h"
#include "exec/func.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* A string column of the given values (NULL: a NULL row), its character
 * buffer exactly their total size. */
static sl_col *column(const char *const *s, const size_t *n, int rows)
{
    size_t total = 0;
    for (int i = 0; i < rows; i++) total += s[i] ? n[i] : 0;
    sl_col *c = sl_col_new_sized(SL_TYPE_STRING, 0, total ? total : 1);
    if (!c) abort();
    for (int i = 0; i < rows; i++)
        if (s[i] ? sl_col_append_str(c, s[i], n[i]) : sl_col_append_null(c)) abort();
    return c;
}

static void call(const sl_func_def *fn, void **state, const char *const *json, const size_t *jn,
                 const char *const *path, const size_t *pn, int rows)
{
    sl_col *args[2] = {column(json, jn, rows), column(path, pn, rows)};
    sl_col *out = NULL;
    sl_error err = {0};
    sl_eval_ctx ctx = {0};
    sl_status st = fn->eval(args, 2, rows, SL_TYPE_STRING, &ctx, state, &out, &err);
    if (st != SL_OK) {
        /* only running out of memory may fail it */
        if (st != SL_ERR_NOMEM) abort();
    } else {
        if (!out || out->len != rows) abort();
        for (int i = 0; i < rows; i++) {
            if (sl_col_is_null(out, i)) continue;
            if (!json[i] || !path[i]) abort(); /* NULL in, NULL out */
            size_t len;
            sl_col_str(out, i, &len);
            /* every value found is a piece of the text, quoted at most (a
             * \u escape of one byte is 6 bytes), joined with a comma */
            if (len > 7 * jn[i] + 2) abort();
        }
    }
    sl_col_unref(out);
    sl_col_unref(args[0]);
    sl_col_unref(args[1]);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const sl_func_def *fn;
    if (!fn && !(fn = sl_func_find("get_json_object"))) abort();
    const char *in = (const char *)data;
    const char *nl = memchr(in, '\n', size);
    const char *path = nl ? in : "$", *json = nl ? nl + 1 : in;
    size_t pn = nl ? (size_t)(nl - in) : 1, jn = nl ? size - pn - 1 : size;
    /* exact-size copies: the input buffer would hide a read past the path */
    char *p = malloc(pn ? pn : 1), *j = malloc(jn ? jn : 1);
    if (!p || !j) abort();
    memcpy(p, path, pn);
    memcpy(j, json, jn);

    void *state = NULL;
    const char *js[3] = {j, NULL, j}, *ps[3] = {p, p, p};
    size_t jl[3] = {jn, 0, jn}, pl[3] = {pn, pn, pn};
    call(fn, &state, js, jl, ps, pl, 1);
    call(fn, &state, js, jl, ps, pl, 1); /* the compiled path reused */
    size_t half = jn / 2;
    call(fn, &state, js, &half, ps, pl, 1);
    size_t phalf = pn / 2;
    call(fn, &state, js, jl, ps, &phalf, 1);
    call(fn, &state, js, jl, ps, pl, 3);
    if (fn->free_state) fn->free_state(state);
    free(p);
    free(j);
    return 0;
}
