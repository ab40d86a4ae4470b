/* The Nexmark event generator: the standard streaming benchmark's auction
 * site (people register, open auctions, bid), as the Flink nexmark
 * repository's NexmarkGenerator / GeneratorConfig and Apache Beam's define it.
 *
 * Event i (0-based) is a function of i alone: its kind is i mod 50 (0 →
 * person, 1..3 → auction, 4..49 → bid: proportions 1 : 3 : 46), its event
 * time is base_time + i / rate, and its fields are drawn from a
 * java.util.Random seeded with i, as Beam seeds per event id.  So any range
 * of events can be produced in any order, on any thread, and a replayed
 * micro-batch yields the same rows.  Ids and references follow the
 * reference: person ids and auction ids count up from 1000 in event order;
 * a bid goes to a "hot" auction (the first of the last 100) with probability
 * 1/2 and to a random in-flight auction otherwise, and is placed by a hot
 * bidder with probability 3/4; sellers likewise; prices are log-uniform
 * 10^U(0,6) cents; every event carries an `extra` string padding it to the
 * standard average sizes (person 200, auction 500, bid 100 bytes).
 *
 * Deviations from Flink's generator, all for reproducibility or joins:
 * Flink draws from an unseeded Random (so its runs differ); Flink builds
 * channel URLs from unseeded Randoms (here seeded by channel number); one
 * Flink version adds FIRST_PERSON_ID to the bidder twice (here once, so
 * bidders join persons); the base time defaults to Beam's fixed
 * 2015-07-15T00:00:00Z instead of the wall clock. */
#ifndef SL_IO_NEXMARK_GEN_H
#define SL_IO_NEXMARK_GEN_H

#include "core/column.h"

#include <stdint.h>

typedef enum sl_nexmark_kind {
    SL_NEXMARK_PERSON = 0,
    SL_NEXMARK_AUCTION = 1,
    SL_NEXMARK_BID = 2
} sl_nexmark_kind;

typedef struct sl_nexmark_config {
    double events_per_second;  /* event-time rate (Flink firstEventRate: 10000) */
    int64_t base_time_ms;      /* event time of event 0 (ms since the epoch) */
    int person_proportion, auction_proportion, bid_proportion;  /* 1, 3, 46 */
    int avg_person_bytes, avg_auction_bytes, avg_bid_bytes;     /* 200, 500, 100 */
    int hot_auction_ratio, hot_sellers_ratio, hot_bidders_ratio; /* 2, 4, 4 */
    int num_active_people;     /* 1000 */
    int num_in_flight_auctions; /* 100 */
} sl_nexmark_config;

/* Beam's fixed base time, 2015-07-15T00:00:00Z. */
#define SL_NEXMARK_BASE_TIME_MS 1436918400000LL

/* Fills the reference defaults. */
void sl_nexmark_config_default(sl_nexmark_config *cfg);

/* One event.  String fields point into the event's own buffer and live until
 * the next sl_nexmark_event call with the same struct. */
typedef struct sl_nexmark_str {
    const char *p;
    int len;
} sl_nexmark_str;

/* The strings of one event take at most SL_NEXMARK_BUF bytes (about 720
 * with the standard sizes); the generator may store up to SL_NEXMARK_SLACK
 * bytes past what it keeps. */
#define SL_NEXMARK_BUF 1024
#define SL_NEXMARK_SLACK 64

typedef struct sl_nexmark_event {
    sl_nexmark_kind kind;
    int64_t date_time_ms;
    union {
        struct {
            int64_t id;
            sl_nexmark_str name, email, credit_card, city, state, extra;
        } person;
        struct {
            int64_t id, initial_bid, reserve, expires_ms, seller, category;
            sl_nexmark_str item_name, description, extra;
        } auction;
        struct {
            int64_t auction, bidder, price;
            sl_nexmark_str channel, url, extra;
        } bid;
    } u;
    char buf[SL_NEXMARK_BUF + SL_NEXMARK_SLACK];  /* backing store of the strings */
} sl_nexmark_event;

/* The kind of event i without generating it. */
sl_nexmark_kind sl_nexmark_kind_of(const sl_nexmark_config *cfg, int64_t i);
/* Event time of event i, in ms. */
int64_t sl_nexmark_time_ms(const sl_nexmark_config *cfg, int64_t i);
/* Generates event i into *ev (deterministic in cfg and i). */
void sl_nexmark_event_gen(const sl_nexmark_config *cfg, int64_t i, sl_nexmark_event *ev);

/* ---- columnar output ---------------------------------------------------- */

/* The columns of each table, named as Flink nexmark's DDL (person: id, name,
 * emailAddress, creditCard, city, state, dateTime, extra; auction: id,
 * itemName, description, initialBid, reserve, dateTime, expires, seller,
 * category, extra; bid: auction, bidder, price, channel, url, dateTime,
 * extra).  Timestamps are TIMESTAMP (µs). */
int sl_nexmark_table_ncols(sl_nexmark_kind kind);
const char *sl_nexmark_col_name(sl_nexmark_kind kind, int c);
sl_type sl_nexmark_col_type(sl_nexmark_kind kind, int c);
/* Parses "person" | "auction" | "bid" (case-insensitive); -1 if neither. */
int sl_nexmark_kind_parse(const char *name);

/* Appends the events of `kind` among event indexes [from, to) to a batch
 * whose columns are builder columns; proj[j] is the table column that batch
 * column j holds (sl_nexmark_col_name index), for j < n_proj.  Returns 0, or
 * -1 on OOM. */
int sl_nexmark_append(const sl_nexmark_config *cfg, sl_nexmark_kind kind,
                      int64_t from, int64_t to, sl_batch *b, const int *proj, int n_proj);

/* java.util.Random, exposed so the tests can hold it to Java's own output:
 * writes n draws from Random(seed) — nextInt() when bound == 0, else
 * nextInt(bound) — then one nextLong() and one nextDouble(). */
void sl_nexmark_jrand_draws(int64_t seed, int32_t bound, int n, int32_t *out_ints,
                            int64_t *out_long, double *out_double);

#endif
