/* The engine: the public face of the library (include/sluice.h).  It runs
 * SQL scripts statement by statement — declaring sources, tables, views
 * and models in the catalog, binding each CREATE SINK's query into a plan
 * and checking its output mode — and hands the queries to the micro-batch
 * driver (driver.c). */
#include "driver/engine_int.h"
#include "driver/model_stmt.h"
#include "driver/late_sink.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"
#include "http/http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ---- config ----------------------------------------------------------- */

SL_EXPORT sl_config *sl_config_new(void)
{
    sl_config *c = sl_calloc(1, sizeof *c);
    if (c) sl_options_init(&c->opts);
    return c;
}

SL_EXPORT void sl_config_free(sl_config *conf)
{
    if (!conf) return;
    sl_options_fini(&conf->opts);
    sl_free(conf);
}

SL_EXPORT sl_status sl_config_set(sl_config *conf, const char *name, const char *value, sl_error *err)
{
    if (!name || !*name) return sl_err(err, SL_ERR_CONFIG, "an option needs a name");
    if (!value) return sl_err(err, SL_ERR_CONFIG, "option '%s' needs a value", name);
    return sl_options_set(&conf->opts, name, value) ? sl_err_oom(err) : SL_OK;
}

SL_EXPORT const char *sl_config_get(const sl_config *conf, const char *name)
{
    return conf ? sl_options_get(&conf->opts, name) : NULL;
}

SL_EXPORT void sl_free_string(char *s) { sl_free(s); }

/* ---- engine ------------------------------------------------------------ */

SL_EXPORT sl_status sl_engine_new(const sl_config *conf, sl_engine **out_eng, sl_error *err)
{
    *out_eng = NULL;
    sl_engine *eng = sl_calloc(1, sizeof *eng);
    if (!eng) return sl_err_oom(err);
    sl_options_init(&eng->session);
    sl_catalog_init(&eng->cat);
    pthread_mutex_t *m = sl_malloc(sizeof *m);
    if (!m || (conf && sl_options_merge(&eng->session, &conf->opts))) {
        sl_free(m);
        sl_engine_free(eng);
        return sl_err_oom(err);
    }
    pthread_mutex_init(m, NULL);
    eng->lock = m;
    *out_eng = eng;
    return SL_OK;
}

static void query_free(sl_query *q)
{
    if (!q) return;
    /* a run that never reached finish_run (a later query's setup failed,
     * or the embedder freed the engine without stopping it) still holds
     * the checkpoint: its lock, log and operator state stores */
    sl_ckpt_query_close(q);
    sl_free(q->src_seen);
    sl_late_sink_free(q->x.late_ctx);
    sl_op_tree_fini(&q->ops);
    sl_sink_free(q->sink);
    if (q->plan) {
        /* release kernel state (compiled regexes) held in expressions */
        const sl_plan *stack[256];
        int sp = 0;
        stack[sp++] = q->plan;
        while (sp) {
            const sl_plan *p = stack[--sp];
            sl_expr_release(p->pred);
            sl_expr_release(p->residual);
            sl_expr_release(p->win_time);
            for (int i = 0; i < p->n_exprs; i++) sl_expr_release(p->exprs[i]);
            for (int i = 0; i < p->n_keys; i++) sl_expr_release(p->keys[i]);
            for (int i = 0; i < p->n_aggs; i++) sl_expr_release(p->aggs[i].arg);
            for (int i = 0; i < p->n_join_keys; i++) { sl_expr_release(p->lkeys[i]); sl_expr_release(p->rkeys[i]); }
            for (int i = 0; i < 2 && sp < 254; i++)
                if (p->child[i]) stack[sp++] = p->child[i];
        }
    }
    sl_arena_fini(&q->arena);
    sl_options_fini(&q->opts);
    for (int i = 0; i < SL_PROGRESS_KEEP; i++) sl_free(q->progress[i]);
    sl_free(q->latest);
    sl_buf_fini(&q->latest_buf);
    sl_free(q->wm_seen);
    sl_free(q->wm_active_us);
    sl_free(q->error);
    sl_free(q->name);
    sl_free(q);
}

