/* CAST with Spark's non-ANSI rules: unparsable -> NULL, JVM narrowing. */
#include "test.h"

#include "core/status.h"
#include "exec/func.h"

#include <math.h>

static sl_col *strs(const char **v, int n)
{
    sl_col *c = sl_col_new(SL_TYPE_STRING);
    for (int i = 0; i < n; i++) {
        if (v[i]) sl_col_append_str(c, v[i], strlen(v[i]));
        else sl_col_append_null(c);
    }
    return c;
}

static const char *row_str(const sl_col *c, int64_t i, char *buf)
{
    size_t n;
    const char *s = sl_col_str(c, i, &n);
    memcpy(buf, s, n);
    buf[n] = 0;
    return buf;
}

TEST(cast_string_to_numbers)
{
    const char *v[] = {" 12 ", "1.9", "abc", NULL, "1e3", "-2147483649", "-0.5"};
    sl_col *in = strs(v, 7), *o;
    sl_error err;
    REQUIRE(sl_cast_col(in, SL_TYPE_INT, &o, &err) == SL_OK);
    CHECK_INT(sl_col_i32(o)[0], 12);
    CHECK_INT(sl_col_i32(o)[1], 1);
    CHECK(sl_col_is_null(o, 2));
    CHECK(sl_col_is_null(o, 3));
    CHECK(sl_col_is_null(o, 4)); /* "1e3" is not an integer literal */
    CHECK(sl_col_is_null(o, 5));
    CHECK_INT(sl_col_i32(o)[6], 0);
    CHECK_INT(o->null_count, 4);
    sl_col_unref(o);
    REQUIRE(sl_cast_col(in, SL_TYPE_DOUBLE, &o, &err) == SL_OK);
    CHECK(sl_col_f64(o)[0] == 12.0);
    CHECK(sl_col_f64(o)[4] == 1000.0);
    CHECK(sl_col_is_null(o, 2));
    CHECK(sl_col_f64(o)[6] == -0.5);
    sl_col_unref(o);
    REQUIRE(sl_cast_col(in, SL_TYPE_BIGINT, &o, &err) == SL_OK);
    CHECK_INT(sl_col_i64(o)[5], -2147483649LL);
    sl_col_unref(o);
    sl_col_unref(in);
}

TEST(cast_string_to_time_and_bool)
{
    const char *v[] = {"2022-10-13 21:58:18", "2022-10-13", "nope", "yes", "F"};
    sl_col *in = strs(v, 5), *o;
    sl_error err;
    REQUIRE(sl_cast_col(in, SL_TYPE_TIMESTAMP, &o, &err) == SL_OK);
    CHECK_INT(sl_col_i64(o)[0], 1665698298LL * 1000000);
    CHECK_INT(sl_col_i64(o)[1], 19278LL * 86400 * 1000000);
    CHECK(sl_col_is_null(o, 2));
    sl_col_unref(o);
    REQUIRE(sl_cast_col(in, SL_TYPE_DATE, &o, &err) == SL_OK);
    CHECK_INT(sl_col_i32(o)[0], 19278);
    CHECK_INT(sl_col_i32(o)[1], 19278);
    sl_col_unref(o);
    REQUIRE(sl_cast_col(in, SL_TYPE_BOOLEAN, &o, &err) == SL_OK);
    CHECK(sl_col_is_null(o, 0));
    CHECK(sl_col_bool(o, 3) && !sl_col_is_null(o, 3));
    CHECK(!sl_col_bool(o, 4) && !sl_col_is_null(o, 4));
    sl_col_unref(o);
    sl_col_unref(in);
}

