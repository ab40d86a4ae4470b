#include "io/nexmark_gen.h"

/* The Nexmark generator as first written: a line-by-line transcription of
 * Flink nexmark's generator classes (java.util.Random call for call), kept
 * unoptimised as the reference the fast generator in src/io/nexmark_gen.c
 * must match byte for byte (test_nexmark: nexmark_fast_matches_reference,
 * nexmark_append_matches_reference).  Change it only together with a
 * deliberate change of the generator's output. */
void nexmark_ref_event_gen(const sl_nexmark_config *cfg, int64_t i, sl_nexmark_event *ev);


#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FIRST_AUCTION_ID 1000
#define FIRST_PERSON_ID 1000
#define FIRST_CATEGORY_ID 10
#define PERSON_ID_LEAD 10
#define AUCTION_ID_LEAD 10
#define NUM_CATEGORIES 5
#define HOT_SELLER_RATIO 100
#define HOT_AUCTION_RATIO 100
#define HOT_BIDDER_RATIO 100
#define HOT_CHANNELS_RATIO 2
#define CHANNELS_NUMBER 10000

/* ---- java.util.Random ------------------------------------------------------ */

typedef struct jrand {
    uint64_t seed;
} jrand;

#define JR_MULT 0x5DEECE66DULL
#define JR_MASK ((1ULL << 48) - 1)

static void jr_seed(jrand *r, int64_t s) { r->seed = ((uint64_t)s ^ JR_MULT) & JR_MASK; }

static int32_t jr_next(jrand *r, int bits)
{
    r->seed = (r->seed * JR_MULT + 0xBULL) & JR_MASK;
    return (int32_t)(uint32_t)(r->seed >> (48 - bits));
}

static int32_t jr_int(jrand *r) { return jr_next(r, 32); }

/* nextInt(bound), bound > 0: the rejection loop avoids modulo bias. */
static int32_t jr_int_bound(jrand *r, int32_t bound)
{
    if ((bound & -bound) == bound) return (int32_t)(((int64_t)bound * jr_next(r, 31)) >> 31);
    int32_t bits, val;
    do {
        bits = jr_next(r, 31);
        val = bits % bound;
    } while ((int32_t)((uint32_t)bits - (uint32_t)val + (uint32_t)(bound - 1)) < 0);
    return val;
}

static int64_t jr_long(jrand *r)
{
    uint64_t hi = (uint64_t)(int64_t)jr_next(r, 32);
    return (int64_t)((hi << 32) + (uint64_t)(int64_t)jr_next(r, 32));
}

static double jr_double(jrand *r)
{
    int64_t a = jr_next(r, 26), b = jr_next(r, 27);
    return (double)((a << 27) + b) * 0x1.0p-53;
}

/* LongGenerator.nextLong: [0, n). */
static int64_t next_long(jrand *r, int64_t n)
{
    if (n < 2147483647LL) return jr_int_bound(r, (int32_t)n);
    int64_t v = jr_long(r) % n;
    return v < 0 ? -v : v;
}

/* Java's Math.round for the values used here (non-negative). */
static int64_t jround(double v) { return (int64_t)floor(v + 0.5); }

/* PriceGenerator: log-uniform over [1, 10^6) dollars, in cents. */
static int64_t next_price(jrand *r) { return jround(pow(10.0, jr_double(r) * 6.0) * 100.0); }

/* ---- strings ------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    int used, cap;
} sbuf;

static sl_nexmark_str sb_put(sbuf *sb, const char *s, int n)
{
    if (n > sb->cap - sb->used) n = sb->cap - sb->used;   /* cannot happen: sized */
    char *d = sb->p + sb->used;
    memcpy(d, s, (size_t)n);
    sb->used += n;
    return (sl_nexmark_str){d, n};
}

/* StringsGenerator.nextString: 3..max-1 characters, each a space (or
 * `special`) with probability 1/13, else a lower-case letter; then Java's
 * trim(), which only strips characters <= ' '. */