SL_EXPORT void sl_engine_free(sl_engine *eng)
{
    if (!eng) return;
    for (size_t i = 0; i < eng->n_queries; i++) query_free(eng->queries[i]);
    sl_free(eng->queries);
    if (eng->rt) {
        for (int i = 0; i < eng->cat.n_sources; i++) {
            sl_source_free(eng->rt[i]);
            sl_free(eng->committed[i]);
            sl_free(eng->pending[i]);
        }
    }
    sl_free(eng->rt);
    sl_free(eng->committed);
    sl_free(eng->pending);
    sl_catalog_fini(&eng->cat);
    for (size_t i = 0; i < eng->n_scripts; i++) {
        sl_ast_script_free(eng->scripts[i]);
        sl_free(eng->texts[i]);
    }
    sl_free(eng->scripts);
    sl_free(eng->texts);
    for (size_t i = 0; i < eng->n_reg; i++) sl_free(eng->reg[i].name);
    sl_free(eng->reg);
    sl_http_stop(eng->http);
    sl_options_fini(&eng->session);
    if (eng->lock) {
        pthread_mutex_destroy(eng->lock);
        sl_free(eng->lock);
    }
    sl_free(eng);
}

SL_EXPORT void sl_engine_set_progress_cb(sl_engine *eng, sl_progress_cb cb, void *opaque)
{
    eng->progress_cb = cb;
    eng->progress_opaque = opaque;
}

SL_EXPORT sl_status sl_engine_register_sink(sl_engine *eng, const char *name, sl_batch_cb cb,
                                            void *opaque, sl_error *err)
{
    char *n = sl_strdup(name);
    if (!n || sl_grow((void **)&eng->reg, &eng->reg_cap, eng->n_reg + 1, sizeof *eng->reg)) {
        sl_free(n);
        return sl_err_oom(err);
    }
    eng->reg[eng->n_reg++] = (sl_registered_sink){n, cb, opaque};
    return SL_OK;
}

SL_EXPORT void sl_engine_stop(sl_engine *eng)
{
    if (eng) eng->stop = 1;
}

/* ${NAME} lookup: --var NAME=value arrives as session option var.NAME. */
static const char *var_lookup(void *ctx, const char *name)
{
    sl_engine *eng = ctx;
    char key[300];
    snprintf(key, sizeof key, "var.%s", name);
    return sl_options_get(&eng->session, key);
}

/* A random version-4 UUID for query ids (from /dev/urandom; the clock and
 * pid only if that is unreadable). */
