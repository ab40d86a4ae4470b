/* Catalog of declared sources, views and models (see catalog.h). */
#include "plan/catalog.h"
#include "core/status.h"
#include "model/model.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

__thread sl_error *sl_bind_err;

void sl_catalog_init(sl_catalog *cat)
{
    memset(cat, 0, sizeof *cat);
    sl_arena_init(&cat->arena);
    sl_options_init(&cat->session);
}

void sl_catalog_fini(sl_catalog *cat)
{
    for (int i = 0; i < cat->n_sources; i++) {
        sl_schema_free(cat->sources[i]->schema);
        sl_options_fini(&cat->sources[i]->opts);
    }
    sl_free(cat->sources);
    sl_free(cat->views);
    for (int i = 0; i < cat->n_models; i++) sl_model_free(cat->models[i]->model);
    sl_free(cat->models);
    sl_options_fini(&cat->session);
    sl_arena_fini(&cat->arena);
    memset(cat, 0, sizeof *cat);
}

sl_source_def *sl_catalog_source(const sl_catalog *cat, const char *name)
{
    for (int i = 0; i < cat->n_sources; i++)
        if (strcasecmp(cat->sources[i]->name, name) == 0) return cat->sources[i];
    return NULL;
}

sl_view_def *sl_catalog_view(const sl_catalog *cat, const char *name)
{
    for (int i = 0; i < cat->n_views; i++)
        if (strcasecmp(cat->views[i]->name, name) == 0) return cat->views[i];
    return NULL;
}

sl_model_def *sl_catalog_model(const sl_catalog *cat, const char *name)
{
    for (int i = 0; i < cat->n_models; i++)
        if (strcasecmp(cat->models[i]->name, name) == 0) return cat->models[i];
    return NULL;
}

sl_status sl_bind_error(const sl_catalog *cat, sl_status code, int line, int col,
                        const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sl_err_at(sl_bind_err, code, line, col, "%s", msg);
    sl_sql_caret(sl_bind_err, cat->text, cat->origin, line, col);
    return code;
}

sl_status sl_catalog_check_new(const sl_catalog *cat, const char *name, int line, int col, sl_error *err)
{
    const char *what = sl_catalog_source(cat, name) ? "a source or table" :
                       sl_catalog_view(cat, name) ? "a view" :
                       sl_catalog_model(cat, name) ? "a model" : NULL;
    if (!what) return SL_OK;
    sl_bind_err = err;
    return sl_bind_error(cat, SL_ERR_BIND, line, col, "%s is already defined as %s", name, what);
}

#define ADD(kind, arr, n, cap)                                                    \
    do {                                                                          \
        if (sl_grow((void **)&cat->arr, &cat->cap, (size_t)cat->n + 1, sizeof *cat->arr)) \
            return sl_err_oom(err);                                               \
        cat->arr[cat->n++] = def;                                                 \
        return SL_OK;                                                             \
    } while (0)

sl_status sl_catalog_add_source(sl_catalog *cat, sl_source_def *def, sl_error *err)
{
    def->id = cat->n_sources;
    ADD(source, sources, n_sources, sources_cap);
}

sl_status sl_catalog_add_view(sl_catalog *cat, sl_view_def *def, sl_error *err)
{
    ADD(view, views, n_views, views_cap);
}

sl_status sl_catalog_add_model(sl_catalog *cat, sl_model_def *def, sl_error *err)
{
    ADD(model, models, n_models, models_cap);
}
