/* Scalar functions: resolve rules and kernels, with Spark's results worked
 * out by hand from its documented semantics. */
#include "test.h"

#include "core/mem.h"
#include "core/status.h"
#include "exec/func.h"

#include <math.h>

static sl_col *S1(const char *a) /* one-row string column, NULL for NULL */
{
    sl_col *c = sl_col_new(SL_TYPE_STRING);
    if (a) sl_col_append_str(c, a, strlen(a));
    else sl_col_append_null(c);
    return c;
}

static sl_col *I1(int32_t v)
{
    sl_col *c = sl_col_new(SL_TYPE_INT);
    sl_col_append_i32(c, v);
    return c;
}

static sl_col *D1(double v)
{
    sl_col *c = sl_col_new(SL_TYPE_DOUBLE);
    sl_col_append_f64(c, v);
    return c;
}

static sl_col *T1(int64_t us)
{
    sl_col *c = sl_col_new(SL_TYPE_TIMESTAMP);
    sl_col_append_i64(c, us);
    return c;
}

/* Calls fn on one-row argument columns (consumed) and returns the result. */
static sl_col *call(const char *name, int n, sl_col **args)
{
    const sl_func_def *fn = sl_func_find(name);
    if (!fn) return NULL;
    sl_type types[8], want[8], ret;
    for (int i = 0; i < n; i++) types[i] = want[i] = args[i]->type;
    char why[200];
    if (fn->resolve(types, n, want, &ret, why, sizeof why)) return NULL;
    sl_error err;
    for (int i = 0; i < n; i++) {
        sl_col *c;
        if (sl_cast_col(args[i], want[i], &c, &err)) return NULL;
        sl_col_unref(args[i]);
        args[i] = c;
    }
    sl_eval_ctx ctx = {1665698298LL * 1000000, 7};
    void *state = NULL;
    sl_col *out = NULL;
    sl_status st = fn->eval(args, n, 1, ret, &ctx, &state, &out, &err);
    if (fn->free_state) fn->free_state(state);
    for (int i = 0; i < n; i++) sl_col_unref(args[i]);
    return st == SL_OK ? out : NULL;
}

static char sbuf[256];
static const char *str0(sl_col *c) /* row 0 as text ("NULL"); frees c */
{
    if (!c) return "(error)";
    if (sl_col_is_null(c, 0)) strcpy(sbuf, "NULL");
    else {
        size_t n;
        const char *s = sl_col_str(c, 0, &n);
        memcpy(sbuf, s, n);
        sbuf[n] = 0;
    }
    sl_col_unref(c);
    return sbuf;
}

static double f0(sl_col *c)
{
    double v = c && !sl_col_is_null(c, 0) ? sl_col_f64(c)[0] : -12345;
    sl_col_unref(c);
    return v;
}

static long long i0(sl_col *c)
{
    long long v = -12345;
    if (c && !sl_col_is_null(c, 0)) {
        if (c->type == SL_TYPE_INT || c->type == SL_TYPE_DATE) v = sl_col_i32(c)[0];
        else if (c->type == SL_TYPE_BOOLEAN) v = sl_col_bool(c, 0);
        else v = sl_col_i64(c)[0];
    }
    sl_col_unref(c);
    return v;
}

#define A(...) (sl_col *[]){__VA_ARGS__}

TEST(func_strings)
{
    CHECK_STR(str0(call("concat", 3, A(S1("Alice"), S1(" "), S1("Johnson")))), "Alice Johnson");
    CHECK_STR(str0(call("concat", 2, A(S1("a"), S1(NULL)))), "NULL");
    CHECK_STR(str0(call("concat", 2, A(S1("n"), I1(5)))), "n5");
    CHECK_STR(str0(call("concat_ws", 4, A(S1("-"), S1("a"), S1(NULL), S1("b")))), "a-b");
    CHECK_STR(str0(call("UPPER", 1, A(S1("abc\xc3\xa9")))), "ABC\xc3\x89");
    CHECK_STR(str0(call("lower", 1, A(S1("AbC")))), "abc");
    CHECK_STR(str0(call("trim", 1, A(S1("  a b  ")))), "a b");
    CHECK_STR(str0(call("ltrim", 1, A(S1("  a ")))), "a ");
    CHECK_STR(str0(call("rtrim", 1, A(S1("  a ")))), "  a");
    CHECK_INT(i0(call("length", 1, A(S1("h\xc3\xa9llo")))), 5);
    CHECK_STR(str0(call("substring", 3, A(S1("Spark SQL"), I1(5), I1(1)))), "k");
    CHECK_STR(str0(call("substring", 2, A(S1("Spark SQL"), I1(-3)))), "SQL");
    CHECK_STR(str0(call("substr", 3, A(S1("Spark SQL"), I1(0), I1(2)))), "Sp");
    CHECK_STR(str0(call("substr", 3, A(S1("Spark"), I1(-10), I1(7)))), "Sp");
    CHECK_STR(str0(call("substr", 3, A(S1("Spark"), I1(10), I1(2)))), "");
    CHECK_STR(str0(call("substr", 3, A(S1("h\xc3\xa9llo"), I1(2), I1(2)))), "\xc3\xa9l");
}

