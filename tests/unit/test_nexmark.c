/* The Nexmark generator: java.util.Random against Java's own output (values
 * printed by a JDK for these seeds), determinism per event id, the 1:3:46
 * mix, the standard average sizes, log-uniform prices, hot-key skew and
 * referential consistency (bids and auctions point at people and auctions
 * that exist or are about to). */
#include "test.h"
#include "io/nexmark_gen.h"

#include <math.h>
#include <stdlib.h>

typedef struct jcase {
    int64_t seed;
    int32_t bound;
    int32_t ints[5];
    int64_t next_long;
    double next_double;
} jcase;

/* java.util.Random(seed): five nextInt()/nextInt(bound), then nextLong(),
 * nextDouble(), as printed by OpenJDK 17. */
static const jcase java_random_cases[] = {
{42LL, 0, {-1170105035, 234785527, -1360544799, 205897768, 1325939940}, -1068554554583376509LL, 0.7077105889551186},
{42LL, 10, {0, 3, 8, 4, 0}, -1068554554583376509LL, 0.7077105889551186},
{42LL, 13, {0, 7, 9, 12, 0}, -1068554554583376509LL, 0.7077105889551186},
{42LL, 26, {0, 7, 22, 12, 0}, -1068554554583376509LL, 0.7077105889551186},
{42LL, 1000, {130, 763, 248, 884, 970}, -1068554554583376509LL, 0.7077105889551186},
{42LL, 16, {11, 0, 10, 0, 4}, -1068554554583376509LL, 0.7077105889551186},
{42LL, 10000, {1130, 2763, 1248, 8884, 9970}, -1068554554583376509LL, 0.7077105889551186},
{-7LL, 0, {1155869324, -423064701, -1403676116, -232591881, -2055186340}, 2701079913633722686LL, 0.31556721159435286},
{-7LL, 10, {2, 7, 0, 7, 8}, 2701079913633722686LL, 0.31556721159435286},
{-7LL, 13, {6, 7, 12, 3, 5}, 2701079913633722686LL, 0.31556721159435286},
{-7LL, 26, {6, 7, 12, 3, 18}, 2701079913633722686LL, 0.31556721159435286},
{-7LL, 1000, {662, 297, 590, 707, 478}, 2701079913633722686LL, 0.31556721159435286},
{-7LL, 16, {4, 14, 10, 15, 8}, 2701079913633722686LL, 0.31556721159435286},
{-7LL, 10000, {4662, 1297, 5590, 7707, 478}, 2701079913633722686LL, 0.31556721159435286},
{0LL, 0, {-1155484576, -723955400, 1033096058, -1690734402, -1557280266}, 5700976833288827063LL, 0.11700660880722513},
{0LL, 10, {0, 8, 9, 7, 5}, 5700976833288827063LL, 0.11700660880722513},
{0LL, 13, {5, 5, 10, 8, 0}, 5700976833288827063LL, 0.11700660880722513},
{0LL, 26, {18, 18, 23, 21, 13}, 5700976833288827063LL, 0.11700660880722513},
{0LL, 1000, {360, 948, 29, 447, 515}, 5700976833288827063LL, 0.11700660880722513},
{0LL, 16, {11, 13, 3, 9, 10}, 5700976833288827063LL, 0.11700660880722513},
{0LL, 10000, {1360, 5948, 8029, 6447, 3515}, 5700976833288827063LL, 0.11700660880722513},
{123456789012LL, 0, {59424925, 475103695, -2041770304, 1802127383, 1627699669}, 4575438820379692626LL, 0.7922000956450387},
{123456789012LL, 10, {2, 7, 6, 1, 4}, 4575438820379692626LL, 0.7922000956450387},
{123456789012LL, 13, {0, 0, 10, 8, 5}, 4575438820379692626LL, 0.7922000956450387},
{123456789012LL, 26, {0, 13, 10, 21, 18}, 4575438820379692626LL, 0.7922000956450387},
{123456789012LL, 1000, {462, 847, 496, 691, 834}, 4575438820379692626LL, 0.7922000956450387},
{123456789012LL, 16, {0, 1, 8, 6, 6}, 4575438820379692626LL, 0.7922000956450387},
{123456789012LL, 10000, {2462, 1847, 8496, 3691, 9834}, 4575438820379692626LL, 0.7922000956450387},
};