static sl_nexmark_str next_string(jrand *r, sbuf *sb, int max_len, char special)
{
    int len = 3 + jr_int_bound(r, max_len - 3);
    char tmp[128];
    for (int i = 0; i < len; i++)
        tmp[i] = jr_int_bound(r, 13) == 0 ? special : (char)('a' + jr_int_bound(r, 26));
    int lo = 0, hi = len;
    while (lo < hi && (unsigned char)tmp[lo] <= ' ') lo++;
    while (hi > lo && (unsigned char)tmp[hi - 1] <= ' ') hi--;
    return sb_put(sb, tmp + lo, hi - lo);
}

/* StringsGenerator.nextExactString.  Java's % keeps the dividend's sign, so
 * a negative draw yields characters below 'a' ('H'..'`'), as the reference's
 * do; C's % behaves the same. */
static sl_nexmark_str next_exact_string(jrand *r, sbuf *sb, int length)
{
    char *d = sb->p + sb->used;
    if (length > sb->cap - sb->used) length = sb->cap - sb->used;
    int32_t rnd = 0;
    int n = 0;
    for (int i = 0; i < length; i++) {
        if (n == 0) {
            rnd = jr_int(r);
            n = 6;
        }
        d[i] = (char)('a' + rnd % 26);
        rnd /= 26;
        n--;
    }
    sb->used += length;
    return (sl_nexmark_str){d, length};
}

/* StringsGenerator.nextExtra: pads current_size to desired on average
 * (uniform in [0.8, 1.2) of the remainder). */
static sl_nexmark_str next_extra(jrand *r, sbuf *sb, int current_size, int desired)
{
    if (current_size > desired) return (sl_nexmark_str){sb->p + sb->used, 0};
    desired -= current_size;
    int delta = (int)jround(desired * 0.2);
    int min_size = desired - delta;
    int size = min_size + (delta == 0 ? 0 : jr_int_bound(r, 2 * delta));
    return next_exact_string(r, sb, size);
}

/* ---- ids ---------------------------------------------------------------- */

static int total_prop(const sl_nexmark_config *cfg)
{
    return cfg->person_proportion + cfg->auction_proportion + cfg->bid_proportion;
}

static int64_t last_base0_person_id(const sl_nexmark_config *cfg, int64_t event_id)
{
    int64_t epoch = event_id / total_prop(cfg), offset = event_id % total_prop(cfg);
    if (offset >= cfg->person_proportion) offset = cfg->person_proportion - 1;
    return epoch * cfg->person_proportion + offset;
}

static int64_t last_base0_auction_id(const sl_nexmark_config *cfg, int64_t event_id)
{
    int64_t epoch = event_id / total_prop(cfg), offset = event_id % total_prop(cfg);
    if (offset < cfg->person_proportion) {
        epoch--;
        offset = cfg->auction_proportion - 1;
    } else if (offset >= cfg->person_proportion + cfg->auction_proportion) {
        offset = cfg->auction_proportion - 1;
    } else {
        offset -= cfg->person_proportion;
    }
    return epoch * cfg->auction_proportion + offset;
}

static int64_t next_base0_person_id(const sl_nexmark_config *cfg, jrand *r, int64_t event_id)
{
    int64_t num_people = last_base0_person_id(cfg, event_id) + 1;
    int64_t active = num_people < cfg->num_active_people ? num_people : cfg->num_active_people;
    int64_t n = next_long(r, active + PERSON_ID_LEAD);
    return num_people - active + n;
}

static int64_t next_base0_auction_id(const sl_nexmark_config *cfg, jrand *r, int64_t event_id)
{
    int64_t max_auction = last_base0_auction_id(cfg, event_id);
    int64_t min_auction = max_auction - cfg->num_in_flight_auctions;
    if (min_auction < 0) min_auction = 0;
    return min_auction + next_long(r, max_auction - min_auction + 1 + AUCTION_ID_LEAD);
}

/* ---- events ------------------------------------------------------------- */

static const char *const us_states[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
static const char *const us_cities[] = {"Phoenix", "Los Angeles", "San Francisco", "Boise",
                                        "Portland", "Bend", "Redmond", "Seattle", "Kent",
                                        "Cheyenne"};
static const char *const first_names[] = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky",
                                          "Kate", "Julie", "Sarah", "Deiter", "Walter"};
