/* Text conversions: Spark's non-ANSI cast rules and Java's double printing.
 * Expected epoch values were computed independently with Python's datetime
 * (e.g. 2022-10-13T21:58:18Z = 1665698298 s, 2022-10-13 = day 19278). */
#include "test.h"

#include "core/textconv.h"

#include <math.h>

#define S(lit) lit, sizeof(lit) - 1

TEST(textconv_ints)
{
    int64_t v;
    int32_t w;
    CHECK(sl_text_to_i64(S(" 12 "), &v) && v == 12);
    CHECK(sl_text_to_i64(S("-9223372036854775808"), &v) && v == INT64_MIN);
    CHECK(sl_text_to_i64(S("9223372036854775807"), &v) && v == INT64_MAX);
    CHECK(!sl_text_to_i64(S("9223372036854775808"), &v));
    CHECK(sl_text_to_i32(S("1.9"), &w) && w == 1);
    CHECK(sl_text_to_i32(S("-1.9"), &w) && w == -1);
    CHECK(!sl_text_to_i32(S("abc"), &w));
    CHECK(!sl_text_to_i32(S("1e3"), &w));
    CHECK(!sl_text_to_i32(S(""), &w));
    CHECK(!sl_text_to_i32(S("-"), &w));
    CHECK(!sl_text_to_i32(S("2147483648"), &w));
    CHECK(sl_text_to_i32(S("+7"), &w) && w == 7);
    CHECK(!sl_text_to_i32(S("1.x"), &w));
}

TEST(textconv_doubles)
{
    double d;
    CHECK(sl_text_to_f64(S("1e3"), &d) && d == 1000.0);
    CHECK(sl_text_to_f64(S(" 975.38 "), &d) && d == 975.38);
    CHECK(sl_text_to_f64(S("0.12"), &d) && d == 0.12);
    CHECK(sl_text_to_f64(S("-0.1"), &d) && d == -0.1);
    CHECK(sl_text_to_f64(S("1.7976931348623157e308"), &d) && d == 1.7976931348623157e308);
    CHECK(sl_text_to_f64(S("123456789012345678901234"), &d) && d == 123456789012345678901234.0);
    CHECK(sl_text_to_f64(S("4.9e-324"), &d) && d == 4.9e-324);
    CHECK(sl_text_to_f64(S("NaN"), &d) && isnan(d));
    CHECK(sl_text_to_f64(S("-Infinity"), &d) && isinf(d) && d < 0);
    CHECK(sl_text_to_f64(S("inf"), &d) && isinf(d) && d > 0);
    CHECK(sl_text_to_f64(S("1.5d"), &d) && d == 1.5);
    CHECK(!sl_text_to_f64(S("abc"), &d));
    CHECK(!sl_text_to_f64(S("1e"), &d));
    CHECK(!sl_text_to_f64(S("."), &d));
    CHECK(!sl_text_to_f64(S("1.2.3"), &d));
    CHECK(!sl_text_to_f64(S(""), &d));
}

TEST(textconv_bool)
{
    bool b;
    CHECK(sl_text_to_bool(S("TRUE"), &b) && b);
    CHECK(sl_text_to_bool(S(" y "), &b) && b);
    CHECK(sl_text_to_bool(S("no"), &b) && !b);
    CHECK(sl_text_to_bool(S("0"), &b) && !b);
    CHECK(!sl_text_to_bool(S("2"), &b));
}

TEST(textconv_timestamp_parse)
{
    int64_t us;
    CHECK(sl_text_to_timestamp(S("2022-10-13 21:58:18"), &us) && us == 1665698298LL * 1000000);
    CHECK(sl_text_to_timestamp(S("2022-10-13T21:58:18Z"), &us) && us == 1665698298LL * 1000000);
    CHECK(sl_text_to_timestamp(S("2022-10-13T23:58:18+02:00"), &us) &&
          us == 1665698298LL * 1000000);
    CHECK(sl_text_to_timestamp(S("2022-10-13 21:58:18.123456"), &us) &&
          us == 1665698298LL * 1000000 + 123456);
    CHECK(sl_text_to_timestamp(S("2022-10-13 21:58:18.5"), &us) &&
          us == 1665698298LL * 1000000 + 500000);
    CHECK(sl_text_to_timestamp(S("2022-10-13"), &us) && us == 19278LL * 86400 * 1000000);
    CHECK(sl_text_to_timestamp(S("2022"), &us) &&
          us == (19278LL - 285) * 86400 * 1000000); /* 2022-01-01 */
    CHECK(sl_text_to_timestamp(S("1969-12-31 23:59:59"), &us) && us == -1000000);
    CHECK(!sl_text_to_timestamp(S("2022-13-01"), &us));
    CHECK(!sl_text_to_timestamp(S("2022-02-30"), &us));
    CHECK(!sl_text_to_timestamp(S("hello"), &us));
    CHECK(!sl_text_to_timestamp(S("2022-10-13 25:00:00"), &us));
    int32_t days;
    CHECK(sl_text_to_date(S("2022-10-13"), &days) && days == 19278);
    CHECK(sl_text_to_date(S("2022-10-13 21:58:18"), &days) && days == 19278);
    CHECK(sl_text_to_date(S("1600-02-29"), &days) && days == -135081);
    CHECK(!sl_text_to_date(S("1700-02-29"), &days));
}