TEST(nexmark_java_random_matches_jdk)
{
    int n = (int)(sizeof java_random_cases / sizeof java_random_cases[0]);
    for (int k = 0; k < n; k++) {
        const jcase *c = &java_random_cases[k];
        int32_t ints[5];
        int64_t l;
        double d;
        sl_nexmark_jrand_draws(c->seed, c->bound, 5, ints, &l, &d);
        for (int i = 0; i < 5; i++) CHECK_INT(ints[i], c->ints[i]);
        CHECK_INT(l, c->next_long);
        CHECK(d == c->next_double);
    }
}

static int str_eq(sl_nexmark_str a, sl_nexmark_str b)
{
    return a.len == b.len && memcmp(a.p, b.p, (size_t)a.len) == 0;
}

static int event_eq(const sl_nexmark_event *a, const sl_nexmark_event *b)
{
    if (a->kind != b->kind || a->date_time_ms != b->date_time_ms) return 0;
    switch (a->kind) {
    case SL_NEXMARK_PERSON:
        return a->u.person.id == b->u.person.id && str_eq(a->u.person.name, b->u.person.name) &&
               str_eq(a->u.person.email, b->u.person.email) &&
               str_eq(a->u.person.credit_card, b->u.person.credit_card) &&
               str_eq(a->u.person.extra, b->u.person.extra);
    case SL_NEXMARK_AUCTION:
        return a->u.auction.id == b->u.auction.id && a->u.auction.seller == b->u.auction.seller &&
               a->u.auction.initial_bid == b->u.auction.initial_bid &&
               a->u.auction.expires_ms == b->u.auction.expires_ms &&
               str_eq(a->u.auction.description, b->u.auction.description) &&
               str_eq(a->u.auction.extra, b->u.auction.extra);
    default:
        return a->u.bid.auction == b->u.bid.auction && a->u.bid.bidder == b->u.bid.bidder &&
               a->u.bid.price == b->u.bid.price && str_eq(a->u.bid.url, b->u.bid.url) &&
               str_eq(a->u.bid.channel, b->u.bid.channel) && str_eq(a->u.bid.extra, b->u.bid.extra);
    }
}

TEST(nexmark_deterministic_per_event)
{
    sl_nexmark_config cfg;
    sl_nexmark_config_default(&cfg);
    sl_nexmark_event *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    REQUIRE(a && b);
    int bad = 0;
    /* Forward, then backward and strided: the same event either way. */
    for (int64_t i = 0; i < 2000; i++) {
        sl_nexmark_event_gen(&cfg, i, a);
        sl_nexmark_event_gen(&cfg, 1999 - i, b);
        sl_nexmark_event_gen(&cfg, 1999 - i, a);
        sl_nexmark_event_gen(&cfg, 1999 - i, b);
        if (!event_eq(a, b)) bad++;
    }
    sl_nexmark_event_gen(&cfg, 123456789, a);
    sl_nexmark_event_gen(&cfg, 123456788, b);
    sl_nexmark_event_gen(&cfg, 123456789, b);
    CHECK(event_eq(a, b));
    CHECK_INT(bad, 0);
    /* Different events differ. */
    sl_nexmark_event_gen(&cfg, 10, a);
    sl_nexmark_event_gen(&cfg, 11, b);
    CHECK(!event_eq(a, b));
    free(a);
    free(b);
}