TEST(cast_numeric_narrowing)
{
    sl_col *d = sl_col_new(SL_TYPE_DOUBLE), *o;
    double vals[] = {1.9, -1.9, 1e20, -1e20, NAN, 2147483647.5};
    for (int i = 0; i < 6; i++) sl_col_append_f64(d, vals[i]);
    sl_col_append_null(d);
    sl_error err;
    REQUIRE(sl_cast_col(d, SL_TYPE_INT, &o, &err) == SL_OK);
    CHECK_INT(sl_col_i32(o)[0], 1);
    CHECK_INT(sl_col_i32(o)[1], -1);
    CHECK_INT(sl_col_i32(o)[2], INT32_MAX);   /* saturates as the JVM */
    CHECK_INT(sl_col_i32(o)[3], INT32_MIN);
    CHECK_INT(sl_col_i32(o)[4], 0);           /* NaN -> 0 */
    CHECK_INT(sl_col_i32(o)[5], INT32_MAX);
    CHECK(sl_col_is_null(o, 6));
    sl_col_unref(o);
    REQUIRE(sl_cast_col(d, SL_TYPE_STRING, &o, &err) == SL_OK);
    char buf[64];
    CHECK_STR(row_str(o, 0, buf), "1.9");
    CHECK_STR(row_str(o, 2, buf), "1.0E20");
    CHECK_STR(row_str(o, 4, buf), "NaN");
    CHECK(sl_col_is_null(o, 6));
    sl_col_unref(o);
    sl_col_unref(d);

    sl_col *b = sl_col_new(SL_TYPE_BIGINT);
    sl_col_append_i64(b, 4294967297LL); /* 2^32 + 1 */
    sl_col_append_i64(b, 1665698298LL);
    REQUIRE(sl_cast_col(b, SL_TYPE_INT, &o, &err) == SL_OK);
    CHECK_INT(sl_col_i32(o)[0], 1); /* the JVM keeps the low 32 bits */
    sl_col_unref(o);
    REQUIRE(sl_cast_col(b, SL_TYPE_TIMESTAMP, &o, &err) == SL_OK);
    CHECK_INT(sl_col_i64(o)[1], 1665698298LL * 1000000);
    sl_col *back;
    REQUIRE(sl_cast_col(o, SL_TYPE_BIGINT, &back, &err) == SL_OK);
    CHECK_INT(sl_col_i64(back)[1], 1665698298LL);
    sl_col_unref(back);
    REQUIRE(sl_cast_col(o, SL_TYPE_STRING, &back, &err) == SL_OK);
    CHECK_STR(row_str(back, 1, buf), "2022-10-13 21:58:18");
    sl_col_unref(back);
    REQUIRE(sl_cast_col(o, SL_TYPE_DATE, &back, &err) == SL_OK);
    CHECK_INT(sl_col_i32(back)[1], 19278);
    sl_col_unref(back);
    sl_col_unref(o);
    sl_col_unref(b);
}

TEST(cast_bool_and_identity)
{
    sl_col *b = sl_col_new(SL_TYPE_BOOLEAN), *o;
    sl_col_append_bool(b, true);
    sl_col_append_bool(b, false);
    sl_error err;
    REQUIRE(sl_cast_col(b, SL_TYPE_INT, &o, &err) == SL_OK);
    CHECK_INT(sl_col_i32(o)[0], 1);
    CHECK_INT(sl_col_i32(o)[1], 0);
    sl_col *back;
    REQUIRE(sl_cast_col(o, SL_TYPE_BOOLEAN, &back, &err) == SL_OK);
    CHECK(sl_col_bool(back, 0) && !sl_col_bool(back, 1));
    sl_col_unref(back);
    sl_col_unref(o);
    REQUIRE(sl_cast_col(b, SL_TYPE_STRING, &o, &err) == SL_OK);
    char buf[8];
    CHECK_STR(row_str(o, 0, buf), "true");
    sl_col_unref(o);
    REQUIRE(sl_cast_col(b, SL_TYPE_BOOLEAN, &o, &err) == SL_OK);
    CHECK(o == b);
    CHECK_INT(b->refs, 2);
    sl_col_unref(o);
    CHECK(!sl_cast_allowed(SL_TYPE_BOOLEAN, SL_TYPE_DATE));
    CHECK(sl_cast_col(b, SL_TYPE_DATE, &o, &err) == SL_ERR_TYPE);
    CHECK(sl_cast_allowed(SL_TYPE_STRING, SL_TYPE_DATE));
    CHECK(sl_cast_allowed(SL_TYPE_NULL, SL_TYPE_TIMESTAMP));
    sl_col_unref(b);
}
