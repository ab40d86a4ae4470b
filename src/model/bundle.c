/* sluice model bundles: features.json (feature names, types and string
 * encoders) next to model.json (an XGBoost booster's JSON), as written by
 * train_xgb.c.  A STRING feature is fed to the booster as its label's index
 * (unseen labels as len(labels), NULL as missing), exactly as training
 * encoded it. */
#include "model/model_int.h"
#include "core/mem.h"
#include "core/status.h"

#include <stdio.h>
#include <string.h>

static sl_status parse(const char *path, sl_jdoc **doc, sl_error *err)
{
    sl_status st = sl_jdoc_parse_file(path, doc, err);
    if (st != SL_OK && st != SL_ERR_NOMEM) st = sl_mdl_err_recode(err, SL_ERR_MODEL);
    return st;
}

sl_status sl_mdl_load_bundle(sl_model *m, const char *dir, sl_error *err)
{
    char path[4200];
    sl_jdoc *fdoc = NULL, *mdoc = NULL;
    char **names = NULL;
    int n_feat = 0, n_names = 0;
    snprintf(path, sizeof path, "%s/features.json", dir);
    sl_status st = parse(path, &fdoc, err);
    if (st != SL_OK) goto out;
    const sl_jval *feats = sl_jval_get(fdoc->root, "features");
    if (strcmp(sl_jval_get_str(fdoc->root, "format", ""), "sluice-model-bundle") != 0 ||
        !feats || feats->type != SL_JARR) {
        st = sl_err(err, SL_ERR_MODEL, "%s: not a sluice model bundle", path);
        goto out;
    }
    snprintf(path, sizeof path, "%s/model.json", dir);
    if ((st = parse(path, &mdoc, err)) != SL_OK) goto out;
    st = sl_mdl_xgb_from_doc(m, mdoc->root, path, &n_feat, &names, err);
    n_names = names ? n_feat : 0;
    if (st != SL_OK) goto out;
    if ((size_t)n_feat > feats->n) {
        st = sl_err(err, SL_ERR_MODEL, "%s: booster has %d features, features.json %zu", dir,
                    n_feat, feats->n);
        goto out;
    }
    n_feat = (int)feats->n;
    m->sources = sl_calloc(feats->n ? feats->n : 1, sizeof *m->sources);
    if (!m->sources) { st = sl_err_oom(err); goto out; }
    for (size_t f = 0; f < feats->n; f++) {
        const sl_jval *fv = feats->items[f];
        const char *name = sl_jval_get_str(fv, "name", NULL);
        const char *type = sl_jval_get_str(fv, "type", "DOUBLE");
        bool str = strcmp(type, "STRING") == 0;
        if (!name) { st = sl_err(err, SL_ERR_MODEL, "%s: feature %zu has no name", dir, f); goto out; }
        int in = sl_mdl_add_input(m, name, str ? SL_TYPE_STRING : SL_TYPE_DOUBLE);
        if (in < 0) { st = sl_err_oom(err); goto out; }
        sl_mdl_source *s = &m->sources[f];
        m->n_sources = (int)f + 1;
        s->input = in;
        if (!str) continue;
        const sl_jval *lab = sl_jval_get(fv, "labels");
        if (!lab || lab->type != SL_JARR) {
            st = sl_err(err, SL_ERR_MODEL, "%s: STRING feature %s has no labels", dir, name);
            goto out;
        }
        const char **lv = sl_malloc(sizeof *lv * (lab->n + 1));
        if (!lv) { st = sl_err_oom(err); goto out; }
        for (size_t k = 0; k < lab->n; k++)
            lv[k] = lab->items[k]->type == SL_JSTR ? lab->items[k]->str : "";
        int rc = sl_mdl_strindex_build(&s->ix, lv, (int)lab->n);
        sl_free(lv);
        if (rc < 0) { st = sl_err_oom(err); goto out; }
        s->indexed = true;
        s->invalid = SL_MDL_INVALID_KEEP;
        s->unseen_index = (int)lab->n;
        s->null_is_nan = true;
    }
    if ((st = sl_mdl_compact(m, NULL, n_feat, err)) != SL_OK) goto out;
    snprintf(path, sizeof path, "sluice bundle: XGBoost %s (%d trees, %d features)",
             sl_jval_get_str(fdoc->root, "objective", "?"), m->ens.n_trees, n_feat);
    if (!(m->describe = sl_strdup(path))) st = sl_err_oom(err);
out:
    if (names) {
        for (int i = 0; i < n_names; i++) sl_free(names[i]);
        sl_free(names);
    }
    sl_jdoc_free(fdoc);
    sl_jdoc_free(mdoc);
    return st;
}