TEST(nexmark_mix_sizes_prices_skew)
{
    sl_nexmark_config cfg;
    sl_nexmark_config_default(&cfg);
    sl_nexmark_event *ev = malloc(sizeof *ev);
    REQUIRE(ev);
    const int64_t N = 1000000;
    int64_t count[3] = {0, 0, 0};
    double size_sum[3] = {0, 0, 0};
    double log_price_sum = 0;
    int64_t n_prices = 0, cheap = 0, hot_auction = 0, hot_bidder = 0, hot_seller = 0;
    int64_t max_person = 999, max_auction = 999, bad_ref = 0, bad_time = 0, bad_field = 0;
    int64_t prev_time = 0;
    for (int64_t i = 0; i < N; i++) {
        sl_nexmark_event_gen(&cfg, i, ev);
        count[ev->kind]++;
        if (ev->date_time_ms < prev_time) bad_time++;
        prev_time = ev->date_time_ms;
        switch (ev->kind) {
        case SL_NEXMARK_PERSON:
            /* Flink's size model: 8 + the strings + extra. */
            size_sum[0] += 8 + ev->u.person.name.len + ev->u.person.email.len +
                           ev->u.person.credit_card.len + ev->u.person.city.len +
                           ev->u.person.state.len + ev->u.person.extra.len;
            if (ev->u.person.id != max_person + 1) bad_ref++;
            max_person = ev->u.person.id;
            if (ev->u.person.credit_card.len != 19) bad_field++;
            break;
        case SL_NEXMARK_AUCTION:
            size_sum[1] += 8 + ev->u.auction.item_name.len + ev->u.auction.description.len + 40 +
                           ev->u.auction.extra.len;
            if (ev->u.auction.id != max_auction + 1) bad_ref++;
            max_auction = ev->u.auction.id;
            if (ev->u.auction.seller > max_person + 10 || ev->u.auction.seller < 1000) bad_ref++;
            if ((ev->u.auction.seller - 1000) % 100 == 0) hot_seller++;
            if (ev->u.auction.reserve < ev->u.auction.initial_bid) bad_field++;
            if (ev->u.auction.expires_ms <= ev->date_time_ms) bad_field++;
            if (ev->u.auction.category < 10 || ev->u.auction.category > 14) bad_field++;
            break;
        default:
            size_sum[2] += 32 + ev->u.bid.extra.len;
            if (ev->u.bid.auction > max_auction + 10 || ev->u.bid.auction < 1000) bad_ref++;
            if (ev->u.bid.bidder > max_person + 10 || ev->u.bid.bidder < 1000) bad_ref++;
            if ((ev->u.bid.auction - 1000) % 100 == 0) hot_auction++;
            if ((ev->u.bid.bidder - 1000) % 100 == 1) hot_bidder++;
            if (ev->u.bid.price < 100 || ev->u.bid.price > 100000000) bad_field++;
            log_price_sum += log10((double)ev->u.bid.price / 100.0);
            n_prices++;
            if (ev->u.bid.price < 1000) cheap++;
            break;
        }
    }
    free(ev);
    CHECK_INT(count[0], N / 50);
    CHECK_INT(count[1], N / 50 * 3);
    CHECK_INT(count[2], N / 50 * 46);
    CHECK_INT(bad_ref, 0);
    CHECK_INT(bad_time, 0);
    CHECK_INT(bad_field, 0);
    /* 10000 events/s: event 1M is 100 s after the base time. */
    CHECK_INT(sl_nexmark_time_ms(&cfg, N) - SL_NEXMARK_BASE_TIME_MS, 100000);

    double avg_person = size_sum[0] / count[0], avg_auction = size_sum[1] / count[1],
           avg_bid = size_sum[2] / count[2];
    fprintf(stderr, "  (average sizes: person %.1f auction %.1f bid %.1f)\n", avg_person,
            avg_auction, avg_bid);
    CHECK(fabs(avg_person - 200) < 4);
    CHECK(fabs(avg_auction - 500) < 10);
    CHECK(fabs(avg_bid - 100) < 2);

    /* log10(price in dollars) is uniform on [0, 6): mean 3, and 1/6 of
     * prices are under $10. */
    double mean_log = log_price_sum / n_prices, frac_cheap = (double)cheap / n_prices;
    fprintf(stderr, "  (log10 price mean %.4f, under $10 %.4f)\n", mean_log, frac_cheap);
    CHECK(fabs(mean_log - 3.0) < 0.02);
    CHECK(fabs(frac_cheap - 1.0 / 6) < 0.005);

    /* Hot keys: half the bids go to the hot auction (a multiple of 100 from
     * the first id), 3/4 to the hot bidder and 3/4 of auctions to the hot
     * seller — against 1% for uniform picks. */
    double f_auc = (double)hot_auction / count[2], f_bidder = (double)hot_bidder / count[2],
           f_seller = (double)hot_seller / count[1];
    fprintf(stderr, "  (hot shares: auction %.3f bidder %.3f seller %.3f)\n", f_auc, f_bidder,
            f_seller);
    CHECK(f_auc > 0.48 && f_auc < 0.53);
    CHECK(f_bidder > 0.73 && f_bidder < 0.78);
    CHECK(f_seller > 0.73 && f_seller < 0.78);
}