static void random_uuid(char out[40])
{
    unsigned char b[16];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(b, 1, 16, f) != 16) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long x = (unsigned long long)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (unsigned long long)getpid();
        for (int i = 0; i < 16; i++) { x ^= x >> 29; x *= 0xbf58476d1ce4e5b9ULL; b[i] = (unsigned char)(x >> 56); }
    }
    if (f) fclose(f);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static sl_status stmt_source(sl_engine *eng, const sl_ast_stmt *st, sl_error *err)
{
    sl_catalog *cat = &eng->cat;
    sl_status s = sl_catalog_check_new(cat, st->name, st->line, st->col, err);
    if (s) return s;
    sl_source_def *def = sl_arena_alloc(&cat->arena, sizeof *def);
    if (!def || !(def->name = sl_arena_strdup(&cat->arena, st->name))) return sl_err_oom(err);
    def->bounded = st->kind == SL_STMT_CREATE_TABLE;
    def->wm_col = -1;
    sl_options_init(&def->opts);
    if (!(def->schema = sl_schema_new(st->n_cols))) return sl_err_oom(err);
    for (int i = 0; i < st->n_cols; i++) {
        for (int j = 0; j < i; j++)
            if (!strcasecmp(st->cols[i].name, st->cols[j].name)) {
                sl_schema_free(def->schema);
                return sl_bind_error(cat, SL_ERR_BIND, st->cols[i].line, st->cols[i].col,
                                     "column %s is declared twice", st->cols[i].name);
            }
        if (sl_schema_set(def->schema, i, st->cols[i].name, st->cols[i].type)) { sl_schema_free(def->schema); return sl_err_oom(err); }
    }
    for (int i = 0; i < st->n_opts; i++)
        if (sl_options_set(&def->opts, st->opts[i].name, st->opts[i].value)) goto oom;
    if (!sl_options_get(&def->opts, "connector")) {
        s = sl_bind_error(cat, SL_ERR_CONFIG, st->line, st->col,
                          "%s needs WITH (connector = '…'): socket, file, rate, kafka, …", st->name);
        goto fail;
    }
    if (!sl_source_ops_find(sl_options_get(&def->opts, "connector"))) {
        s = sl_bind_error(cat, SL_ERR_CONFIG, st->line, st->col, "unknown connector '%s'",
                          sl_options_get(&def->opts, "connector"));
        goto fail;
    }
    /* the parse options every source reads, checked here so that a typo is
     * a CREATE error with its position rather than a failure at start */
    for (int i = 0; i < st->n_opts; i++) {
        const char *v = st->opts[i].value;
        if (!strcasecmp(st->opts[i].name, "mode") && strcasecmp(v, "PERMISSIVE") &&
            strcasecmp(v, "DROPMALFORMED") && strcasecmp(v, "FAILFAST")) {
            s = sl_bind_error(cat, SL_ERR_CONFIG, st->opts[i].line, st->opts[i].col,
                              "option 'mode': '%s' is not PERMISSIVE, DROPMALFORMED or FAILFAST", v);
            goto fail;
        }
    }
    const char *fmt = sl_options_get_or(&def->opts, "format", "");
    if (!strcasecmp(fmt, "json") || !strcasecmp(fmt, "csv")) {
        const char *cname = sl_options_get_or(&def->opts, "columnNameOfCorruptRecord", "_corrupt_record");
        int c = sl_schema_find(def->schema, cname);
        if (c >= 0 && def->schema->fields[c].type != SL_TYPE_STRING) {
            s = sl_bind_error(cat, SL_ERR_CONFIG, st->cols[c].line, st->cols[c].col,
                              "the corrupt-record column %s must be STRING (it receives a malformed "
                              "record's raw text)", cname);
            goto fail;
        }
    }
    if (st->wm.column) {
        def->wm_col = sl_schema_find(def->schema, st->wm.column);
        if (def->wm_col < 0 || def->schema->fields[def->wm_col].type != SL_TYPE_TIMESTAMP) {
            s = sl_bind_error(cat, SL_ERR_BIND, st->wm.line, st->wm.col,
                              "the watermark column %s must be a declared TIMESTAMP column", st->wm.column);
            goto fail;
        }
        def->wm_delay_us = st->wm.delay_us;
    }
    if ((s = sl_catalog_add_source(cat, def, err))) goto fail;
    return SL_OK;
oom:
    s = sl_err_oom(err);
fail:
    sl_schema_free(def->schema);
    sl_options_fini(&def->opts);
    return s;
}

static sl_status parse_trigger(const char *t, sl_trigger_kind *kind, int64_t *us, sl_error *err)
{
    if (!t || !*t) { *kind = SL_TRIGGER_ASAP; return SL_OK; }
    if (!strcasecmp(t, "once")) { *kind = SL_TRIGGER_ONCE; return SL_OK; }
    if (!strcasecmp(t, "availableNow") || !strcasecmp(t, "available_now")) { *kind = SL_TRIGGER_AVAILABLE_NOW; return SL_OK; }
    if (!strncasecmp(t, "processingTime=", 15)) t += 15;
    *kind = SL_TRIGGER_INTERVAL;
    sl_status s = sl_parse_duration(t, us, err);
    if (s) sl_err_prefix(err, "option 'trigger' (a duration, 'once' or 'availableNow')");
    return s;
}