TEST(textconv_print)
{
    char buf[SL_TEXT_MAX];
    sl_f64_to_text(975.38, buf); CHECK_STR(buf, "975.38");
    sl_f64_to_text(1.0, buf); CHECK_STR(buf, "1.0");
    sl_f64_to_text(1e10, buf); CHECK_STR(buf, "1.0E10");
    sl_f64_to_text(1e-4, buf); CHECK_STR(buf, "1.0E-4");
    sl_f64_to_text(0.001, buf); CHECK_STR(buf, "0.001");
    sl_f64_to_text(1234567.0, buf); CHECK_STR(buf, "1234567.0");
    sl_f64_to_text(12345678.9, buf); CHECK_STR(buf, "1.23456789E7");
    sl_f64_to_text(0.1 + 0.2, buf); CHECK_STR(buf, "0.30000000000000004");
    sl_f64_to_text(-0.0, buf); CHECK_STR(buf, "-0.0");
    sl_f64_to_text(NAN, buf); CHECK_STR(buf, "NaN");
    sl_f64_to_text(-INFINITY, buf); CHECK_STR(buf, "-Infinity");
    sl_f64_to_text(100.0, buf); CHECK_STR(buf, "100.0");
    int64_t t = 1665698298LL * 1000000;
    sl_timestamp_to_text(t, buf); CHECK_STR(buf, "2022-10-13 21:58:18");
    sl_timestamp_to_text(t + 123000, buf); CHECK_STR(buf, "2022-10-13 21:58:18.123");
    sl_timestamp_to_text(t + 1, buf); CHECK_STR(buf, "2022-10-13 21:58:18.000001");
    sl_timestamp_to_text(-1, buf); CHECK_STR(buf, "1969-12-31 23:59:59.999999");
    sl_timestamp_to_iso(t, buf); CHECK_STR(buf, "2022-10-13T21:58:18.000Z");
    sl_date_to_text(19278, buf); CHECK_STR(buf, "2022-10-13");
    sl_date_to_text(-135081, buf); CHECK_STR(buf, "1600-02-29");
}

TEST(textconv_patterns)
{
    char buf[128];
    int64_t t = 1665698298LL * 1000000 + 456000;
    sl_timestamp_format(t, "yyyy-MM-dd HH:mm:ss", buf, sizeof buf);
    CHECK_STR(buf, "2022-10-13 21:58:18");
    sl_timestamp_format(t, "dd/MM/yy hh:mm a", buf, sizeof buf);
    CHECK_STR(buf, "13/10/22 09:58 PM");
    sl_timestamp_format(t, "EEEE, MMM d 'at' H.SSS", buf, sizeof buf);
    CHECK_STR(buf, "Thursday, Oct 13 at 21.456");
    int64_t us;
    CHECK(sl_text_to_timestamp_fmt(S("13/10/2022 21:58:18"), "dd/MM/yyyy HH:mm:ss", &us) &&
          us == 1665698298LL * 1000000);
    CHECK(sl_text_to_timestamp_fmt(S("13-Oct-2022 09:58:18 PM"), "dd-MMM-yyyy hh:mm:ss a", &us) &&
          us == 1665698298LL * 1000000);
    CHECK(sl_text_to_timestamp_fmt(S("2022-10-13T21:58:18.456Z"),
                                   "yyyy-MM-dd'T'HH:mm:ss.SSSX", &us) &&
          us == 1665698298LL * 1000000 + 456000);
    CHECK(!sl_text_to_timestamp_fmt(S("2022-10-13"), "dd/MM/yyyy", &us));
    CHECK(!sl_text_to_timestamp_fmt(S("31/02/2022 00:00:00"), "dd/MM/yyyy HH:mm:ss", &us));
}

TEST(textconv_civil_roundtrip)
{
    for (int64_t d = -800000; d <= 800000; d += 37) {
        int64_t y;
        unsigned m, dd;
        sl_civil_from_days(d, &y, &m, &dd);
        CHECK(sl_days_from_civil(y, m, dd) == d);
    }
}