/* ---- the fast generator against the reference transcription ------------ */

/* tests/unit/nexmark_reference.c: the generator as first transcribed. */
void nexmark_ref_event_gen(const sl_nexmark_config *cfg, int64_t i, sl_nexmark_event *ev);

/* Every field, strings included. */
static int event_same(const sl_nexmark_event *a, const sl_nexmark_event *b)
{
    if (a->kind != b->kind || a->date_time_ms != b->date_time_ms) return 0;
    switch (a->kind) {
    case SL_NEXMARK_PERSON:
        return a->u.person.id == b->u.person.id && str_eq(a->u.person.name, b->u.person.name) &&
               str_eq(a->u.person.email, b->u.person.email) &&
               str_eq(a->u.person.credit_card, b->u.person.credit_card) &&
               str_eq(a->u.person.city, b->u.person.city) &&
               str_eq(a->u.person.state, b->u.person.state) &&
               str_eq(a->u.person.extra, b->u.person.extra);
    case SL_NEXMARK_AUCTION:
        return a->u.auction.id == b->u.auction.id && a->u.auction.seller == b->u.auction.seller &&
               a->u.auction.initial_bid == b->u.auction.initial_bid &&
               a->u.auction.reserve == b->u.auction.reserve &&
               a->u.auction.category == b->u.auction.category &&
               a->u.auction.expires_ms == b->u.auction.expires_ms &&
               str_eq(a->u.auction.item_name, b->u.auction.item_name) &&
               str_eq(a->u.auction.description, b->u.auction.description) &&
               str_eq(a->u.auction.extra, b->u.auction.extra);
    default:
        return a->u.bid.auction == b->u.bid.auction && a->u.bid.bidder == b->u.bid.bidder &&
               a->u.bid.price == b->u.bid.price && str_eq(a->u.bid.url, b->u.bid.url) &&
               str_eq(a->u.bid.channel, b->u.bid.channel) && str_eq(a->u.bid.extra, b->u.bid.extra);
    }
}

/* Event ids from the start, at the first events of 1M, 1G and 2^40 (large
 * ids, hot keys far from the first), and under a second configuration
 * (another rate, proportions and sizes). */
static const int64_t ref_starts[] = {0, 1000000 - 7, 1000000000 + 3, (int64_t)1 << 40};

static void second_config(sl_nexmark_config *cfg)
{
    sl_nexmark_config_default(cfg);
    cfg->events_per_second = 2500;
    cfg->person_proportion = 2;
    cfg->auction_proportion = 5;
    cfg->bid_proportion = 13;
    cfg->avg_person_bytes = 300;
    cfg->avg_auction_bytes = 700;
    cfg->avg_bid_bytes = 150;
    cfg->hot_auction_ratio = 3;
    cfg->num_in_flight_auctions = 37;
}

TEST(nexmark_fast_matches_reference)
{
    sl_nexmark_event *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    REQUIRE(a && b);
    for (int conf = 0; conf < 2; conf++) {
        sl_nexmark_config cfg;
        if (conf) second_config(&cfg);
        else sl_nexmark_config_default(&cfg);
        int64_t bad = 0, first_bad = -1, n = 0;
        for (size_t s = 0; s < sizeof ref_starts / sizeof ref_starts[0]; s++)
            for (int64_t i = ref_starts[s]; i < ref_starts[s] + 50000; i++, n++) {
                sl_nexmark_event_gen(&cfg, i, a);
                nexmark_ref_event_gen(&cfg, i, b);
                if (!event_same(a, b) && bad++ == 0) first_bad = i;
            }
        if (bad) fprintf(stderr, "  config %d: %lld of %lld events differ, first %lld\n", conf,
                         (long long)bad, (long long)n, (long long)first_bad);
        CHECK_INT(bad, 0);
    }
    free(a);
    free(b);
}

