/* Unit tests for the JSON document tree (src/core/jdoc.c): values of every
 * type, escapes, numbers, error positions, depth limit, and a fault-injection
 * loop that fails each allocation in turn. */
#include "test.h"
#include "core/jdoc.h"
#include "core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static sl_jdoc *parse(const char *s)
{
    sl_jdoc *doc = NULL;
    if (sl_jdoc_parse(s, strlen(s), &doc, NULL) != SL_OK) return NULL;
    return doc;
}

TEST(jdoc_values)
{
    sl_jdoc *doc = parse(" {\"a\": 1, \"b\": -2.5e1, \"c\": \"x\\ty\", \"d\": [true, false, null],"
                         " \"e\": {}, \"f\": [], \"g\": 12345678901234}");
    REQUIRE(doc);
    const sl_jval *r = doc->root;
    REQUIRE(r->type == SL_JOBJ);
    CHECK_INT(r->n, 7);
    CHECK_INT(sl_jval_get_int(r, "a", 0), 1);
    CHECK(sl_jval_get(r, "a")->is_int);
    CHECK(sl_jval_get_num(r, "b", 0) == -25.0);
    CHECK(!sl_jval_get(r, "b")->is_int);
    CHECK_STR(sl_jval_get_str(r, "c", NULL), "x\ty");
    const sl_jval *d = sl_jval_get(r, "d");
    REQUIRE(d && d->type == SL_JARR && d->n == 3);
    CHECK(d->items[0]->type == SL_JBOOL && d->items[0]->b);
    CHECK(d->items[1]->type == SL_JBOOL && !d->items[1]->b);
    CHECK(d->items[2]->type == SL_JNULL);
    CHECK(sl_jval_get(r, "e")->type == SL_JOBJ && sl_jval_get(r, "e")->n == 0);
    CHECK(sl_jval_get(r, "f")->type == SL_JARR && sl_jval_get(r, "f")->n == 0);
    CHECK_INT(sl_jval_get_int(r, "g", 0), 12345678901234LL);
    CHECK(sl_jval_get(r, "zz") == NULL);
    CHECK_STR(sl_jval_get_str(r, "a", "dflt"), "dflt");
    CHECK_INT(sl_jval_get_int(r, "zz", 7), 7);
    sl_jdoc_free(doc);
}

TEST(jdoc_unicode_escapes)
{
    sl_jdoc *doc = parse("[\"\\u00e9\\u20ac\\ud83d\\ude00\\\"\\\\\\/\", \"caf\xc3\xa9\"]");
    REQUIRE(doc);
    CHECK_STR(doc->root->items[0]->str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"\\/");
    CHECK_INT(doc->root->items[0]->str_len, 2 + 3 + 4 + 3);
    CHECK_STR(doc->root->items[1]->str, "caf\xc3\xa9");
    sl_jdoc_free(doc);
}

TEST(jdoc_numbers)
{
    sl_jdoc *doc = parse("[0, -0, 1.5, 1e3, -7, 0.1, 3.4028234663852886e+38, 9223372036854775807, 1E-2]");
    REQUIRE(doc);
    const sl_jval *a = doc->root;
    REQUIRE(a->n == 9);
    CHECK(a->items[0]->is_int && a->items[0]->i == 0);
    CHECK(a->items[2]->num == 1.5);
    CHECK(a->items[3]->num == 1000.0 && !a->items[3]->is_int);
    CHECK(a->items[4]->i == -7);
    CHECK(a->items[5]->num == 0.1);
    CHECK(a->items[6]->num == 3.4028234663852886e+38);
    CHECK(a->items[7]->is_int && a->items[7]->i == INT64_MAX);
    CHECK(a->items[8]->num == 0.01);
    sl_jdoc_free(doc);
}