TEST(func_like_regex)
{
    CHECK_INT(i0(call("like", 2, A(S1("Alice"), S1("A%e")))), 1);
    CHECK_INT(i0(call("like", 2, A(S1("Alice"), S1("A_ice")))), 1);
    CHECK_INT(i0(call("like", 2, A(S1("Alice"), S1("a%")))), 0);
    CHECK_INT(i0(call("like", 2, A(S1("50%"), S1("50\\%")))), 1);
    CHECK_INT(i0(call("like", 2, A(S1("500"), S1("50\\%")))), 0);
    CHECK_INT(i0(call("like", 2, A(S1("\xc3\xa9x"), S1("_x")))), 1);
    CHECK_INT(i0(call("like", 2, A(S1("aaa"), S1("%a%a%a%")))), 1);
    CHECK_INT(i0(call("like", 2, A(S1("aa"), S1("%a%a%a%")))), 0);
    CHECK_INT(i0(call("rlike", 2, A(S1("abc123"), S1("\\d+")))), 1);
    CHECK_INT(i0(call("rlike", 2, A(S1("abc"), S1("^\\d")))), 0);
    CHECK_STR(str0(call("regexp_replace", 3, A(S1("100-200"), S1("(\\d+)"), S1("<$1>")))),
              "<100>-<200>");
    CHECK_STR(str0(call("regexp_replace", 3, A(S1("abc"), S1("x*"), S1("-")))), "-a-b-c-");
    CHECK_STR(str0(call("regexp_replace", 3, A(S1("a.b"), S1("\\."), S1("\\$")))), "a$b");
    CHECK_STR(str0(call("regexp_extract", 3, A(S1("100-200"), S1("(\\d+)-(\\d+)"), I1(2)))),
              "200");
    CHECK_STR(str0(call("regexp_extract", 3, A(S1("foo"), S1("(\\d+)"), I1(1)))), "");
    CHECK(call("regexp_replace", 3, A(S1("a"), S1("("), S1("x"))) == NULL); /* bad regex */
}

TEST(func_time)
{
    int64_t t = 1665698298LL * 1000000; /* 2022-10-13 21:58:18 UTC */
    CHECK_INT(i0(call("to_timestamp", 1, A(S1("2022-10-13 21:58:18")))), t);
    CHECK_INT(i0(call("to_timestamp", 2, A(S1("13/10/2022 21:58"), S1("dd/MM/yyyy HH:mm")))),
              t - 18000000);
    CHECK_INT(i0(call("to_timestamp", 1, A(S1("garbage")))), -12345);
    CHECK_INT(i0(call("to_date", 1, A(S1("2022-10-13 21:58:18")))), 19278);
    CHECK_STR(str0(call("from_unixtime", 1, A(I1(1665698298)))), "2022-10-13 21:58:18");
    CHECK_STR(str0(call("from_unixtime", 2, A(I1(0), S1("yyyy/MM/dd")))), "1970/01/01");
    CHECK_INT(i0(call("unix_timestamp", 1, A(S1("2022-10-13 21:58:18")))), 1665698298);
    CHECK_INT(i0(call("unix_timestamp", 2, A(S1("2022-10-13"), S1("yyyy-MM-dd")))), 19278LL * 86400);
    CHECK_INT(i0(call("unix_timestamp", 0, NULL)), 1665698298);
    CHECK_INT(i0(call("current_timestamp", 0, NULL)), t);
    CHECK_STR(str0(call("date_format", 2, A(T1(t), S1("yyyy-MM-dd'T'HH")))), "2022-10-13T21");
    CHECK_INT(i0(call("year", 1, A(T1(t)))), 2022);
    CHECK_INT(i0(call("month", 1, A(T1(t)))), 10);
    CHECK_INT(i0(call("dayofmonth", 1, A(T1(t)))), 13);
    CHECK_INT(i0(call("hour", 1, A(T1(t)))), 21);
    CHECK_INT(i0(call("minute", 1, A(T1(t)))), 58);
    CHECK_INT(i0(call("second", 1, A(T1(t)))), 18);
    CHECK_INT(i0(call("hour", 1, A(T1(-1)))), 23);
    CHECK_INT(i0(call("year", 1, A(S1("1999-12-31")))), 1999);
}