/* One column of a batch built by sl_nexmark_append against the reference
 * event's field: returns 0 when row r equals it. */
static int row_differs(const sl_col *col, int r, const sl_nexmark_event *ev, int c)
{
    int64_t v = 0;
    sl_nexmark_str s = {NULL, -1};
    switch (ev->kind) {
    case SL_NEXMARK_PERSON: {
        const sl_nexmark_str f[] = {{0, 0}, ev->u.person.name, ev->u.person.email,
                                    ev->u.person.credit_card, ev->u.person.city,
                                    ev->u.person.state, {0, 0}, ev->u.person.extra};
        if (c == 0) v = ev->u.person.id;
        else if (c == 6) v = ev->date_time_ms * 1000;
        else s = f[c];
        break;
    }
    case SL_NEXMARK_AUCTION: {
        const int64_t iv[] = {ev->u.auction.id, 0, 0, ev->u.auction.initial_bid,
                              ev->u.auction.reserve, ev->date_time_ms * 1000,
                              ev->u.auction.expires_ms * 1000, ev->u.auction.seller,
                              ev->u.auction.category, 0};
        if (c == 1) s = ev->u.auction.item_name;
        else if (c == 2) s = ev->u.auction.description;
        else if (c == 9) s = ev->u.auction.extra;
        else v = iv[c];
        break;
    }
    default: {
        const int64_t iv[] = {ev->u.bid.auction, ev->u.bid.bidder, ev->u.bid.price, 0, 0,
                              ev->date_time_ms * 1000, 0};
        if (c == 3) s = ev->u.bid.channel;
        else if (c == 4) s = ev->u.bid.url;
        else if (c == 6) s = ev->u.bid.extra;
        else v = iv[c];
        break;
    }
    }
    if (sl_col_is_null(col, r)) return 1;
    if (s.len < 0) return sl_col_i64(col)[r] != v;
    size_t len;
    const char *p = sl_col_str(col, r, &len);
    return (int)len != s.len || memcmp(p, s.p, len) != 0;
}

/* sl_nexmark_append over ranges that start and end inside an epoch, with
 * every column, a subset in another order, a column twice, and onto columns
 * that already hold rows — row for row the reference's events. */
TEST(nexmark_append_matches_reference)
{
    sl_nexmark_event *ev = malloc(sizeof *ev);
    REQUIRE(ev);
    for (int conf = 0; conf < 2; conf++) {
        sl_nexmark_config cfg;
        if (conf) second_config(&cfg);
        else sl_nexmark_config_default(&cfg);
        for (int kind = 0; kind < 3; kind++) {
            int ncols = sl_nexmark_table_ncols((sl_nexmark_kind)kind);
            int all[10], subset[4] = {ncols - 1, 0, ncols - 1, 3};
            for (int c = 0; c < ncols; c++) all[c] = c;
            for (int shape = 0; shape < 2; shape++) {
                const int *proj = shape ? subset : all;
                int n_proj = shape ? 4 : ncols;
                int64_t from = (int64_t)1000000007 * (shape + 1) + 13, to = from + 23456;
                sl_batch *b = sl_batch_new(n_proj);
                REQUIRE(b);
                for (int j = 0; j < n_proj; j++)
                    REQUIRE((b->cols[j] = sl_col_new(sl_nexmark_col_type((sl_nexmark_kind)kind, proj[j]))));
                /* three appends: [from, m1), [m1, m1) (empty), [m1, to) */
                int64_t m1 = from + 9999;
                CHECK(sl_nexmark_append(&cfg, (sl_nexmark_kind)kind, from, m1, b, proj, n_proj) == 0);
                CHECK(sl_nexmark_append(&cfg, (sl_nexmark_kind)kind, m1, m1, b, proj, n_proj) == 0);
                CHECK(sl_nexmark_append(&cfg, (sl_nexmark_kind)kind, m1, to, b, proj, n_proj) == 0);
                REQUIRE(sl_batch_seal(b) == 0);
                int64_t r = 0, bad = 0;
                for (int64_t i = from; i < to; i++) {
                    if ((int)sl_nexmark_kind_of(&cfg, i) != kind) continue;
                    nexmark_ref_event_gen(&cfg, i, ev);
                    for (int j = 0; j < n_proj && r < b->n_rows; j++)
                        bad += row_differs(b->cols[j], (int)r, ev, proj[j]);
                    r++;
                }
                CHECK_INT(b->n_rows, r);
                if (bad) fprintf(stderr, "  config %d kind %d shape %d: %lld values differ\n", conf,
                                 kind, shape, (long long)bad);
                CHECK_INT(bad, 0);
                sl_batch_unref(b);
            }
        }
    }
    free(ev);
}

