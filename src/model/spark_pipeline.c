/* Spark ML model directories as saved by Spark 3.x: a PipelineModel (the
 * stage list in metadata/part-00000 paramMap.stageUids, each stage in
 * stages/<i>_<uid>/) or a single predictor directory.  This file walks the
 * stages in order, keeping the table of columns produced so far (each a
 * scalar or a vector of features defined over the model's input columns),
 * and dispatches each stage by its class to spark_stages.c.  Parquet data
 * files are read whole as records (format/parquet.h). */
#include "model/model_int.h"
#include "core/mem.h"
#include "core/status.h"
#include "format/parquet.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const sl_jval *sl_mdl_spark_param(const sl_jval *meta, const char *key)
{
    const sl_jval *v = sl_jval_get(sl_jval_get(meta, "paramMap"), key);
    if (!v) v = sl_jval_get(sl_jval_get(meta, "defaultParamMap"), key);
    return v;
}

/* Room for element n of an array grown by doubling, its capacity implied
 * by the count (the next power of two): a model with thousands of features
 * is built in linear time, not by a copy of the whole array per feature. */
static int grow_pow2(void **p, size_t n, size_t size)
{
    if (n & (n - 1)) return 0; /* not a power of two (nor 0): room left */
    void *q = sl_realloc(*p, size * (n ? 2 * n : 1));
    if (!q) return -1;
    *p = q;
    return 0;
}

int sl_mdl_add_source(sl_model *m, int input, bool indexed)
{
    if (grow_pow2((void **)&m->sources, (size_t)m->n_sources, sizeof *m->sources)) return -1;
    sl_mdl_source *s = m->sources;
    memset(&s[m->n_sources], 0, sizeof *s);
    s[m->n_sources].input = input;
    s[m->n_sources].indexed = indexed;
    return m->n_sources++;
}

sl_status sl_mdl_spark_define(sl_mdl_spark *sp, const char *name, bool vector,
                              sl_mdl_feat *feats, int n, sl_error *err)
{
    if (grow_pow2((void **)&sp->syms, (size_t)sp->n_syms, sizeof *sp->syms)) {
        sl_free(feats);
        return sl_err_oom(err);
    }
    sl_mdl_sym *s = sp->syms;
    char *dup = sl_strdup(name);
    if (!dup) { sl_free(feats); return sl_err_oom(err); }
    /* A later stage may overwrite a column: the newest definition wins. */
    s[sp->n_syms].name = dup;
    s[sp->n_syms].vector = vector;
    s[sp->n_syms].n = n;
    s[sp->n_syms].feats = feats;
    sp->n_syms++;
    return SL_OK;
}

const sl_mdl_sym *sl_mdl_spark_resolve(sl_mdl_spark *sp, const char *name, sl_error *err,
                                       sl_status *st)
{
    *st = SL_OK;
    for (int i = sp->n_syms - 1; i >= 0; i--)
        if (strcmp(sp->syms[i].name, name) == 0) return &sp->syms[i];
    int in = sl_mdl_add_input(sp->m, name, SL_TYPE_DOUBLE);
    int src = in < 0 ? -1 : sl_mdl_add_source(sp->m, in, false);
    sl_mdl_feat *f = src < 0 ? NULL : sl_malloc(sizeof *f);
    if (!f) { *st = sl_err_oom(err); return NULL; }
    f->source = src;
    f->onehot = -1;
    if ((*st = sl_mdl_spark_define(sp, name, false, f, 1, err)) != SL_OK) return NULL;
    return &sp->syms[sp->n_syms - 1];
}

