/* CREATE MODEL: loading a model at plan time, or training one from a
 * bounded query (the reference's Part 2A), into the catalog where
 * predict() finds it (plan/bind_model.c).
 *
 * Training runs the query to its end here, outside the micro-batch driver:
 * it reads only bounded tables, so it is one batch query — every source is
 * planned up to the end of what it holds, read once into the query's
 * operators (a batch aggregation or join emits its whole result when its
 * inputs finish) and the rows collected.  Its columns, bar the label, are
 * the features; src/model/ trains an XGBoost bundle on them through
 * libxgboost, and the bundle is loaded back as the model, so a trained
 * model and one loaded FROM the same directory score identically. */
#include "driver/model_stmt.h"
#include "model/model.h"
#include "core/mem.h"
#include "core/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A positioned error about statement st, keeping a library message. */
static sl_status stmt_error(const sl_catalog *cat, const sl_ast_stmt *st, sl_status code, const char *msg)
{
    char m[900];
    size_t n = strnlen(msg, sizeof m - 1);
    memcpy(m, msg, n);
    m[n] = 0;
    return sl_bind_error(cat, code, st->line, st->col, "CREATE MODEL %s: %s", st->name, m);
}

static sl_status add_model(sl_catalog *cat, const sl_ast_stmt *st, sl_model *m, const char *path, sl_error *err)
{
    sl_model_def *def = sl_arena_alloc(&cat->arena, sizeof *def);
    if (!def || !(def->name = sl_arena_strdup(&cat->arena, st->name)) ||
        !(def->path = sl_arena_strdup(&cat->arena, path)) || sl_catalog_add_model(cat, def, err)) {
        sl_model_free(m);
        return sl_err_oom(err);
    }
    def->model = m;
    return SL_OK;
}

static sl_status load_into_catalog(sl_catalog *cat, const sl_ast_stmt *st, const char *path, sl_error *err)
{
    sl_model *m = NULL;
    sl_status s = sl_model_load(path, &m, err);
    if (s == SL_ERR_NOMEM) return s;
    if (s) return stmt_error(cat, st, s, err->msg);
    return add_model(cat, st, m, path, err);
}

/* ---- running the bounded query ----------------------------------------- */

typedef struct collected {
    sl_batch **bs;
    size_t n, cap;
    int64_t rows;
} collected;

static sl_status collect(void *ctx, sl_batch *b, sl_error *err)
{
    collected *c = ctx;
    if (b->n_rows == 0) return SL_OK;
    if (sl_grow((void **)&c->bs, &c->cap, c->n + 1, sizeof *c->bs)) return sl_err_oom(err);
    c->bs[c->n++] = sl_batch_ref(b);
    c->rows += b->n_rows;
    return SL_OK;
}

typedef struct feed {
    sl_op_tree *ops;
    int src_id;
    sl_exec_ctx *x;
} feed;

/* A source's rows go to every scan of it (a self-join has two). */
static sl_status feed_scans(void *ctx, sl_batch *b, sl_error *err)
{
    feed *f = ctx;
    for (int i = 0; i < f->ops->n_scans; i++) {
        sl_op *scan = f->ops->scans[i];
        if (scan->plan->src->id != f->src_id) continue;
        sl_status s = scan->ops->push(scan, 0, b, f->x, err);
        if (s) return s;
    }
    return SL_OK;
}

/* The end offset of everything source src holds now (NULL when empty):
 * planning batch after batch as the driver would, but reading them as one. */
static sl_status plan_all(sl_source *src, char **out_end, sl_error *err)
{
    char *end = NULL;
    for (int guard = 0; guard < 1000000; guard++) {
        char *next = NULL;
        sl_status s = src->ops->plan(src, end, &next, err);
        if (s) { sl_free(end); return s; }
        if (!next) break;
        sl_free(end);
        end = next;
    }
    *out_end = end;
    return SL_OK;
}