TEST(nexmark_columns)
{
    sl_nexmark_config cfg;
    sl_nexmark_config_default(&cfg);
    CHECK_INT(sl_nexmark_kind_parse("BID"), SL_NEXMARK_BID);
    CHECK_INT(sl_nexmark_kind_parse("nope"), -1);
    CHECK_STR(sl_nexmark_col_name(SL_NEXMARK_AUCTION, 1), "itemName");
    CHECK_STR(sl_nexmark_col_name(SL_NEXMARK_PERSON, 2), "emailAddress");
    CHECK(sl_nexmark_col_type(SL_NEXMARK_BID, 5) == SL_TYPE_TIMESTAMP);

    /* Bid columns (price, dateTime, auction) for events [0, 500). */
    sl_batch *b = sl_batch_new(3);
    REQUIRE(b);
    b->cols[0] = sl_col_new(SL_TYPE_BIGINT);
    b->cols[1] = sl_col_new(SL_TYPE_TIMESTAMP);
    b->cols[2] = sl_col_new(SL_TYPE_BIGINT);
    REQUIRE(b->cols[0] && b->cols[1] && b->cols[2]);
    int proj[3] = {2, 5, 0};
    CHECK(sl_nexmark_append(&cfg, SL_NEXMARK_BID, 0, 500, b, proj, 3) == 0);
    CHECK(sl_batch_seal(b) == 0);
    CHECK_INT(b->n_rows, 460);
    sl_nexmark_event ev;
    sl_nexmark_event_gen(&cfg, 4, &ev);   /* the first bid */
    CHECK_INT(sl_col_i64(b->cols[0])[0], ev.u.bid.price);
    CHECK_INT(sl_col_i64(b->cols[1])[0], ev.date_time_ms * 1000);
    CHECK_INT(sl_col_i64(b->cols[2])[0], ev.u.bid.auction);
    sl_batch_unref(b);
}

/* ---- the source --------------------------------------------------------- */

#include "io/connector.h"
#include "core/mem.h"

extern const sl_source_ops sl_nexmark_source_ops;

typedef struct collect {
    int64_t rows, batches, max_rows;
    int64_t price_sum, auction_sum;
} collect;

static sl_status collect_emit(void *ctx, sl_batch *b, sl_error *err)
{
    collect *c = ctx;
    c->rows += b->n_rows;
    c->batches++;
    if (b->n_rows > c->max_rows) c->max_rows = b->n_rows;
    for (int64_t i = 0; i < b->n_rows; i++) {
        c->price_sum += sl_col_i64(b->cols[0])[i];
        c->auction_sum += sl_col_i64(b->cols[2])[i];
    }
    return SL_OK;
}

/* A source struct as sl_source_new would build it, opened directly. */
static sl_source *open_src(const char *const *kv, int n_kv, const sl_schema *schema,
                           sl_error *err, sl_status *out_st)
{
    sl_source *src = calloc(1, sizeof *src);
    src->ops = &sl_nexmark_source_ops;
    src->schema = (sl_schema *)schema;
    for (int i = 0; i < n_kv; i += 2) sl_options_set(&src->opts, kv[i], kv[i + 1]);
    *out_st = src->ops->open(src, err);
    return src;
}