static const char *const last_names[] = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                         "Walton", "Smith", "Jones", "Noris"};
static const char *const hot_channels[] = {"Google", "Facebook", "Baidu", "Apple"};

static sl_nexmark_kind ref_kind_of(const sl_nexmark_config *cfg, int64_t i)
{
    int64_t rem = i % total_prop(cfg);
    if (rem < cfg->person_proportion) return SL_NEXMARK_PERSON;
    if (rem < cfg->person_proportion + cfg->auction_proportion) return SL_NEXMARK_AUCTION;
    return SL_NEXMARK_BID;
}

/* GeneratorConfig.timestampForEvent with one generator, no out-of-order
 * groups: base + floor(i * interEventDelayUs) / 1000. */
static int64_t ref_time_ms(const sl_nexmark_config *cfg, int64_t i)
{
    double delay_us = 1000000.0 / cfg->events_per_second;
    return cfg->base_time_ms + (int64_t)((double)i * delay_us) / 1000;
}

static void gen_person(const sl_nexmark_config *cfg, int64_t id, jrand *r, sbuf *sb,
                       sl_nexmark_event *ev)
{
    ev->u.person.id = last_base0_person_id(cfg, id) + FIRST_PERSON_ID;
    char tmp[64];
    const char *fn = first_names[jr_int_bound(r, 11)];
    const char *ln = last_names[jr_int_bound(r, 9)];
    int n = snprintf(tmp, sizeof tmp, "%s %s", fn, ln);
    ev->u.person.name = sb_put(sb, tmp, n);
    /* email: nextString(7) "@" nextString(5) ".com", built in place */
    int start = sb->used;
    next_string(r, sb, 7, ' ');
    sb_put(sb, "@", 1);
    next_string(r, sb, 5, ' ');
    sb_put(sb, ".com", 4);
    ev->u.person.email = (sl_nexmark_str){sb->p + start, sb->used - start};
    n = 0;
    for (int k = 0; k < 4; k++)
        n += snprintf(tmp + n, sizeof tmp - (size_t)n, k ? " %04d" : "%04d", jr_int_bound(r, 10000));
    ev->u.person.credit_card = sb_put(sb, tmp, n);
    const char *city = us_cities[jr_int_bound(r, 10)];
    ev->u.person.city = sb_put(sb, city, (int)strlen(city));
    const char *state = us_states[jr_int_bound(r, 6)];
    ev->u.person.state = sb_put(sb, state, (int)strlen(state));
    int cur = 8 + ev->u.person.name.len + ev->u.person.email.len + ev->u.person.credit_card.len +
              ev->u.person.city.len + ev->u.person.state.len;
    ev->u.person.extra = next_extra(r, sb, cur, cfg->avg_person_bytes);
}