TEST(jdoc_not_nul_terminated)
{
    const char text[] = "[12]34";
    sl_jdoc *doc = NULL;
    REQUIRE(sl_jdoc_parse(text, 4, &doc, NULL) == SL_OK);
    CHECK(doc->root->items[0]->i == 12);
    sl_jdoc_free(doc);
    doc = NULL;
    REQUIRE(sl_jdoc_parse("12345", 2, &doc, NULL) == SL_OK);
    CHECK(doc->root->i == 12);
    sl_jdoc_free(doc);
}

TEST(jdoc_errors)
{
    const char *bad[] = { "", "{", "[1,]", "{\"a\" 1}", "{1: 2}", "tru", "\"abc",
                          "01", "1.", "-", "[1] x", "\"\\x\"", "\"\\ud800\"",
                          "{\"a\":1,}", "nul", "[\"a\nb\"]" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sl_error *err = sl_error_new();
        sl_jdoc *doc = (sl_jdoc *)1;
        sl_status st = sl_jdoc_parse(bad[i], strlen(bad[i]), &doc, err);
        if (st == SL_OK) fprintf(stderr, "  accepted bad JSON %s\n", bad[i]);
        CHECK(st == SL_ERR_FORMAT);
        CHECK(doc == NULL);
        sl_error_free(err);
    }
    sl_error *err = sl_error_new();
    sl_jdoc *doc;
    CHECK(sl_jdoc_parse("{\n  \"a\": [1,\n  2 3]}", 19, &doc, err) == SL_ERR_FORMAT);
    CHECK_INT(sl_error_line(err), 3);
    CHECK_INT(sl_error_column(err), 5);
    CHECK(strstr(sl_error_message(err), "line 3") != NULL);
    sl_error_free(err);
}

TEST(jdoc_depth_limit)
{
    char buf[2 * 600 + 1];
    for (int depth = 512; depth <= 513; depth++) {
        int n = 0;
        for (int i = 0; i < depth; i++) buf[n++] = '[';
        for (int i = 0; i < depth; i++) buf[n++] = ']';
        sl_jdoc *doc = NULL;
        sl_status st = sl_jdoc_parse(buf, (size_t)n, &doc, NULL);
        CHECK(depth == 512 ? st == SL_OK : st == SL_ERR_FORMAT);
        sl_jdoc_free(doc);
    }
}

TEST(jdoc_file)
{
    char path[] = "/tmp/sl_jdoc_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    /* Longer than one read chunk, to exercise the growth path. */
    fputs("[", f);
    for (int i = 0; i < 20000; i++) fprintf(f, "%s{\"k\": %d}", i ? "," : "", i);
    fputs("]", f);
    fclose(f);
    sl_jdoc *doc = NULL;
    REQUIRE(sl_jdoc_parse_file(path, &doc, NULL) == SL_OK);
    REQUIRE(doc->root->n == 20000);
    CHECK_INT(sl_jval_get_int(doc->root->items[19999], "k", -1), 19999);
    sl_jdoc_free(doc);
    remove(path);
    sl_error *err = sl_error_new();
    CHECK(sl_jdoc_parse_file("/nonexistent/x.json", &doc, err) == SL_ERR_IO);
    CHECK(strstr(sl_error_message(err), "/nonexistent/x.json") != NULL);
    sl_error_free(err);
}

TEST(jdoc_oom_every_allocation)
{
    const char *text = "{\"a\": [1, 2, {\"b\": \"c\\u00e9\"}], \"long\": "
                       "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
    int ok_seen = 0;
    for (long n = 1; n < 200 && !ok_seen; n++) {
        sl_mem_fault_arm(n, 0);
        sl_jdoc *doc = NULL;
        sl_error *err = NULL;
        sl_status st = sl_jdoc_parse(text, strlen(text), &doc, err);
        long hits = sl_mem_fault_hits();
        sl_mem_fault_arm(0, 0);
        if (hits == 0) {
            CHECK(st == SL_OK);
            ok_seen = 1;
        } else {
            CHECK(st == SL_ERR_NOMEM);
            CHECK(doc == NULL);
        }
        sl_jdoc_free(doc);
    }
    CHECK(ok_seen);
}