void sl_mdl_spark_rows_free(sl_mdl_rows *r)
{
    for (int i = 0; i < r->n_docs; i++) sl_jdoc_free(r->docs[i]);
    sl_free(r->docs);
    sl_free(r->rows);
    memset(r, 0, sizeof *r);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

sl_status sl_mdl_spark_read_data(const char *dir, const char *sub, sl_mdl_rows *out,
                                 sl_error *err)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    if (!d) return sl_err(err, SL_ERR_MODEL, "%s: missing model data directory", path);
    char **names = NULL;
    size_t n = 0, cap = 0;
    sl_status st = SL_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || de->d_name[0] == '_' || len < 8 ||
            strcmp(de->d_name + len - 8, ".parquet") != 0)
            continue;
        if (sl_grow((void **)&names, &cap, n + 1, sizeof *names) < 0 ||
            !(names[n] = sl_strdup(de->d_name))) {
            st = sl_err_oom(err);
            break;
        }
        n++;
    }
    closedir(d);
    if (st == SL_OK && n == 0) st = sl_err(err, SL_ERR_MODEL, "%s: no .parquet data file", path);
    if (st == SL_OK) {
        qsort(names, n, sizeof *names, cmp_str);
        out->docs = sl_calloc(n, sizeof *out->docs);
        if (!out->docs) st = sl_err_oom(err);
    }
    size_t rcap = 0;
    for (size_t i = 0; st == SL_OK && i < n; i++) {
        char file[4400];
        snprintf(file, sizeof file, "%s/%s", path, names[i]);
        sl_jdoc *doc = NULL;
        st = sl_pq_read_records(file, &doc, err);
        if (st != SL_OK) {
            if (st != SL_ERR_NOMEM) {
                st = sl_mdl_err_recode(err, SL_ERR_MODEL);
                if (err && !strstr(sl_error_message(err), file)) sl_err_prefix(err, "%s", file);
            }
            break;
        }
        out->docs[out->n_docs++] = doc;
        const sl_jval *root = doc->root;
        if (!root || root->type != SL_JARR) {
            st = sl_err(err, SL_ERR_MODEL, "%s: not a table of records", file);
            break;
        }
        if (sl_grow((void **)&out->rows, &rcap, out->n + root->n + 1, sizeof *out->rows) < 0) {
            st = sl_err_oom(err);
            break;
        }
        for (size_t k = 0; k < root->n; k++) out->rows[out->n++] = root->items[k];
    }
    for (size_t i = 0; i < n; i++) sl_free(names[i]);
    sl_free(names);
    if (st != SL_OK) sl_mdl_spark_rows_free(out);
    return st;
}

static sl_status read_meta(const char *dir, sl_jdoc **out, sl_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/metadata/part-00000", dir);
    sl_status st = sl_jdoc_parse_file(path, out, err);
    if (st != SL_OK && st != SL_ERR_NOMEM) {
        st = sl_mdl_err_recode(err, SL_ERR_MODEL);
        if (err && !strstr(sl_error_message(err), path)) sl_err_prefix(err, "%s", path);
    }
    return st;
}

static const char *short_class(const char *cls)
{
    const char *dot = strrchr(cls, '.');
    return dot ? dot + 1 : cls;
}

static sl_status describe_add(sl_model *m, const char *what)
{
    size_t old = m->describe ? strlen(m->describe) : 0;
    char *d = sl_realloc(m->describe, old + strlen(what) + 8);
    if (!d) return SL_ERR_NOMEM;
    if (old) strcpy(d + old, d[old - 1] == ':' ? " " : " -> ");
    else d[0] = 0;
    strcat(d, what);
    m->describe = d;
    return SL_OK;
}

static sl_status load_stage(sl_mdl_spark *sp, const char *dir, sl_error *err)
{
    sl_jdoc *meta = NULL;
    sl_status st = read_meta(dir, &meta, err);
    if (st != SL_OK) return st;
    const char *cls = sl_jval_get_str(meta->root, "class", "");
    const char *sc = short_class(cls);
    static const struct { const char *name; sl_mdl_kind kind; } trees[] = {
        { "GBTClassificationModel", SL_MDL_GBT_CLS },
        { "GBTRegressionModel", SL_MDL_GBT_REG },
        { "RandomForestClassificationModel", SL_MDL_RF_CLS },
        { "RandomForestRegressionModel", SL_MDL_RF_REG },
        { "DecisionTreeClassificationModel", SL_MDL_DT_CLS },
        { "DecisionTreeRegressionModel", SL_MDL_DT_REG },
    };
    bool predictor = false;
    if (sp->have_predictor) {
        st = sl_err(err, SL_ERR_MODEL, "%s: stage %s after the predictor is not supported", dir, cls);
        goto out;
    }
    if (strcmp(cls, "org.apache.spark.ml.feature.StringIndexerModel") == 0) {
        st = sl_mdl_stage_string_indexer(sp, dir, meta->root, err);
    } else if (strcmp(cls, "org.apache.spark.ml.feature.OneHotEncoderModel") == 0) {
        st = sl_mdl_stage_one_hot(sp, dir, meta->root, err);
    } else if (strcmp(cls, "org.apache.spark.ml.feature.VectorAssembler") == 0) {
        st = sl_mdl_stage_assembler(sp, dir, meta->root, err);
    } else if (strcmp(cls, "org.apache.spark.ml.classification.LogisticRegressionModel") == 0) {
        st = sl_mdl_stage_logreg(sp, dir, meta->root, err);
        predictor = true;
    } else {
        size_t i;
        for (i = 0; i < sizeof trees / sizeof *trees; i++) {
            if (strncmp(cls, "org.apache.spark.ml.", 20) == 0 && strcmp(sc, trees[i].name) == 0) {
                st = sl_mdl_stage_trees(sp, dir, meta->root, trees[i].kind, err);
                predictor = true;
                break;
            }
        }
        if (i == sizeof trees / sizeof *trees)
            st = sl_err(err, SL_ERR_MODEL, "%s: unsupported Spark stage class %s", dir,
                        cls[0] ? cls : "(none)");
    }
    if (st == SL_OK) {
        char what[300];
        if (predictor && sp->m->kind != SL_MDL_LOGREG)
            snprintf(what, sizeof what, "%s (%d trees)", sc, sp->m->ens.n_trees);
        else
            snprintf(what, sizeof what, "%s", sc);
        if (describe_add(sp->m, what) != SL_OK) st = sl_err_oom(err);
    }
    sp->have_predictor |= predictor;
out:
    sl_jdoc_free(meta);
    return st;
}

