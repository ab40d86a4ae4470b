/* The connector registry and the generic source/sink constructors. */
#include "io/connector.h"
#include "core/mem.h"
#include "core/status.h"

#include <string.h>
#include <strings.h>

/* Each connector file defines one ops table; list it here. */
extern const sl_source_ops sl_socket_source_ops;
extern const sl_source_ops sl_file_source_ops;
extern const sl_source_ops sl_rate_source_ops;
extern const sl_source_ops sl_nexmark_source_ops;
extern const sl_source_ops sl_kafka_source_ops;
extern const sl_sink_ops sl_console_sink_ops;
extern const sl_sink_ops sl_file_sink_ops;
extern const sl_sink_ops sl_parquet_sink_ops;
extern const sl_sink_ops sl_kafka_sink_ops;
extern const sl_sink_ops sl_blackhole_sink_ops;

static const sl_source_ops *const source_ops[] = {
    &sl_socket_source_ops,
    &sl_file_source_ops,
    &sl_rate_source_ops,
    &sl_nexmark_source_ops,
    &sl_kafka_source_ops,
    /* more sources: add above this line */
};

static const sl_sink_ops *const sink_ops[] = {
    &sl_console_sink_ops,
    &sl_file_sink_ops,
    &sl_parquet_sink_ops,
    &sl_kafka_sink_ops,
    &sl_blackhole_sink_ops,
    /* more sinks: add above this line */
};

const sl_source_ops *sl_source_ops_find(const char *connector)
{
    for (size_t i = 0; i < sizeof source_ops / sizeof source_ops[0]; i++)
        if (strcasecmp(source_ops[i]->connector, connector) == 0) return source_ops[i];
    return NULL;
}

const sl_sink_ops *sl_sink_ops_find(const char *connector)
{
    for (size_t i = 0; i < sizeof sink_ops / sizeof sink_ops[0]; i++)
        if (strcasecmp(sink_ops[i]->connector, connector) == 0) return sink_ops[i];
    return NULL;
}

static sl_schema *schema_copy(const sl_schema *s)
{
    sl_schema *c = sl_schema_new(s->n);
    if (!c) return NULL;
    for (int i = 0; i < s->n; i++)
        if (sl_schema_set(c, i, s->fields[i].name, s->fields[i].type)) {
            sl_schema_free(c);
            return NULL;
        }
    return c;
}

sl_status sl_source_new(const char *name, const sl_schema *schema,
                        const sl_options *opts, bool bounded,
                        sl_source **out, sl_error *err)
{
    *out = NULL;
    const char *conn = sl_options_get(opts, "connector");
    if (!conn) return sl_err(err, SL_ERR_CONFIG, "source %s: option 'connector' is missing", name);
    const sl_source_ops *ops = sl_source_ops_find(conn);
    if (!ops) return sl_err(err, SL_ERR_CONFIG, "source %s: unknown connector '%s'", name, conn);
    sl_source *src = sl_calloc(1, sizeof *src);
    if (!src) return sl_err_oom(err);
    src->ops = ops;
    src->bounded = bounded;
    src->name = sl_strdup(name);
    src->schema = schema_copy(schema);
    if (!src->name || !src->schema || sl_options_merge(&src->opts, opts)) {
        sl_source_free(src);
        return sl_err_oom(err);
    }
    sl_status st = ops->open(src, err);
    if (st) {
        sl_err_prefix(err, "source %s", name);
        sl_source_free(src);
        return st;
    }
    *out = src;
    return SL_OK;
}

void sl_source_free(sl_source *src)
{
    if (!src) return;
    if (src->ops && src->ops->close) src->ops->close(src);
    sl_free(src->name);
    sl_free(src->used);
    sl_schema_free(src->schema);
    sl_options_fini(&src->opts);
    sl_free(src);
}

sl_status sl_sink_new(const char *name, const sl_schema *schema,
                      const sl_options *opts, const char *output_mode,
                      sl_sink **out, sl_error *err)
{
    *out = NULL;
    const char *conn = sl_options_get(opts, "connector");
    if (!conn) return sl_err(err, SL_ERR_CONFIG, "sink %s: option 'connector' is missing", name);
    const sl_sink_ops *ops = sl_sink_ops_find(conn);
    if (!ops) return sl_err(err, SL_ERR_CONFIG, "sink %s: unknown connector '%s'", name, conn);
    sl_sink *snk = sl_calloc(1, sizeof *snk);
    if (!snk) return sl_err_oom(err);
    snk->ops = ops;
    snk->output_mode = output_mode;
    snk->name = sl_strdup(name);
    snk->schema = schema_copy(schema);
    if (!snk->name || !snk->schema || sl_options_merge(&snk->opts, opts)) {
        sl_sink_free(snk);
        return sl_err_oom(err);
    }
    sl_status st = ops->open(snk, err);
    if (st) {
        sl_err_prefix(err, "sink %s", name);
        sl_sink_free(snk);
        return st;
    }
    *out = snk;
    return SL_OK;
}

void sl_sink_free(sl_sink *snk)
{
    if (!snk) return;
    if (snk->ops && snk->ops->close) snk->ops->close(snk);
    sl_free(snk->name);
    sl_schema_free(snk->schema);
    sl_options_fini(&snk->opts);
    sl_free(snk);
}
