/* Test driver for src/model/: loads a model and scores a CSV, or trains a
 * bundle from a CSV, so script tests can compare sluice's scores with
 * oracles (python3-xgboost, DuckDB). Built by the tests against the
 * library's internal headers.
 *
 *   score_tool inputs <model>                 prints "name TYPE" per input
 *   score_tool score <model> <csv>            prints each row's raw outputs
 *   score_tool predict <model> <csv>          prints "prediction,prob1"
 *   score_tool train <dir> <csv> <label> [key=value ...]
 *
 * CSV: a header of column names, comma-separated values without quoting;
 * an empty field is NULL. Columns are fed to inputs by name: as STRING when
 * the input is STRING, as DOUBLE otherwise (train: a column is STRING if any
 * value is not a number). */
#include "model/model.h"
#include "core/column.h"
#include "core/mem.h"
#include "core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct csv {
    int n_cols;
    char **names;
    int64_t n_rows;
    char ***cells;   /* [row][col], NULL for empty */
} csv;

static char *xstrdup(const char *s) { char *d = strdup(s); if (!d) abort(); return d; }

static int split(char *line, char **out, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *c = strchr(p, ',');
        if (c) *c = 0;
        if (n < max) out[n++] = p;
        if (!c) break;
        p = c + 1;
    }
    return n;
}

static csv read_csv(const char *path)
{
    csv c = {0};
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(2); }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    char *fields[4096];
    int64_t rcap = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        int n = split(line, fields, 4096);
        if (!c.names) {
            c.n_cols = n;
            c.names = calloc((size_t)n, sizeof *c.names);
            for (int i = 0; i < n; i++) c.names[i] = xstrdup(fields[i]);
            continue;
        }
        if (c.n_rows == rcap) {
            rcap = rcap ? rcap * 2 : 1024;
            c.cells = realloc(c.cells, sizeof *c.cells * (size_t)rcap);
        }
        char **row = calloc((size_t)c.n_cols, sizeof *row);
        for (int i = 0; i < n && i < c.n_cols; i++) row[i] = fields[i][0] ? xstrdup(fields[i]) : NULL;
        c.cells[c.n_rows++] = row;
    }
    free(line);
    fclose(f);
    return c;
}

static void csv_free(csv *c)
{
    for (int64_t r = 0; r < c->n_rows; r++) {
        for (int i = 0; i < c->n_cols; i++) free(c->cells[r][i]);
        free(c->cells[r]);
    }
    free(c->cells);
    for (int i = 0; i < c->n_cols; i++) free(c->names[i]);
    free(c->names);
}

static int csv_find(const csv *c, const char *name)
{
    for (int i = 0; i < c->n_cols; i++) if (strcasecmp(c->names[i], name) == 0) return i;
    return -1;
}

static sl_col *make_col(const csv *c, int ci, sl_type t)
{
    sl_col *col = sl_col_new(t);
    for (int64_t r = 0; r < c->n_rows; r++) {
        const char *s = ci >= 0 ? c->cells[r][ci] : NULL;
        if (!s) sl_col_append_null(col);
        else if (t == SL_TYPE_STRING) sl_col_append_str(col, s, strlen(s));
        else sl_col_append_f64(col, strtod(s, NULL));
    }
    return col;
}

static void die(sl_error *err)
{
    fprintf(stderr, "error: %s: %s\n", sl_status_name(sl_error_code(err)), sl_error_message(err));
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: see source\n"); return 2; }
    sl_error *err = sl_error_new();
    if (strcmp(argv[1], "train") == 0) {
        if (argc < 5) return 2;
        csv c = read_csv(argv[3]);
        int li = csv_find(&c, argv[4]);
        if (li < 0) { fprintf(stderr, "no label column\n"); return 2; }
        const char *names[4096];
        sl_col *cols[4096];
        int nf = 0;
        for (int i = 0; i < c.n_cols; i++) {
            if (i == li) continue;
            bool str = false;
            for (int64_t r = 0; r < c.n_rows && !str; r++) {
                char *e, *s = c.cells[r][i];
                if (s) { strtod(s, &e); str = *e != 0; }
            }
            names[nf] = c.names[i];
            cols[nf++] = make_col(&c, i, str ? SL_TYPE_STRING : SL_TYPE_DOUBLE);
        }
        sl_col *label = make_col(&c, li, SL_TYPE_DOUBLE);
        const char *opts[256];
        int no = 0;
        for (int a = 5; a < argc && no < 250; a++) {
            char *eq = strchr(argv[a], '=');
            if (!eq) return 2;
            *eq = 0;
            opts[no++] = argv[a];
            opts[no++] = eq + 1;
        }
        opts[no] = NULL;
        if (sl_model_train_xgb(argv[2], names, cols, nf, label, c.n_rows, opts, err) != SL_OK) die(err);
        for (int i = 0; i < nf; i++) sl_col_unref(cols[i]);
        sl_col_unref(label);
        csv_free(&c);
        sl_error_free(err);
        return 0;
    }
    sl_model *m;
    if (sl_model_load(argv[2], &m, err) != SL_OK) die(err);
    int ni = sl_model_num_inputs(m);
    if (strcmp(argv[1], "inputs") == 0) {
        printf("%s\n", sl_model_describe(m));
        for (int i = 0; i < ni; i++)
            printf("%s %s\n", sl_model_input_get(m, i)->name,
                   sl_type_name(sl_model_input_get(m, i)->type));
        sl_model_free(m);
        sl_error_free(err);
        return 0;
    }
    if (argc < 4) return 2;
    csv c = read_csv(argv[3]);
    sl_col **cols = calloc((size_t)ni + 1, sizeof *cols);
    for (int i = 0; i < ni; i++) {
        const sl_model_input *in = sl_model_input_get(m, i);
        int ci = csv_find(&c, in->name);
        if (ci < 0) { fprintf(stderr, "CSV lacks model input %s\n", in->name); return 2; }
        cols[i] = make_col(&c, ci, in->type);
    }
    if (strcmp(argv[1], "score") == 0) {
        int no = sl_model_num_outputs(m);
        double *out = malloc(sizeof *out * (size_t)(c.n_rows + 1) * (size_t)no);
        if (sl_model_score_raw(m, cols, c.n_rows, out, err) != SL_OK) die(err);
        for (int64_t r = 0; r < c.n_rows; r++)
            for (int k = 0; k < no; k++)
                printf("%.17g%c", out[r * no + k], k + 1 < no ? ',' : '\n');
        free(out);
    } else {
        sl_col *pred, *prob;
        if (sl_model_score(m, cols, c.n_rows, &pred, &prob, err) != SL_OK) die(err);
        for (int64_t r = 0; r < c.n_rows; r++) {
            if (sl_col_is_null(pred, r)) printf("NULL,");
            else printf("%.17g,", sl_col_f64(pred)[r]);
            if (sl_col_is_null(prob, r)) printf("NULL\n");
            else printf("%.17g\n", sl_col_f64(prob)[r]);
        }
        sl_col_unref(pred);
        sl_col_unref(prob);
    }
    for (int i = 0; i < ni; i++) sl_col_unref(cols[i]);
    free(cols);
    csv_free(&c);
    sl_model_free(m);
    sl_error_free(err);
    return 0;
}