static sl_status stmt_sink(sl_engine *eng, const sl_ast_stmt *st, sl_error *err)
{
    sl_catalog *cat = &eng->cat;
    for (size_t i = 0; i < eng->n_queries; i++)
        if (!strcasecmp(eng->queries[i]->name, st->name))
            return sl_bind_error(cat, SL_ERR_BIND, st->line, st->col, "sink %s is already defined", st->name);
    sl_query *q = sl_calloc(1, sizeof *q);
    if (!q || !(q->name = sl_strdup(st->name))) { sl_free(q); return sl_err_oom(err); }
    sl_arena_init(&q->arena);
    sl_options_init(&q->opts);
    sl_buf_init(&q->latest_buf);
    q->status = "defined";
    q->watermark_us = SL_NO_WATERMARK;
    random_uuid(q->id);
    random_uuid(q->run_id);
    sl_status s = SL_OK;
    for (int i = 0; i < st->n_opts && !s; i++)
        if (sl_options_set(&q->opts, st->opts[i].name, st->opts[i].value)) s = sl_err_oom(err);
    const char *conn = sl_options_get(&q->opts, "connector");
    if (!s && !conn)
        s = sl_bind_error(cat, SL_ERR_CONFIG, st->line, st->col, "sink %s needs WITH (connector = '…')", st->name);
    if (!s && strcasecmp(conn, "callback") && !sl_sink_ops_find(conn))
        s = sl_bind_error(cat, SL_ERR_CONFIG, st->line, st->col, "unknown sink connector '%s'", conn);
    if (!s) s = sl_bind_select(cat, st->select, &q->arena, &q->plan, err);
    if (!s) {
        const char *mode = sl_options_get(&q->opts, "output.mode");
        if (!mode) mode = sl_options_get(&q->opts, "outputMode");
        if (!mode) mode = sl_options_get(&eng->session, "output.mode");
        if (!mode) mode = sl_plan_default_mode(q->plan);
        s = sl_plan_check_mode(q->plan, mode, err);
        if (s) sl_err_prefix(err, "sink %s (line %d)", st->name, st->line);
        q->mode = !strcasecmp(mode, "complete") ? SL_OUT_COMPLETE : !strcasecmp(mode, "update") ? SL_OUT_UPDATE : SL_OUT_APPEND;
    }
    if (!s) {
        sl_trigger_kind k;
        int64_t us = 0;
        s = parse_trigger(sl_options_get(&q->opts, "trigger"), &k, &us, err);
    }
    if (!s && sl_grow((void **)&eng->queries, &eng->queries_cap, eng->n_queries + 1, sizeof *eng->queries))
        s = sl_err_oom(err);
    if (s) { query_free(q); return s; }
    eng->queries[eng->n_queries++] = q;
    return SL_OK;
}

static sl_status stmt_view(sl_engine *eng, const sl_ast_stmt *st, sl_error *err)
{
    sl_catalog *cat = &eng->cat;
    sl_status s = sl_catalog_check_new(cat, st->name, st->line, st->col, err);
    if (s) return s;
    sl_view_def *v = sl_arena_alloc(&cat->arena, sizeof *v);
    if (!v) return sl_err_oom(err);
    v->name = st->name;
    v->select = st->select;
    v->wm_column = st->wm.column;
    v->wm_delay_us = st->wm.delay_us;
    v->text = cat->text;
    v->origin = cat->origin;
    /* Bind once now so errors show at definition, not at first use. */
    sl_arena scratch;
    sl_arena_init(&scratch);
    sl_plan *p = NULL;
    s = sl_bind_select(cat, st->select, &scratch, &p, err);
    sl_arena_fini(&scratch);
    if (s) return s;
    return sl_catalog_add_view(cat, v, err);
}