static void gen_auction(const sl_nexmark_config *cfg, int64_t id, jrand *r, sbuf *sb,
                        sl_nexmark_event *ev)
{
    ev->u.auction.id = last_base0_auction_id(cfg, id) + FIRST_AUCTION_ID;
    int64_t seller;
    if (jr_int_bound(r, cfg->hot_sellers_ratio) > 0)
        seller = (last_base0_person_id(cfg, id) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO;
    else
        seller = next_base0_person_id(cfg, r, id);
    ev->u.auction.category = FIRST_CATEGORY_ID + jr_int_bound(r, NUM_CATEGORIES);
    ev->u.auction.seller = seller + FIRST_PERSON_ID;
    ev->u.auction.initial_bid = next_price(r);
    /* nextAuctionLengthMs: uniform in [1, 2 * horizon], the horizon being
     * the time until numInFlightAuctions more auctions have been created. */
    int64_t n_events_for_auctions =
        ((int64_t)cfg->num_in_flight_auctions * total_prop(cfg)) / cfg->auction_proportion;
    int64_t horizon = ref_time_ms(cfg, id + n_events_for_auctions) - ev->date_time_ms;
    int64_t span = horizon * 2 > 1 ? horizon * 2 : 1;
    ev->u.auction.expires_ms = ev->date_time_ms + 1 + next_long(r, span);
    ev->u.auction.item_name = next_string(r, sb, 20, ' ');
    ev->u.auction.description = next_string(r, sb, 100, ' ');
    ev->u.auction.reserve = ev->u.auction.initial_bid + next_price(r);
    int cur = 8 + ev->u.auction.item_name.len + ev->u.auction.description.len + 8 + 8 + 8 + 8 + 8;
    ev->u.auction.extra = next_extra(r, sb, cur, cfg->avg_auction_bytes);
}

/* BidGenerator.getBaseUrl, drawn from a Random seeded by `seed` (the
 * reference uses unseeded ones; see the header). */
static sl_nexmark_str base_url(int64_t seed, int channel_number, sbuf *sb)
{
    jrand r;
    jr_seed(&r, seed);
    int start = sb->used;
    sb_put(sb, "https://www.nexmark.com/", 24);
    for (int k = 0; k < 3; k++) {
        next_string(&r, sb, 5, '_');
        sb_put(sb, "/", 1);
    }
    sb_put(sb, "item.htm?query=1", 16);
    if (channel_number >= 0 && jr_int_bound(&r, 10) > 0) {
        /* Math.abs(Integer.reverse(channelNumber)) */
        uint32_t v = (uint32_t)channel_number, rev = 0;
        for (int b = 0; b < 32; b++) rev |= ((v >> b) & 1u) << (31 - b);
        int64_t a = (int32_t)rev;
        if (a < 0) a = -a;
        if (a > 2147483647LL) a = -2147483648LL;   /* abs(MIN_VALUE) stays negative */
        char tmp[40];
        int n = snprintf(tmp, sizeof tmp, "&channel_id=%lld", (long long)a);
        sb_put(sb, tmp, n);
    }
    return (sl_nexmark_str){sb->p + start, sb->used - start};
}

static void gen_bid(const sl_nexmark_config *cfg, int64_t id, jrand *r, sbuf *sb,
                    sl_nexmark_event *ev)
{
    int64_t auction, bidder;
    if (jr_int_bound(r, cfg->hot_auction_ratio) > 0)
        auction = (last_base0_auction_id(cfg, id) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO;
    else
        auction = next_base0_auction_id(cfg, r, id);
    ev->u.bid.auction = auction + FIRST_AUCTION_ID;
    if (jr_int_bound(r, cfg->hot_bidders_ratio) > 0)
        bidder = (last_base0_person_id(cfg, id) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1;
    else
        bidder = next_base0_person_id(cfg, r, id);
    ev->u.bid.bidder = bidder + FIRST_PERSON_ID;
    ev->u.bid.price = next_price(r);
    if (jr_int_bound(r, HOT_CHANNELS_RATIO) > 0) {
        int k = jr_int_bound(r, 4);
        ev->u.bid.channel = sb_put(sb, hot_channels[k], (int)strlen(hot_channels[k]));
        ev->u.bid.url = base_url(-1 - k, -1, sb);
    } else {
        int ch = jr_int_bound(r, CHANNELS_NUMBER);
        char tmp[32];
        int n = snprintf(tmp, sizeof tmp, "channel-%d", ch);
        ev->u.bid.channel = sb_put(sb, tmp, n);
        ev->u.bid.url = base_url(ch, ch, sb);
    }
    ev->u.bid.extra = next_extra(r, sb, 8 + 8 + 8 + 8, cfg->avg_bid_bytes);
}

void nexmark_ref_event_gen(const sl_nexmark_config *cfg, int64_t i, sl_nexmark_event *ev)
{
    jrand r;
    jr_seed(&r, i);
    sbuf sb = {ev->buf, 0, SL_NEXMARK_BUF};
    ev->kind = ref_kind_of(cfg, i);
    ev->date_time_ms = ref_time_ms(cfg, i);
    switch (ev->kind) {
    case SL_NEXMARK_PERSON: gen_person(cfg, i, &r, &sb, ev); break;
    case SL_NEXMARK_AUCTION: gen_auction(cfg, i, &r, &sb, ev); break;
    case SL_NEXMARK_BID: gen_bid(cfg, i, &r, &sb, ev); break;
    }
}
