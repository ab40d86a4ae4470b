/* A bounded file source (a table, or trigger availableNow) restarted from a
 * checkpoint reports itself exhausted once it is planned from an offset at
 * or past the end of its input: the engine hands it the committed offset as
 * the start of the next batch, nothing is left to read, and an availableNow
 * run must end rather than wait for data that will never come. Exercised on
 * the connector interface directly (the driver has its own guard for this
 * case, which would hide a source that does not know it). */
#include "test.h"
#include "io/connector.h"
#include "core/mem.h"
#include "core/status.h"

#include <stdlib.h>
#include <unistd.h>

static void put(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) { fputs(text, f); fclose(f); }
}

static void rmrf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd)) {}
}

/* Opens a bounded JSON file source on dir and plans from `start`; returns
 * the planned end (heap, NULL: nothing) and whether it is exhausted after
 * planning. */
static char *plan_from(int *sl_test_failed, const char *dir, const char *start, bool *exhausted)
{
    sl_error err = {0};
    sl_schema *sch = sl_schema_new(1);
    sl_options o;
    sl_options_init(&o);
    sl_source *src = NULL;
    char *end = NULL;
    *exhausted = false;
    if (!sch || sl_schema_set(sch, 0, "x", SL_TYPE_BIGINT) || sl_options_set(&o, "connector", "file") ||
        sl_options_set(&o, "path", dir) || sl_options_set(&o, "format", "json") || sl_options_set(&o, "maxFilesPerTrigger", "1")) {
        CHECK(0);
    } else if (sl_source_new("s", sch, &o, true, &src, &err) || src->ops->plan(src, start, &end, &err)) {
        fprintf(stderr, "  %s\n", err.msg);
        CHECK(0);
    } else {
        *exhausted = src->ops->exhausted(src);
    }
    sl_source_free(src);
    sl_options_fini(&o);
    sl_schema_free(sch);
    return end;
}

TEST(file_source_restarted_past_end_is_exhausted)
{
    char dir[] = "/tmp/sluice-srcrestart-XXXXXX";
    REQUIRE(mkdtemp(dir));
    put(dir, "a.json", "{\"x\":1}\n");
    put(dir, "b.json", "{\"x\":2}\n");
    bool ex;
    /* fresh: one file per trigger, not exhausted */
    char *end = plan_from(sl_test_failed, dir, NULL, &ex);
    CHECK(end && strstr(end, "\"files\":1"));
    CHECK(!ex);
    sl_free(end);
    /* restarted after the first file: the second is still to read */
    end = plan_from(sl_test_failed, dir, "{\"files\":1}", &ex);
    CHECK(end && strstr(end, "\"files\":2"));
    CHECK(!ex);
    sl_free(end);
    /* restarted after both: nothing to plan, and exhausted */
    end = plan_from(sl_test_failed, dir, "{\"files\":2}", &ex);
    CHECK(end == NULL);
    CHECK(ex);
    sl_free(end);
    rmrf(dir);
}