SL_EXPORT sl_status sl_engine_exec(sl_engine *eng, const char *sql, const char *origin, sl_error *err)
{
    char *text = sl_strdup(sql);
    if (!text) return sl_err_oom(err);
    sl_ast_script *script = NULL;
    sl_status s = sl_sql_parse(text, origin, var_lookup, eng, &script, err);
    if (s) { sl_free(text); return s; }
    if (sl_grow((void **)&eng->scripts, &eng->scripts_cap, eng->n_scripts + 1, sizeof *eng->scripts) ||
        sl_grow((void **)&eng->texts, &eng->texts_cap, eng->n_scripts + 1, sizeof *eng->texts)) {
        sl_ast_script_free(script);
        sl_free(text);
        return sl_err_oom(err);
    }
    eng->scripts[eng->n_scripts] = script;
    eng->texts[eng->n_scripts] = text;
    eng->n_scripts++;
    sl_catalog *cat = &eng->cat;
    cat->text = text;
    cat->origin = origin;
    sl_bind_err = err;
    for (int i = 0; i < script->n_stmts && !s; i++) {
        const sl_ast_stmt *st = script->stmts[i];
        switch (st->kind) {
        case SL_STMT_CREATE_SOURCE:
        case SL_STMT_CREATE_TABLE: s = stmt_source(eng, st, err); break;
        case SL_STMT_CREATE_VIEW: s = stmt_view(eng, st, err); break;
        case SL_STMT_CREATE_SINK: s = stmt_sink(eng, st, err); break;
        case SL_STMT_CREATE_MODEL: s = sl_driver_model_create(eng, st, err); break;
        case SL_STMT_SET:
            if (sl_options_set(&eng->session, st->set_key, st->set_value)) s = sl_err_oom(err);
            break;
        }
    }
    return s;
}

SL_EXPORT sl_status sl_engine_explain(sl_engine *eng, char **out_text, sl_error *err)
{
    sl_buf b;
    sl_buf_init(&b);
    for (size_t i = 0; i < eng->n_queries; i++) {
        const sl_query *q = eng->queries[i];
        static const char *const modes[] = {"append", "update", "complete"};
        sl_buf_printf(&b, "== Sink %s [%s] output mode %s ==\n", q->name,
                      sl_options_get_or(&q->opts, "connector", "?"), modes[q->mode]);
        sl_buf_puts(&b, "Output: ");
        for (int k = 0; k < q->plan->schema->n; k++)
            sl_buf_printf(&b, "%s%s %s", k ? ", " : "", q->plan->schema->fields[k].name,
                          sl_type_name(q->plan->schema->fields[k].type));
        sl_buf_putc(&b, '\n');
        sl_plan_render(q->plan, &b, 0);
        sl_buf_putc(&b, '\n');
    }
    if (!eng->n_queries) sl_buf_puts(&b, "(no sinks: nothing would run)\n");
    *out_text = sl_buf_take(&b);
    return *out_text ? SL_OK : sl_err_oom(err);
}

SL_EXPORT sl_status sl_engine_run(sl_engine *eng, sl_error *err)
{
    return sl_driver_run(eng, err);
}

SL_EXPORT sl_status sl_engine_serve_ui(sl_engine *eng, const char *addr, const char *token, int *out_port,
                                       sl_error *err)
{
    if (eng->http) return sl_err(err, SL_ERR_CONFIG, "the dashboard is already being served");
    sl_http_server *srv;
    sl_status st = sl_http_start(addr, token, sl_progress_snapshot, eng, &srv, err);
    if (st) return st;
    eng->http = srv;
    if (out_port) *out_port = (int)sl_http_port(srv);
    return SL_OK;
}
