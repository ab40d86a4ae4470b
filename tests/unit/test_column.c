/* Columns and batches: appends, NULLs, gather, concat. */
#include "test.h"
#include "core/column.h"

TEST(column_append_and_nulls)
{
    sl_col *c = sl_col_new(SL_TYPE_BIGINT);
    REQUIRE(c);
    for (int i = 0; i < 1000; i++) {
        if (i % 7 == 0) CHECK(sl_col_append_null(c) == 0);
        else CHECK(sl_col_append_i64(c, i) == 0);
    }
    CHECK_INT(c->len, 1000);
    CHECK_INT(c->null_count, 143);
    CHECK(sl_col_is_null(c, 0));
    CHECK(!sl_col_is_null(c, 1));
    CHECK_INT(sl_col_i64(c)[999], 999);
    sl_col_unref(c);
}

TEST(column_strings_gather)
{
    sl_col *c = sl_col_new(SL_TYPE_STRING);
    REQUIRE(c);
    CHECK(sl_col_append_str(c, "alpha", 5) == 0);
    CHECK(sl_col_append_null(c) == 0);
    CHECK(sl_col_append_str(c, "", 0) == 0);
    CHECK(sl_col_append_str(c, "gamma", 5) == 0);
    int32_t sel[] = {3, 1, 0};
    sl_col *g = sl_col_gather(c, sel, 3);
    REQUIRE(g);
    size_t n;
    const char *s = sl_col_str(g, 0, &n);
    CHECK(n == 5 && memcmp(s, "gamma", 5) == 0);
    CHECK(sl_col_is_null(g, 1));
    s = sl_col_str(g, 2, &n);
    CHECK(n == 5 && memcmp(s, "alpha", 5) == 0);
    CHECK_INT(g->null_count, 1);
    sl_col_unref(g);
    sl_col_unref(c);
}

TEST(column_bool_bits)
{
    sl_col *c = sl_col_new(SL_TYPE_BOOLEAN);
    REQUIRE(c);
    for (int i = 0; i < 20; i++) CHECK(sl_col_append_bool(c, i % 3 == 0) == 0);
    CHECK(sl_col_bool(c, 0) && !sl_col_bool(c, 1) && sl_col_bool(c, 18));
    CHECK(c->validity == NULL);
    sl_col_unref(c);
}