static sl_status run_bounded(const sl_catalog *cat, const sl_plan *plan, collected *c, sl_error *err)
{
    int n_src = cat->n_sources;
    sl_source **rt = sl_calloc((size_t)(n_src ? n_src : 1), sizeof *rt);
    char **ends = sl_calloc((size_t)(n_src ? n_src : 1), sizeof *ends);
    sl_op_tree ops;
    memset(&ops, 0, sizeof ops);
    sl_status s = rt && ends ? SL_OK : sl_err_oom(err);
    if (!s) s = sl_op_tree_build(plan, collect, c, &ops, err);
    for (int i = 0; !s && i < ops.n_scans; i++) {
        const sl_source_def *def = ops.scans[i]->plan->src;
        if (rt[def->id]) continue;
        if ((s = sl_source_new(def->name, def->schema, &def->opts, true, &rt[def->id], err))) break;
        if ((s = plan_all(rt[def->id], &ends[def->id], err))) sl_err_prefix(err, "source %s", def->name);
    }
    sl_exec_ctx x;
    memset(&x, 0, sizeof x);
    x.ev.batch_ts_us = (int64_t)time(NULL) * 1000000;
    x.watermark_us = SL_NO_WATERMARK;
    x.mode = SL_OUT_APPEND;
    if (!s) {
        sl_op_tree_set_watermark(&ops, SL_NO_WATERMARK);
        sl_op_tree_begin_batch(&ops);
    }
    for (int i = 0; !s && i < n_src; i++) {
        if (!rt[i] || !ends[i]) continue;
        feed f = {&ops, i, &x};
        if ((s = rt[i]->ops->read(rt[i], NULL, ends[i], feed_scans, &f, err)))
            sl_err_prefix(err, "source %s", rt[i]->name);
    }
    for (int i = 0; !s && i < ops.n_scans; i++) s = sl_op_finish(ops.scans[i], &x, err);
    sl_op_tree_fini(&ops);
    for (int i = 0; rt && ends && i < n_src; i++) {
        sl_source_free(rt[i]);
        sl_free(ends[i]);
    }
    sl_free(rt);
    sl_free(ends);
    return s;
}

/* Frees kernel state (compiled regexes) held in the plan's expressions. */
static void plan_release(const sl_plan *p)
{
    if (!p) return;
    sl_expr_release(p->pred);
    sl_expr_release(p->residual);
    sl_expr_release(p->win_time);
    for (int i = 0; i < p->n_exprs; i++) sl_expr_release(p->exprs[i]);
    for (int i = 0; i < p->n_keys; i++) sl_expr_release(p->keys[i]);
    for (int i = 0; i < p->n_aggs; i++) sl_expr_release(p->aggs[i].arg);
    for (int i = 0; i < p->n_join_keys; i++) { sl_expr_release(p->lkeys[i]); sl_expr_release(p->rkeys[i]); }
    plan_release(p->child[0]);
    plan_release(p->child[1]);
}

static const sl_source_def *streaming_source(const sl_plan *p)
{
    if (!p) return NULL;
    if (p->kind == SL_PLAN_SCAN) return p->src->bounded ? NULL : p->src;
    const sl_source_def *d = streaming_source(p->child[0]);
    return d ? d : streaming_source(p->child[1]);
}

/* Where a bundle without WITH (path = …) goes: model.dir/<name> when the
 * session sets model.dir, else a new directory under $TMPDIR (or /tmp). */