static void close_src(sl_source *src)
{
    src->ops->close(src);
    sl_options_fini(&src->opts);
    free(src);
}

TEST(nexmark_source_plan_read_replay)
{
    sl_error *err = sl_error_new();
    sl_schema *s = sl_schema_new(3);
    REQUIRE(err && s);
    sl_schema_set(s, 0, "PRICE", SL_TYPE_BIGINT);   /* names are case-insensitive */
    sl_schema_set(s, 1, "dateTime", SL_TYPE_TIMESTAMP);
    sl_schema_set(s, 2, "auction", SL_TYPE_BIGINT);
    const char *kv[] = {"table", "bid", "events", "100000", "maxEventsPerTrigger", "40000"};
    sl_status st;
    sl_source *src = open_src(kv, 6, s, err, &st);
    REQUIRE(st == SL_OK);

    /* Independent expectation: the generator event by event. */
    sl_nexmark_config cfg;
    sl_nexmark_config_default(&cfg);
    sl_nexmark_event ev;
    int64_t want_rows = 0, want_price = 0, want_auction = 0;
    for (int64_t i = 0; i < 100000; i++) {
        if (sl_nexmark_kind_of(&cfg, i) != SL_NEXMARK_BID) continue;
        sl_nexmark_event_gen(&cfg, i, &ev);
        want_rows++;
        want_price += ev.u.bid.price;
        want_auction += ev.u.bid.auction;
    }

    collect c = {0};
    char *start = NULL, *end = NULL;
    int n_batches = 0;
    char *second_start = NULL, *second_end = NULL;
    while (!src->ops->exhausted(src)) {
        REQUIRE(src->ops->plan(src, start, &end, err) == SL_OK);
        if (!end) break;
        if (n_batches == 1) {
            second_start = sl_strdup(start);
            second_end = sl_strdup(end);
        }
        REQUIRE(src->ops->read(src, start, end, collect_emit, &c, err) == SL_OK);
        sl_free(start);
        start = end;
        end = NULL;
        n_batches++;
    }
    CHECK_STR(start, "{\"event\":100000}");
    CHECK_INT(n_batches, 3);   /* 40000 + 40000 + 20000 events */
    CHECK_INT(c.rows, want_rows);
    CHECK_INT(c.price_sum, want_price);
    CHECK_INT(c.auction_sum, want_auction);
    CHECK(c.max_rows <= SL_BATCH_ROWS);
    /* Nothing after the end. */
    CHECK(src->ops->plan(src, start, &end, err) == SL_OK && end == NULL);
    CHECK(src->ops->exhausted(src));

    /* Replaying batch 2 gives the same rows again. */
    collect r1 = {0}, r2 = {0};
    REQUIRE(second_start && second_end);
    CHECK(src->ops->read(src, second_start, second_end, collect_emit, &r1, err) == SL_OK);
    CHECK(src->ops->read(src, second_start, second_end, collect_emit, &r2, err) == SL_OK);
    CHECK_INT(r1.rows, 36800);
    CHECK_INT(r1.price_sum, r2.price_sum);
    sl_free(second_start);
    sl_free(second_end);
    sl_free(start);
    close_src(src);

    /* Bad options and columns are configuration errors that say why. */
    const char *bad_table[] = {"table", "bids"};
    src = open_src(bad_table, 2, s, err, &st);
    CHECK(st == SL_ERR_CONFIG && strstr(sl_error_message(err), "table"));
    close_src(src);
    sl_schema_set(s, 2, "seller", SL_TYPE_BIGINT);
    src = open_src(kv, 6, s, err, &st);
    CHECK(st == SL_ERR_CONFIG && strstr(sl_error_message(err), "seller"));
    close_src(src);
    sl_schema_set(s, 2, "auction", SL_TYPE_INT);
    src = open_src(kv, 6, s, err, &st);
    CHECK(st == SL_ERR_CONFIG && strstr(sl_error_message(err), "declared as"));
    close_src(src);

    /* Unbounded: never exhausted, always a next batch. */
    sl_schema_set(s, 2, "auction", SL_TYPE_BIGINT);
    const char *unb[] = {"table", "auction", "maxEventsPerTrigger", "1000"};
    sl_schema *sa = sl_schema_new(1);
    sl_schema_set(sa, 0, "id", SL_TYPE_BIGINT);
    src = open_src(unb, 4, sa, err, &st);
    REQUIRE(st == SL_OK);
    CHECK(src->ops->plan(src, "{\"event\":5000000000}", &end, err) == SL_OK);
    CHECK_STR(end, "{\"event\":5000001000}");
    CHECK(!src->ops->exhausted(src));
    sl_free(end);
    close_src(src);
    sl_schema_free(sa);
    sl_schema_free(s);
    sl_error_free(err);
}