TEST(func_math)
{
    CHECK(f0(call("round", 2, A(D1(2.675), I1(2)))) == 2.68);
    CHECK(f0(call("round", 1, A(D1(2.5)))) == 3.0);
    CHECK(f0(call("round", 1, A(D1(-2.5)))) == -3.0);
    CHECK(f0(call("round", 2, A(D1(1.005), I1(2)))) == 1.01);
    CHECK(f0(call("round", 2, A(D1(975.38), I1(-1)))) == 980.0);
    CHECK_INT(i0(call("round", 2, A(I1(125), I1(-1)))), 130);
    CHECK_INT(i0(call("round", 2, A(I1(-125), I1(-1)))), -130);
    CHECK_INT(i0(call("floor", 1, A(D1(-1.5)))), -2);
    CHECK_INT(i0(call("ceil", 1, A(D1(1.2)))), 2);
    CHECK_INT(i0(call("abs", 1, A(I1(-4)))), 4);
    CHECK(f0(call("abs", 1, A(D1(-4.5)))) == 4.5);
    CHECK(f0(call("sqrt", 1, A(I1(16)))) == 4.0);
    CHECK(f0(call("pow", 2, A(I1(2), I1(10)))) == 1024.0);
    CHECK(f0(call("ln", 1, A(D1(1.0)))) == 0.0);
    CHECK(f0(call("ln", 1, A(D1(0.0)))) == -12345); /* NULL */
    CHECK(fabs(f0(call("log", 2, A(I1(10), I1(1000)))) - 3.0) < 1e-12);
    CHECK(fabs(f0(call("exp", 1, A(D1(1.0)))) - M_E) < 1e-15);
}

TEST(func_selectors)
{
    CHECK_INT(i0(call("coalesce", 3, A(sl_col_new_nulls(SL_TYPE_NULL, 1), I1(3), I1(4)))), 3);
    CHECK(f0(call("coalesce", 2, A(sl_col_new_nulls(SL_TYPE_INT, 1), D1(2.5)))) == 2.5);
    CHECK_STR(str0(call("coalesce", 2, A(S1(NULL), S1("x")))), "x");
    CHECK(f0(call("greatest", 3, A(I1(3), D1(7.5), sl_col_new_nulls(SL_TYPE_INT, 1)))) == 7.5);
    CHECK_INT(i0(call("least", 2, A(I1(3), I1(-1)))), -1);
    CHECK_STR(str0(call("greatest", 2, A(S1("apple"), S1("banana")))), "banana");
    CHECK_INT(i0(call("nullif", 2, A(I1(3), I1(3)))), -12345);
    CHECK_INT(i0(call("nullif", 2, A(I1(3), I1(4)))), 3);

    /* resolve gives a reason on mismatch */
    const sl_func_def *fn = sl_func_find("coalesce");
    REQUIRE(fn);
    /* (INT with STRING is fine: Spark promotes both to STRING) */
    sl_type types[2] = {SL_TYPE_INT, SL_TYPE_BOOLEAN}, want[2], ret;
    char why[200] = "";
    CHECK(fn->resolve(types, 2, want, &ret, why, sizeof why) != 0);
    CHECK(strstr(why, "coalesce") != NULL);
    fn = sl_func_find("sqrt");
    sl_type tb[1] = {SL_TYPE_TIMESTAMP};
    CHECK(fn->resolve(tb, 1, want, &ret, why, sizeof why) != 0);
    CHECK(sl_func_find("no_such_function") == NULL);
}