static sl_status default_dir(sl_engine *eng, const char *name, char *out, size_t cap, sl_error *err)
{
    char safe[200];
    size_t k = 0;
    for (const char *p = name; *p && k < sizeof safe - 1; p++)
        safe[k++] = *p == '/' || *p == '.' ? '_' : *p;   /* one path component */
    safe[k] = 0;
    const char *base = sl_options_get(&eng->session, "model.dir");
    if (base) {
        if (mkdir(base, 0777) != 0 && errno != EEXIST)
            return sl_err(err, SL_ERR_IO, "cannot create model.dir %s: %s", base, strerror(errno));
        snprintf(out, cap, "%s/%s", base, safe);
        return SL_OK;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(out, cap, "%s/sluice-model-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", safe);
    if (!mkdtemp(out)) return sl_err(err, SL_ERR_IO, "cannot create a directory for the model: %s", strerror(errno));
    return SL_OK;
}

static bool feature_type_ok(sl_type t)
{
    return sl_type_is_numeric(t) || t == SL_TYPE_BOOLEAN || t == SL_TYPE_STRING || t == SL_TYPE_NULL;
}

static sl_status train(sl_engine *eng, const sl_ast_stmt *st, sl_error *err)
{
    sl_catalog *cat = &eng->cat;
    const char *type = NULL, *label = NULL, *path = NULL;
    int n_pass = 0;
    for (int i = 0; i < st->n_opts; i++) {
        const char *k = st->opts[i].name;
        if (!strcasecmp(k, "type")) type = st->opts[i].value;
        else if (!strcasecmp(k, "label")) label = st->opts[i].value;
        else if (!strcasecmp(k, "path")) path = st->opts[i].value;
        else n_pass++;
    }
    if (!type)
        return sl_bind_error(cat, SL_ERR_CONFIG, st->line, st->col,
                             "CREATE MODEL %s … AS SELECT needs WITH (type = 'xgboost', label = '…')", st->name);
    if (strcasecmp(type, "xgboost"))
        return sl_bind_error(cat, SL_ERR_CONFIG, st->line, st->col,
                             "CREATE MODEL %s: type '%s' cannot be trained here (only 'xgboost')", st->name, type);
    if (!label)
        return sl_bind_error(cat, SL_ERR_CONFIG, st->line, st->col,
                             "CREATE MODEL %s needs WITH (label = '…'): the column to learn", st->name);

    sl_arena arena;
    sl_arena_init(&arena);
    sl_plan *plan = NULL;
    collected c = {0};
    sl_batch *all = NULL;
    const char **names = NULL;
    sl_col **cols = NULL;
    const char **kv = NULL;
    char dir[4096];
    sl_status s = sl_bind_select(cat, st->select, &arena, &plan, err);
    if (s) goto out;
    const sl_source_def *live = streaming_source(plan);
    if (live) {
        s = sl_bind_error(cat, SL_ERR_PLAN, st->select->line, st->select->col,
                          "CREATE MODEL %s trains on bounded tables only (CREATE TABLE), but %s is a stream",
                          st->name, live->name);
        goto out;
    }
    const sl_schema *sch = plan->schema;
    int li = sl_schema_find(sch, label);
    if (li < 0) {
        char list[500] = "";
        size_t len = 0;
        for (int i = 0; i < sch->n && len < 400; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", sch->fields[i].name);
        s = sl_bind_error(cat, SL_ERR_BIND, st->line, st->col,
                          "CREATE MODEL %s: the label column '%s' is not among the query's columns (%s)",
                          st->name, label, list);
        goto out;
    }
    if (!sl_type_is_numeric(sch->fields[li].type) && sch->fields[li].type != SL_TYPE_BOOLEAN) {
        s = sl_bind_error(cat, SL_ERR_TYPE, st->line, st->col,
                          "CREATE MODEL %s: the label column %s is %s; it must be numeric (e.g. CASE WHEN … "
                          "THEN 1 ELSE 0 END)", st->name, sch->fields[li].name, sl_type_name(sch->fields[li].type));
        goto out;
    }
    if (sch->n < 2) {
        s = sl_bind_error(cat, SL_ERR_BIND, st->line, st->col,
                          "CREATE MODEL %s: the query has no feature columns besides the label", st->name);
        goto out;
    }
    for (int i = 0; i < sch->n; i++)
        if (i != li && !feature_type_ok(sch->fields[i].type)) {
            s = sl_bind_error(cat, SL_ERR_TYPE, st->line, st->col,
                              "CREATE MODEL %s: feature %s is %s; a model takes numbers, booleans and strings "
                              "(CAST it)", st->name, sch->fields[i].name, sl_type_name(sch->fields[i].type));
            goto out;
        }

    if ((s = run_bounded(cat, plan, &c, err))) {
        sl_err_prefix(err, "CREATE MODEL %s (line %d): running the training query", st->name, st->line);
        goto out;
    }
    if (c.rows == 0) {
        s = sl_bind_error(cat, SL_ERR_MODEL, st->line, st->col,
                          "CREATE MODEL %s: the training query returned no rows", st->name);
        goto out;
    }
    all = sl_batch_concat(c.bs, (int)c.n, sch);
    names = sl_calloc((size_t)sch->n, sizeof *names);
    cols = sl_calloc((size_t)sch->n, sizeof *cols);
    kv = sl_calloc((size_t)n_pass * 2 + 2, sizeof *kv);
    if (!all || !names || !cols || !kv) { s = sl_err_oom(err); goto out; }
    int nf = 0;
    for (int i = 0; i < sch->n; i++) {
        if (i == li) continue;
        names[nf] = sch->fields[i].name;
        cols[nf++] = all->cols[i];
    }
    int nk = 0;
    for (int i = 0; i < st->n_opts; i++) {
        const char *k = st->opts[i].name;
        if (!strcasecmp(k, "type") || !strcasecmp(k, "label") || !strcasecmp(k, "path")) continue;
        kv[nk++] = k;
        kv[nk++] = st->opts[i].value;
    }
    if (path) snprintf(dir, sizeof dir, "%s", path);
    else if ((s = default_dir(eng, st->name, dir, sizeof dir, err))) {
        s = stmt_error(cat, st, s, err->msg);
        goto out;
    }
    s = sl_model_train_xgb(dir, names, cols, nf, all->cols[li], all->n_rows, kv, err);
    if (s == SL_ERR_NOMEM) goto out;
    if (s) { s = stmt_error(cat, st, s, err->msg); goto out; }
    s = load_into_catalog(cat, st, dir, err);
out:
    sl_free(names);
    sl_free(cols);
    sl_free(kv);
    sl_batch_unref(all);
    for (size_t i = 0; i < c.n; i++) sl_batch_unref(c.bs[i]);
    sl_free(c.bs);
    plan_release(plan);
    sl_arena_fini(&arena);
    return s;
}

sl_status sl_driver_model_create(sl_engine *eng, const sl_ast_stmt *st, sl_error *err)
{
    sl_catalog *cat = &eng->cat;
    sl_status s = sl_catalog_check_new(cat, st->name, st->line, st->col, err);
    if (s) return s;
    if (st->from_path) return load_into_catalog(cat, st, st->from_path, err);
    return train(eng, st, err);
}