/* The source builds each chunk in the previous chunk's batch when nothing
 * downstream kept it.  A consumer that keeps whole batches, or only one
 * column of each, must still find them as they were emitted. */
typedef struct keeper {
    int keep_batch;          /* 1: keep the batch; 0: keep only column 1 */
    int n;
    sl_batch *batches[64];
    sl_col *cols[64];
    uint64_t sums[64];       /* checksum of what was kept, at emit time */
} keeper;

static uint64_t col_sum(const sl_col *c)
{
    uint64_t h = 1469598103934665603ULL;
    for (int64_t i = 0; i < c->len; i++) {
        if (c->type == SL_TYPE_STRING) {
            size_t len;
            const char *p = sl_col_str(c, i, &len);
            for (size_t k = 0; k < len; k++) h = (h ^ (unsigned char)p[k]) * 1099511628211ULL;
            h = (h ^ 0xff) * 1099511628211ULL;
        } else {
            h = (h ^ (uint64_t)sl_col_i64(c)[i]) * 1099511628211ULL;
        }
    }
    return h;
}

static sl_status keeper_emit(void *ctx, sl_batch *b, sl_error *err)
{
    keeper *k = ctx;
    if (k->n == 64) return SL_OK;
    if (k->keep_batch) {
        k->batches[k->n] = sl_batch_ref(b);
        k->sums[k->n] = col_sum(b->cols[0]) ^ col_sum(b->cols[1]) ^ col_sum(b->cols[2]);
    } else {
        k->cols[k->n] = sl_col_ref(b->cols[1]);
        k->sums[k->n] = col_sum(b->cols[1]);
    }
    k->n++;
    return SL_OK;
}

TEST(nexmark_source_kept_batches_intact)
{
    sl_error *err = sl_error_new();
    sl_schema *s = sl_schema_new(3);
    REQUIRE(err && s);
    sl_schema_set(s, 0, "price", SL_TYPE_BIGINT);
    sl_schema_set(s, 1, "url", SL_TYPE_STRING);
    sl_schema_set(s, 2, "extra", SL_TYPE_STRING);
    const char *kv[] = {"table", "bid", "events", "60000", "maxEventsPerTrigger", "60000"};
    for (int mode = 0; mode < 2; mode++) {
        sl_status st;
        sl_source *src = open_src(kv, 6, s, err, &st);
        REQUIRE(st == SL_OK);
        keeper k = {.keep_batch = !mode};
        REQUIRE(src->ops->read(src, NULL, "{\"event\":60000}", keeper_emit, &k, err) == SL_OK);
        /* a second read reuses whatever the source kept as its spare */
        REQUIRE(src->ops->read(src, "{\"event\":0}", "{\"event\":30000}", keeper_emit, &k, err) == SL_OK);
        CHECK(k.n >= 5);
        int changed = 0;
        for (int i = 0; i < k.n; i++) {
            uint64_t now = mode ? col_sum(k.cols[i])
                                : col_sum(k.batches[i]->cols[0]) ^ col_sum(k.batches[i]->cols[1]) ^
                                      col_sum(k.batches[i]->cols[2]);
            changed += now != k.sums[i];
            if (mode) sl_col_unref(k.cols[i]);
            else sl_batch_unref(k.batches[i]);
        }
        CHECK_INT(changed, 0);
        close_src(src);
    }
    sl_schema_free(s);
    sl_error_free(err);
}