sl_status sl_mdl_load_spark(sl_model *m, const char *dir, bool pipeline, sl_error *err)
{
    sl_mdl_spark sp = { .m = m };
    sl_jdoc *meta = NULL;
    sl_status st = SL_OK;
    if (describe_add(m, pipeline ? "Spark PipelineModel:" : "Spark model:") != SL_OK)
        return sl_err_oom(err);
    if (!pipeline) {
        /* A bare predictor reads a vector column; expose its slots as
         * numeric inputs <featuresCol>_<i>. */
        if ((st = read_meta(dir, &meta, err)) != SL_OK) goto out;
        const sl_jval *fc = sl_mdl_spark_param(meta->root, "featuresCol");
        const char *fcol = fc && fc->type == SL_JSTR ? fc->str : "features";
        int64_t nf = sl_jval_get_int(meta->root, "numFeatures", -1);
        if (nf < 0 || nf > 10000000) {
            st = sl_err(err, SL_ERR_MODEL, "%s: metadata lacks numFeatures", dir);
            goto out;
        }
        sl_mdl_feat *feats = sl_calloc((size_t)(nf ? nf : 1), sizeof *feats);
        if (!feats) { st = sl_err_oom(err); goto out; }
        /* Nothing was added before, so the slots' names are new and
         * distinct: they go in without sl_mdl_add_input's search by name,
         * which would cost n^2/2 comparisons for n features. */
        bool fresh = m->n_inputs == 0 && nf > 0;
        if (fresh && !(m->inputs = sl_calloc((size_t)nf, sizeof *m->inputs))) {
            sl_free(feats);
            st = sl_err_oom(err);
            goto out;
        }
        for (int64_t i = 0; i < nf; i++) {
            char name[300];
            snprintf(name, sizeof name, "%s_%lld", fcol, (long long)i);
            int in;
            if (fresh) {
                char *dup = sl_strdup(name);
                in = dup ? m->n_inputs++ : -1;
                if (dup) m->inputs[in] = (sl_model_input){.name = dup, .type = SL_TYPE_DOUBLE};
            } else {
                in = sl_mdl_add_input(m, name, SL_TYPE_DOUBLE);
            }
            int src = in < 0 ? -1 : sl_mdl_add_source(m, in, false);
            if (src < 0) { sl_free(feats); st = sl_err_oom(err); goto out; }
            feats[i].source = src;
            feats[i].onehot = -1;
        }
        if ((st = sl_mdl_spark_define(&sp, fcol, true, feats, (int)nf, err)) != SL_OK) goto out;
        st = load_stage(&sp, dir, err);
        goto out;
    }
    if ((st = read_meta(dir, &meta, err)) != SL_OK) goto out;
    const sl_jval *uids = sl_mdl_spark_param(meta->root, "stageUids");
    if (!uids || uids->type != SL_JARR) {
        st = sl_err(err, SL_ERR_MODEL, "%s/metadata/part-00000: no paramMap.stageUids", dir);
        goto out;
    }
    for (size_t i = 0; i < uids->n && st == SL_OK; i++) {
        if (uids->items[i]->type != SL_JSTR) {
            st = sl_err(err, SL_ERR_MODEL, "%s: stage uid %zu is not a string", dir, i);
            break;
        }
        char sdir[4300];
        snprintf(sdir, sizeof sdir, "%s/stages/%zu_%s", dir, i, uids->items[i]->str);
        st = load_stage(&sp, sdir, err);
    }
    if (st == SL_OK && !sp.have_predictor)
        st = sl_err(err, SL_ERR_MODEL, "%s: the pipeline has no predictor stage", dir);
out:
    sl_jdoc_free(meta);
    for (int i = 0; i < sp.n_syms; i++) {
        sl_free(sp.syms[i].name);
        sl_free(sp.syms[i].feats);
    }
    sl_free(sp.syms);
    return st;
}