TEST(func_vector_nulls)
{
    /* many rows: NULL propagation row by row */
    sl_col *a = sl_col_new(SL_TYPE_STRING), *b = sl_col_new(SL_TYPE_STRING);
    for (int i = 0; i < 1000; i++) {
        char t[16];
        int n = snprintf(t, sizeof t, "r%d", i);
        if (i % 7 == 0) sl_col_append_null(a); else sl_col_append_str(a, t, (size_t)n);
        if (i % 5 == 0) sl_col_append_null(b); else sl_col_append_str(b, "x", 1);
    }
    const sl_func_def *fn = sl_func_find("concat");
    sl_col *out;
    sl_error err;
    REQUIRE(fn->eval((sl_col *[]){a, b}, 2, 1000, SL_TYPE_STRING, NULL, NULL, &out, &err) == SL_OK);
    int nulls = 0, bad = 0;
    for (int i = 0; i < 1000; i++) {
        bool want_null = i % 7 == 0 || i % 5 == 0;
        nulls += want_null;
        if (sl_col_is_null(out, i) != want_null) bad++;
        if (!want_null) {
            char t[16];
            int n = snprintf(t, sizeof t, "r%dx", i);
            size_t l;
            const char *s = sl_col_str(out, i, &l);
            if (l != (size_t)n || memcmp(s, t, l)) bad++;
        }
    }
    CHECK_INT(bad, 0);
    CHECK_INT(out->null_count, nulls);
    sl_col_unref(out);
    sl_col_unref(a);
    sl_col_unref(b);
}

TEST(func_oom_every_allocation)
{
    /* Fails each allocation of several kernels and casts in turn: each ends
     * in SL_ERR_NOMEM or success, never a crash (leaks show under ASan). */
    sl_col *s = sl_col_new(SL_TYPE_STRING), *p = sl_col_new(SL_TYPE_STRING),
           *r = sl_col_new(SL_TYPE_STRING), *d = sl_col_new(SL_TYPE_DOUBLE);
    for (int i = 0; i < 300; i++) {
        char t[32];
        int n = snprintf(t, sizeof t, "row %d, %d", i, i * 7);
        if (i % 11 == 0) sl_col_append_null(s); else sl_col_append_str(s, t, (size_t)n);
        sl_col_append_str(p, "(\\d+)", 5);
        sl_col_append_str(r, "<$1>", 4);
        sl_col_append_f64(d, i * 1.25);
    }
    const char *fns[] = {"regexp_replace", "concat_ws", "upper", "coalesce", "rlike"};
    int n_ok = 0, n_oom = 0, other = 0;
    for (int k = 0; k < 5; k++) {
        const sl_func_def *fn = sl_func_find(fns[k]);
        REQUIRE(fn);
        for (long at = 1; at < 12; at++) {
            sl_col *args3[3] = {s, p, r};
            sl_col *args2[2] = {p, s};
            sl_col **args = k == 3 || k == 1 ? args2 : args3;
            int na = k == 0 ? 3 : k == 2 ? 1 : 2;
            void *state = NULL;
            sl_col *out = NULL;
            sl_error err;
            sl_mem_fault_arm(at, 1);
            sl_status st = fn->eval(args, na, 300, k == 4 ? SL_TYPE_BOOLEAN : SL_TYPE_STRING,
                                    NULL, &state, &out, &err);
            sl_mem_fault_arm(0, 0);
            if (fn->free_state) fn->free_state(state);
            if (st == SL_OK) { n_ok++; sl_col_unref(out); }
            else if (st == SL_ERR_NOMEM) n_oom++;
            else other++;
        }
    }
    for (long at = 1; at < 8; at++) {
        sl_col *out = NULL;
        sl_error err;
        sl_mem_fault_arm(at, 1);
        sl_status a = sl_cast_col(d, SL_TYPE_STRING, &out, &err);
        sl_mem_fault_arm(0, 0);
        if (a == SL_OK) sl_col_unref(out);
        sl_mem_fault_arm(at, 1);
        sl_status b = sl_cast_col(s, SL_TYPE_INT, &out, &err);
        sl_mem_fault_arm(0, 0);
        if (b == SL_OK) sl_col_unref(out);
        CHECK((a == SL_OK || a == SL_ERR_NOMEM) && (b == SL_OK || b == SL_ERR_NOMEM));
    }
    CHECK_INT(other, 0);
    CHECK(n_oom > 0);
    CHECK(n_ok > 0);
    sl_col_unref(s);
    sl_col_unref(p);
    sl_col_unref(r);
    sl_col_unref(d);
}

