/* The catalog: what a script has declared — sources and tables, views,
 * models — and the session options set with SET.  The binder resolves names
 * here; views are kept as syntax and bound afresh where they are used, so
 * each use gets its own plan nodes. */
#ifndef SL_PLAN_CATALOG_H
#define SL_PLAN_CATALOG_H

#include "plan/plan.h"

typedef struct sl_view_def {
    const char *name;
    const sl_ast_select *select;
    const char *wm_column;      /* CREATE VIEW v (WATERMARK FOR …) */
    int64_t wm_delay_us;
    const char *text, *origin;  /* the script it came from, for errors */
} sl_view_def;

/* CREATE MODEL: loaded (or trained, then loaded) at plan time; the model
 * is owned by the catalog and freed with it, after every query that
 * scores with it. */
typedef struct sl_model_def {
    const char *name;
    struct sl_model *model;     /* loaded model (model/model.h), owned */
    const char *path;           /* where it was loaded from */
} sl_model_def;

struct sl_catalog {
    sl_arena arena;             /* names, defs */
    int n_sources, n_views, n_models;
    sl_source_def **sources;
    sl_view_def **views;
    sl_model_def **models;
    size_t sources_cap, views_cap, models_cap;
    sl_options session;         /* SET 'k' = 'v' */
    /* The text being bound, for carets in messages. */
    const char *text, *origin;
};

void sl_catalog_init(sl_catalog *cat);
void sl_catalog_fini(sl_catalog *cat);
sl_source_def *sl_catalog_source(const sl_catalog *cat, const char *name);
sl_view_def *sl_catalog_view(const sl_catalog *cat, const char *name);
sl_model_def *sl_catalog_model(const sl_catalog *cat, const char *name);
/* Errors if the name is taken by any kind of object. */
sl_status sl_catalog_check_new(const sl_catalog *cat, const char *name, int line, int col, sl_error *err);
sl_status sl_catalog_add_source(sl_catalog *cat, sl_source_def *def, sl_error *err);
sl_status sl_catalog_add_view(sl_catalog *cat, sl_view_def *def, sl_error *err);
sl_status sl_catalog_add_model(sl_catalog *cat, sl_model_def *def, sl_error *err);

/* A positioned bind error with a caret under the text. */
sl_status sl_bind_error(const sl_catalog *cat, sl_status code, int line, int col,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The error object binder functions fill (set per bind call). */
extern __thread sl_error *sl_bind_err;

#endif