TEST(func_case_mapping_unicode)
{
    /* Expected strings from Python's str.upper()/lower() (the same simple
     * mappings as Java's for these letters). */
    CHECK_STR(str0(call("upper", 1, A(S1("\xc3\xa0\xc3\xa9\xc3\xae\xc3\xb5\xc3\xbc\xc3\xbf\xc3\xa7\xc3\xb1\xc3\xa6\xc3\xb8\xc3\xa5\xc5\xa1\xc5\xbe\xc5\x82\xc5\x91\xc5\x99\xc4\x8d\xc4\x8f\xc4\x99\xc4\xa1\xc4\xa7\xc4\xb7\xc4\xbc\xc5\x86\xc5\x8b\xc5\x93\xc5\xa7\xc5\xad\xc5\xba\xce\xac\xce\xad\xce\xae\xce\xaf\xce\xb1\xce\xb2\xce\xb3\xce\xb4\xce\xb5\xce\xb6\xce\xb7\xce\xb8\xce\xb9\xce\xba\xce\xbb\xce\xbc\xce\xbd\xce\xbe\xce\xbf\xcf\x80\xcf\x81\xcf\x82\xcf\x83\xcf\x84\xcf\x85\xcf\x86\xcf\x87\xcf\x88\xcf\x89\xd0\xb0\xd0\xb1\xd0\xb2\xd0\xb3\xd0\xb4\xd0\xb5\xd0\xb6\xd0\xb7\xd0\xb8\xd0\xb9\xd0\xba\xd0\xbb\xd0\xbc\xd0\xbd\xd0\xbe\xd0\xbf\xd1\x80\xd1\x81\xd1\x82\xd1\x83\xd1\x84\xd1\x85\xd1\x86\xd1\x87\xd1\x88\xd1\x89\xd1\x8a\xd1\x8b\xd1\x8c\xd1\x8d\xd1\x8e\xd1\x8f\xd1\x91\xd1\x92\xd1\x93\xd1\x94\xd1\x95\xd1\x96\xd1\x97\xd1\x98\xd1\x99\xd1\x9a\xd1\x9b\xd1\x9c\xd1\x9e\xd1\x9f\x20\x61\x73\x63\x69\x69\x20\xc2\xb5")))),
              "\xc3\x80\xc3\x89\xc3\x8e\xc3\x95\xc3\x9c\xc5\xb8\xc3\x87\xc3\x91\xc3\x86\xc3\x98\xc3\x85\xc5\xa0\xc5\xbd\xc5\x81\xc5\x90\xc5\x98\xc4\x8c\xc4\x8e\xc4\x98\xc4\xa0\xc4\xa6\xc4\xb6\xc4\xbb\xc5\x85\xc5\x8a\xc5\x92\xc5\xa6\xc5\xac\xc5\xb9\xce\x86\xce\x88\xce\x89\xce\x8a\xce\x91\xce\x92\xce\x93\xce\x94\xce\x95\xce\x96\xce\x97\xce\x98\xce\x99\xce\x9a\xce\x9b\xce\x9c\xce\x9d\xce\x9e\xce\x9f\xce\xa0\xce\xa1\xce\xa3\xce\xa3\xce\xa4\xce\xa5\xce\xa6\xce\xa7\xce\xa8\xce\xa9\xd0\x90\xd0\x91\xd0\x92\xd0\x93\xd0\x94\xd0\x95\xd0\x96\xd0\x97\xd0\x98\xd0\x99\xd0\x9a\xd0\x9b\xd0\x9c\xd0\x9d\xd0\x9e\xd0\x9f\xd0\xa0\xd0\xa1\xd0\xa2\xd0\xa3\xd0\xa4\xd0\xa5\xd0\xa6\xd0\xa7\xd0\xa8\xd0\xa9\xd0\xaa\xd0\xab\xd0\xac\xd0\xad\xd0\xae\xd0\xaf\xd0\x81\xd0\x82\xd0\x83\xd0\x84\xd0\x85\xd0\x86\xd0\x87\xd0\x88\xd0\x89\xd0\x8a\xd0\x8b\xd0\x8c\xd0\x8e\xd0\x8f\x20\x41\x53\x43\x49\x49\x20\xce\x9c");
    CHECK_STR(str0(call("lower", 1, A(S1("\xc3\x80\xc3\x89\xc3\x8e\xc3\x95\xc3\x9c\xc5\xb8\xc3\x87\xc3\x91\xc3\x86\xc3\x98\xc3\x85\xc5\xa0\xc5\xbd\xc5\x81\xc5\x90\xc5\x98\xc4\x8c\xc4\x8e\xc4\x98\xc4\xa0\xc4\xa6\xc4\xb6\xc4\xbb\xc5\x85\xc5\x8a\xc5\x92\xc5\xa6\xc5\xac\xc5\xb9\xce\x86\xce\x88\xce\x89\xce\x8a\xce\x91\xce\x92\xce\x93\xce\x94\xce\x95\xce\x96\xce\x97\xce\x98\xce\x99\xce\x9a\xce\x9b\xce\x9c\xce\x9d\xce\x9e\xce\x9f\xce\xa0\xce\xa1\xce\xa3\xce\xa3\xce\xa4\xce\xa5\xce\xa6\xce\xa7\xce\xa8\xce\xa9\xd0\x90\xd0\x91\xd0\x92\xd0\x93\xd0\x94\xd0\x95\xd0\x96\xd0\x97\xd0\x98\xd0\x99\xd0\x9a\xd0\x9b\xd0\x9c\xd0\x9d\xd0\x9e\xd0\x9f\xd0\xa0\xd0\xa1\xd0\xa2\xd0\xa3\xd0\xa4\xd0\xa5\xd0\xa6\xd0\xa7\xd0\xa8\xd0\xa9\xd0\xaa\xd0\xab\xd0\xac\xd0\xad\xd0\xae\xd0\xaf\xd0\x81\xd0\x82\xd0\x83\xd0\x84\xd0\x85\xd0\x86\xd0\x87\xd0\x88\xd0\x89\xd0\x8a\xd0\x8b\xd0\x8c\xd0\x8e\xd0\x8f\x20\x41\x53\x43\x49\x49\x20\xce\x9c")))),
              "\xc3\xa0\xc3\xa9\xc3\xae\xc3\xb5\xc3\xbc\xc3\xbf\xc3\xa7\xc3\xb1\xc3\xa6\xc3\xb8\xc3\xa5\xc5\xa1\xc5\xbe\xc5\x82\xc5\x91\xc5\x99\xc4\x8d\xc4\x8f\xc4\x99\xc4\xa1\xc4\xa7\xc4\xb7\xc4\xbc\xc5\x86\xc5\x8b\xc5\x93\xc5\xa7\xc5\xad\xc5\xba\xce\xac\xce\xad\xce\xae\xce\xaf\xce\xb1\xce\xb2\xce\xb3\xce\xb4\xce\xb5\xce\xb6\xce\xb7\xce\xb8\xce\xb9\xce\xba\xce\xbb\xce\xbc\xce\xbd\xce\xbe\xce\xbf\xcf\x80\xcf\x81\xcf\x83\xcf\x83\xcf\x84\xcf\x85\xcf\x86\xcf\x87\xcf\x88\xcf\x89\xd0\xb0\xd0\xb1\xd0\xb2\xd0\xb3\xd0\xb4\xd0\xb5\xd0\xb6\xd0\xb7\xd0\xb8\xd0\xb9\xd0\xba\xd0\xbb\xd0\xbc\xd0\xbd\xd0\xbe\xd0\xbf\xd1\x80\xd1\x81\xd1\x82\xd1\x83\xd1\x84\xd1\x85\xd1\x86\xd1\x87\xd1\x88\xd1\x89\xd1\x8a\xd1\x8b\xd1\x8c\xd1\x8d\xd1\x8e\xd1\x8f\xd1\x91\xd1\x92\xd1\x93\xd1\x94\xd1\x95\xd1\x96\xd1\x97\xd1\x98\xd1\x99\xd1\x9a\xd1\x9b\xd1\x9c\xd1\x9e\xd1\x9f\x20\x61\x73\x63\x69\x69\x20\xce\xbc");
}
