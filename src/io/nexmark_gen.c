/* The Nexmark generator (see nexmark_gen.h for the model and the deviations
 * from the reference).  The draws follow Flink nexmark's generator classes
 * call for call — the same java.util.Random calls in the same order — so the
 * distributions are the reference's; java.util.Random itself is reproduced
 * (48-bit LCG) so that the sequence per event id is Beam's.
 *
 * Speed (the benchmark's q0–q2 are mostly the generator): the output is the
 * straightforward transcription's, byte for byte (tests/unit/
 * nexmark_reference.c keeps that transcription and test_nexmark compares the
 * two), but
 *   - the `extra` padding turns each 32-bit draw into its six characters
 *     with three lookups in a table of character pairs (rnd % 676) instead
 *     of six divisions;
 *   - a bid's channel name and URL come from a table built once for the
 *     10000 channels and the 4 hot ones (the URL's Random is seeded by the
 *     channel alone, so it is a function of the channel);
 *   - names, credit-card digits and the fixed URL parts are copied, not
 *     formatted with snprintf;
 *   - strings a caller does not want (columns not declared) are not built,
 *     though their draws are still made so later fields are unchanged;
 *   - sl_nexmark_append walks only the events of the wanted kind, reserves
 *     every column for the chunk up front and writes into it directly. */
#include "io/nexmark_gen.h"

#include <math.h>
#include <pthread.h>
#include <stddef.h>
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
#define N_HOT_CHANNELS 4

/* ---- java.util.Random ------------------------------------------------------ */

typedef struct jrand {
    uint64_t seed;
} jrand;

#define JR_MULT 0x5DEECE66DULL
#define JR_MASK ((1ULL << 48) - 1)

static inline void jr_seed(jrand *r, int64_t s) { r->seed = ((uint64_t)s ^ JR_MULT) & JR_MASK; }

static inline int32_t jr_next(jrand *r, int bits)
{
    r->seed = (r->seed * JR_MULT + 0xBULL) & JR_MASK;
    return (int32_t)(uint32_t)(r->seed >> (48 - bits));
}

static inline int32_t jr_int(jrand *r) { return jr_next(r, 32); }

/* nextInt(bound), bound > 0: the rejection loop avoids modulo bias.  Inline,
 * so that a constant bound's % becomes a multiplication. */
static inline int32_t jr_int_bound(jrand *r, int32_t bound)
{
    if ((bound & -bound) == bound) return (int32_t)(((int64_t)bound * jr_next(r, 31)) >> 31);
    int32_t bits, val;
    do {
        bits = jr_next(r, 31);
        val = bits % bound;
    } while ((int32_t)((uint32_t)bits - (uint32_t)val + (uint32_t)(bound - 1)) < 0);
    return val;
}

static inline int64_t jr_long(jrand *r)
{
    uint64_t hi = (uint64_t)(int64_t)jr_next(r, 32);
    return (int64_t)((hi << 32) + (uint64_t)(int64_t)jr_next(r, 32));
}

static inline double jr_double(jrand *r)
{
    int64_t a = jr_next(r, 26), b = jr_next(r, 27);
    return (double)((a << 27) + b) * 0x1.0p-53;
}

void sl_nexmark_jrand_draws(int64_t seed, int32_t bound, int n, int32_t *out_ints,
                            int64_t *out_long, double *out_double)
{
    jrand r;
    jr_seed(&r, seed);
    for (int i = 0; i < n; i++) out_ints[i] = bound ? jr_int_bound(&r, bound) : jr_int(&r);
    *out_long = jr_long(&r);
    *out_double = jr_double(&r);
}

/* LongGenerator.nextLong: [0, n). */
static inline int64_t next_long(jrand *r, int64_t n)
{
    if (n < 2147483647LL) return jr_int_bound(r, (int32_t)n);
    int64_t v = jr_long(r) % n;
    return v < 0 ? -v : v;
}

/* Java's Math.round for the values used here (non-negative). */
static inline int64_t jround(double v) { return (int64_t)floor(v + 0.5); }

/* PriceGenerator: log-uniform over [1, 10^6) dollars, in cents:
 * Math.round(Math.pow(10.0, x) * 100.0) with x = 6 * nextDouble().
 * exp2(x * log2 10) is four times cheaper than pow and within 1e-14
 * (relative) of it: the argument's rounding is at most 2^-52 * 20 absolute,
 * i.e. 1e-14 relative after exp2, plus an ulp each for exp2 and pow.  At
 * most 1e8 cents that is 1e-6 absolute, so unless the value lies within
 * 1e-4 of a rounding boundary (about 2 draws in 10^4) both round to the
 * same integer; near a boundary pow itself decides. */
static inline int64_t next_price(jrand *r)
{
    double x = jr_double(r) * 6.0;
    double v = exp2(x * 3.32192809488736234787031942948939018) * 100.0 + 0.5;
    double f = floor(v);
    if (v - f < 1e-4 || v - f > 1.0 - 1e-4) return jround(pow(10.0, x) * 100.0);
    return (int64_t)f;
}

/* ---- tables built once ----------------------------------------------------- */

/* pair_tab[r + 675] for r = rnd % 676 in [-675, 675]: the two characters
 * nextExactString makes of rnd % 26 and (rnd / 26) % 26.  With C's (and
 * Java's) truncating division, rnd % 26 == r % 26 and (rnd / 26) % 26 ==
 * (r / 26) % 26, and rnd / 676 is what remains for the next pair. */
static char pair_tab[1351][2];

/* A bid's channel (0..9999, or hot channel k at CHANNELS_NUMBER + k): the
 * variable middle of its URL ("abc/de_f/ghi/"), the digits of its
 * channel_id parameter (none for a hot channel or when the URL's draw left
 * it out) and the digits of its "channel-N" name.  32 bytes, so the 10004
 * fit in 320 kB. */
typedef struct channel_rec {
    uint8_t lens;   /* mid length (<= 15) | name length (<= 4) << 4 */
    uint8_t id_len;
    char mid[15];   /* three segments of 3..4 characters, each followed by '/' */
    char id[11];    /* "-2147483648" for channel 1: Math.abs(MIN_VALUE) */
    char name[4];
} channel_rec;

_Static_assert(sizeof(channel_rec) == 32, "a channel record is 32 bytes");
static channel_rec channel_tab[CHANNELS_NUMBER + N_HOT_CHANNELS];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static const char *const hot_channels[N_HOT_CHANNELS] = {"Google", "Facebook", "Baidu", "Apple"};
static const uint8_t hot_channel_len[N_HOT_CHANNELS] = {6, 8, 5, 5};

/* StringsGenerator.nextString(5, '_') for a URL segment: 3..4 characters,
 * '_' with probability 1/13 else a lower-case letter (trim() strips nothing:
 * '_' is above ' '). */
static int url_segment(jrand *r, char *d)
{
    int len = 3 + jr_int_bound(r, 2);
    for (int i = 0; i < len; i++) d[i] = jr_int_bound(r, 13) == 0 ? '_' : (char)('a' + jr_int_bound(r, 26));
    return len;
}

/* BidGenerator.getBaseUrl, drawn from a Random seeded by `seed` (the
 * reference uses unseeded ones; see the header). */
static void build_channel(channel_rec *c, int64_t seed, int channel_number)
{
    jrand r;
    jr_seed(&r, seed);
    int n = 0;
    for (int k = 0; k < 3; k++) {
        n += url_segment(&r, c->mid + n);
        c->mid[n++] = '/';
    }
    c->lens = (uint8_t)n;
    c->id_len = 0;
    if (channel_number >= 0 && jr_int_bound(&r, 10) > 0) {
        /* Math.abs(Integer.reverse(channelNumber)) */
        uint32_t v = (uint32_t)channel_number, rev = 0;
        for (int b = 0; b < 32; b++) rev |= ((v >> b) & 1u) << (31 - b);
        int64_t a = (int32_t)rev;
        if (a < 0) a = -a;
        if (a > 2147483647LL) a = -2147483648LL;   /* abs(MIN_VALUE) stays negative */
        char tmp[24];
        int len = snprintf(tmp, sizeof tmp, "%lld", (long long)a);
        memcpy(c->id, tmp, (size_t)len);
        c->id_len = (uint8_t)len;
    }
    if (channel_number >= 0) {
        char tmp[16];
        int len = snprintf(tmp, sizeof tmp, "%d", channel_number);
        memcpy(c->name, tmp, (size_t)len);
        c->lens |= (uint8_t)(len << 4);
    }
}

static void build_tables(void)
{
    for (int r = -675; r <= 675; r++) {
        pair_tab[r + 675][0] = (char)('a' + r % 26);
        pair_tab[r + 675][1] = (char)('a' + (r / 26) % 26);
    }
    for (int ch = 0; ch < CHANNELS_NUMBER; ch++) build_channel(&channel_tab[ch], ch, ch);
    for (int k = 0; k < N_HOT_CHANNELS; k++)
        build_channel(&channel_tab[CHANNELS_NUMBER + k], -1 - k, -1);
}

static void tables_init(void) { pthread_once(&tables_once, build_tables); }

/* ---- strings ------------------------------------------------------------ */

/* The event's buffer: strings are written at p + used, never past cap; the
 * fast writers may store up to SL_NEXMARK_SLACK bytes beyond what they keep
 * (the event buffer has that much room after cap). */
typedef struct sbuf {
    char *p;
    int used, cap;
} sbuf;

static inline sl_nexmark_str sb_put(sbuf *sb, const char *s, int n)
{
    if (n > sb->cap - sb->used) n = sb->cap - sb->used;   /* cannot happen: sized */
    char *d = sb->p + sb->used;
    memcpy(d, s, (size_t)n);
    sb->used += n;
    return (sl_nexmark_str){d, n};
}

static inline sl_nexmark_str sb_none(const sbuf *sb) { return (sl_nexmark_str){sb->p + sb->used, 0}; }

/* StringsGenerator.nextString: 3..max-1 characters, each a space (or
 * `special`) with probability 1/13, else a lower-case letter; then Java's
 * trim(), which only strips characters <= ' '.  With keep false only the
 * draws are made. */
static inline sl_nexmark_str next_string(jrand *r, sbuf *sb, int max_len, char special, bool keep)
{
    int len = 3 + jr_int_bound(r, max_len - 3);
    if (!keep) {
        for (int i = 0; i < len; i++)
            if (jr_int_bound(r, 13) != 0) (void)jr_int_bound(r, 26);
        return sb_none(sb);
    }
    if (len > sb->cap - sb->used) len = sb->cap - sb->used;   /* cannot happen: sized */
    char *d = sb->p + sb->used;
    for (int i = 0; i < len; i++)
        d[i] = jr_int_bound(r, 13) == 0 ? special : (char)('a' + jr_int_bound(r, 26));
    int lo = 0, hi = len;
    while (lo < hi && (unsigned char)d[lo] <= ' ') lo++;
    while (hi > lo && (unsigned char)d[hi - 1] <= ' ') hi--;
    if (lo) memmove(d, d + lo, (size_t)(hi - lo));
    sb->used += hi - lo;
    return (sl_nexmark_str){d, hi - lo};
}

/* Two LCG steps at once: seed * M^2 + (M * 11 + 11), mod 2^48. */
#define JR_MULT2 ((JR_MULT * JR_MULT) & JR_MASK)
#define JR_ADD2 ((JR_MULT * 0xBULL + 0xBULL) & JR_MASK)

/* The six characters of one draw of nextExactString. */
static inline void put_draw(char *d, int32_t rnd)
{
    int32_t q1 = rnd / 676, q2 = rnd / (676 * 676);
    memcpy(d, pair_tab[rnd - q1 * 676 + 675], 2);
    memcpy(d + 2, pair_tab[q1 - q2 * 676 + 675], 2);
    memcpy(d + 4, pair_tab[q2 % 676 + 675], 2);
}

/* StringsGenerator.nextExactString: a draw every six characters, character
 * k of a draw being 'a' + (rnd / 26^k) % 26.  Java's % keeps the dividend's
 * sign, so a negative draw yields characters below 'a' ('H'..'`'), as the
 * reference's do; C's % behaves the same.  The last draw's six characters
 * are stored whole (into the slack) and the length cut after. */
static inline sl_nexmark_str next_exact_string(jrand *r, sbuf *sb, int length, bool keep)
{
    if (length > sb->cap - sb->used) length = sb->cap - sb->used;
    if (!keep) {
        /* nothing is drawn after the padding, so its draws need not be made */
        return sb_none(sb);
    }
    char *d = sb->p + sb->used;
    /* Two draws per step from two independent products (seed * M and seed
     * * M^2 + (M + 1) * 11), so the multiplications overlap; and each
     * draw's three pairs from rnd, rnd / 676 and rnd / 676^2 directly. */
    uint64_t seed = r->seed;
    int i = 0;
    for (; i + 6 < length; i += 12) {
        uint64_t s1 = (seed * JR_MULT + 0xBULL) & JR_MASK;
        uint64_t s2 = (seed * JR_MULT2 + JR_ADD2) & JR_MASK;
        put_draw(d + i, (int32_t)(uint32_t)(s1 >> 16));
        put_draw(d + i + 6, (int32_t)(uint32_t)(s2 >> 16));
        seed = s2;
    }
    if (i < length) {
        seed = (seed * JR_MULT + 0xBULL) & JR_MASK;
        put_draw(d + i, (int32_t)(uint32_t)(seed >> 16));
    }
    r->seed = seed;
    sb->used += length;
    return (sl_nexmark_str){d, length};
}

/* StringsGenerator.nextExtra: pads current_size to desired on average
 * (uniform in [0.8, 1.2) of the remainder).  The padding is the last thing
 * drawn for every kind of event. */
static inline sl_nexmark_str next_extra(jrand *r, sbuf *sb, int current_size, int desired, bool keep)
{
    if (!keep || current_size > desired) return sb_none(sb);
    desired -= current_size;
    int delta = (int)jround(desired * 0.2);
    int min_size = desired - delta;
    int size = min_size + (delta == 0 ? 0 : jr_int_bound(r, 2 * delta));
    return next_exact_string(r, sb, size, keep);
}

/* ---- ids ---------------------------------------------------------------- */

static inline int total_prop(const sl_nexmark_config *cfg)
{
    return cfg->person_proportion + cfg->auction_proportion + cfg->bid_proportion;
}

/* Event event_id = epoch * total_prop + offset. */
static inline int64_t last_base0_person_id(const sl_nexmark_config *cfg, int64_t epoch, int64_t offset)
{
    if (offset >= cfg->person_proportion) offset = cfg->person_proportion - 1;
    return epoch * cfg->person_proportion + offset;
}

static inline int64_t last_base0_auction_id(const sl_nexmark_config *cfg, int64_t epoch, int64_t offset)
{
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

static inline int64_t next_base0_person_id(const sl_nexmark_config *cfg, jrand *r, int64_t epoch,
                                           int64_t offset)
{
    int64_t num_people = last_base0_person_id(cfg, epoch, offset) + 1;
    int64_t active = num_people < cfg->num_active_people ? num_people : cfg->num_active_people;
    int64_t n = next_long(r, active + PERSON_ID_LEAD);
    return num_people - active + n;
}

static inline int64_t next_base0_auction_id(const sl_nexmark_config *cfg, jrand *r, int64_t epoch,
                                            int64_t offset)
{
    int64_t max_auction = last_base0_auction_id(cfg, epoch, offset);
    int64_t min_auction = max_auction - cfg->num_in_flight_auctions;
    if (min_auction < 0) min_auction = 0;
    return min_auction + next_long(r, max_auction - min_auction + 1 + AUCTION_ID_LEAD);
}

/* ---- events ------------------------------------------------------------- */

#define N_STATES 6
#define N_CITIES 10
#define N_FIRST 11
#define N_LAST 9
static const char *const us_states[N_STATES] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
static const char *const us_cities[N_CITIES] = {"Phoenix", "Los Angeles", "San Francisco", "Boise",
                                                "Portland", "Bend", "Redmond", "Seattle", "Kent",
                                                "Cheyenne"};
static const char *const first_names[N_FIRST] = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky",
                                                 "Kate", "Julie", "Sarah", "Deiter", "Walter"};
static const char *const last_names[N_LAST] = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                               "Walton", "Smith", "Jones", "Noris"};

void sl_nexmark_config_default(sl_nexmark_config *cfg)
{
    cfg->events_per_second = 10000;
    cfg->base_time_ms = SL_NEXMARK_BASE_TIME_MS;
    cfg->person_proportion = 1;
    cfg->auction_proportion = 3;
    cfg->bid_proportion = 46;
    cfg->avg_person_bytes = 200;
    cfg->avg_auction_bytes = 500;
    cfg->avg_bid_bytes = 100;
    cfg->hot_auction_ratio = 2;
    cfg->hot_sellers_ratio = 4;
    cfg->hot_bidders_ratio = 4;
    cfg->num_active_people = 1000;
    cfg->num_in_flight_auctions = 100;
}

static inline sl_nexmark_kind kind_of_offset(const sl_nexmark_config *cfg, int64_t rem)
{
    if (rem < cfg->person_proportion) return SL_NEXMARK_PERSON;
    if (rem < cfg->person_proportion + cfg->auction_proportion) return SL_NEXMARK_AUCTION;
    return SL_NEXMARK_BID;
}

sl_nexmark_kind sl_nexmark_kind_of(const sl_nexmark_config *cfg, int64_t i)
{
    return kind_of_offset(cfg, i % total_prop(cfg));
}

/* GeneratorConfig.timestampForEvent with one generator, no out-of-order
 * groups: base + floor(i * interEventDelayUs) / 1000. */
static inline int64_t time_ms(const sl_nexmark_config *cfg, double delay_us, int64_t i)
{
    return cfg->base_time_ms + (int64_t)((double)i * delay_us) / 1000;
}

int64_t sl_nexmark_time_ms(const sl_nexmark_config *cfg, int64_t i)
{
    return time_ms(cfg, 1000000.0 / cfg->events_per_second, i);
}

/* Which string fields to build: bit c for table column c (the others are
 * left empty, their draws still made). */
#define WANT_ALL 0xffffu
#define WANTS(want, c) (((want) >> (c)) & 1u)

/* Per-run constants of the generator (divisions done once). */
typedef struct gen_ctx {
    const sl_nexmark_config *cfg;
    double delay_us;
    int64_t n_events_for_auctions;   /* events until num_in_flight_auctions more auctions */
    int bid_extra_desired;
} gen_ctx;

static void ctx_init(gen_ctx *g, const sl_nexmark_config *cfg)
{
    tables_init();
    g->cfg = cfg;
    g->delay_us = 1000000.0 / cfg->events_per_second;
    g->n_events_for_auctions =
        ((int64_t)cfg->num_in_flight_auctions * total_prop(cfg)) / cfg->auction_proportion;
    g->bid_extra_desired = cfg->avg_bid_bytes;
}

/* Four digits of v (0..9999), zero-padded. */
static inline void put4(char *d, int v)
{
    d[0] = (char)('0' + v / 1000);
    d[1] = (char)('0' + v / 100 % 10);
    d[2] = (char)('0' + v / 10 % 10);
    d[3] = (char)('0' + v % 10);
}

static void gen_person(const gen_ctx *g, int64_t epoch, int64_t offset, jrand *r, sbuf *sb,
                       sl_nexmark_event *ev, unsigned want)
{
    const sl_nexmark_config *cfg = g->cfg;
    ev->u.person.id = last_base0_person_id(cfg, epoch, offset) + FIRST_PERSON_ID;
    /* name: "first last" */
    int fi = jr_int_bound(r, N_FIRST), li = jr_int_bound(r, N_LAST);
    int fl = (int)strlen(first_names[fi]), ll = (int)strlen(last_names[li]);
    int start = sb->used;
    sb_put(sb, first_names[fi], fl);
    sb_put(sb, " ", 1);
    sb_put(sb, last_names[li], ll);
    ev->u.person.name = (sl_nexmark_str){sb->p + start, sb->used - start};
    /* email: nextString(7) "@" nextString(5) ".com", built in place */
    start = sb->used;
    next_string(r, sb, 7, ' ', true);
    sb_put(sb, "@", 1);
    next_string(r, sb, 5, ' ', true);
    sb_put(sb, ".com", 4);
    ev->u.person.email = (sl_nexmark_str){sb->p + start, sb->used - start};
    /* credit card: four groups of four digits */
    char cc[19];
    for (int k = 0; k < 4; k++) {
        put4(cc + 5 * k, jr_int_bound(r, 10000));
        if (k < 3) cc[5 * k + 4] = ' ';
    }
    ev->u.person.credit_card = sb_put(sb, cc, 19);
    const char *city = us_cities[jr_int_bound(r, N_CITIES)];
    ev->u.person.city = sb_put(sb, city, (int)strlen(city));
    const char *state = us_states[jr_int_bound(r, N_STATES)];
    ev->u.person.state = sb_put(sb, state, 2);
    int cur = 8 + ev->u.person.name.len + ev->u.person.email.len + ev->u.person.credit_card.len +
              ev->u.person.city.len + ev->u.person.state.len;
    ev->u.person.extra = next_extra(r, sb, cur, cfg->avg_person_bytes, WANTS(want, 7));
}

static void gen_auction(const gen_ctx *g, int64_t id, int64_t epoch, int64_t offset, jrand *r,
                        sbuf *sb, sl_nexmark_event *ev, unsigned want)
{
    const sl_nexmark_config *cfg = g->cfg;
    ev->u.auction.id = last_base0_auction_id(cfg, epoch, offset) + FIRST_AUCTION_ID;
    int64_t seller;
    if (jr_int_bound(r, cfg->hot_sellers_ratio) > 0)
        seller = (last_base0_person_id(cfg, epoch, offset) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO;
    else
        seller = next_base0_person_id(cfg, r, epoch, offset);
    ev->u.auction.category = FIRST_CATEGORY_ID + jr_int_bound(r, NUM_CATEGORIES);
    ev->u.auction.seller = seller + FIRST_PERSON_ID;
    ev->u.auction.initial_bid = next_price(r);
    /* nextAuctionLengthMs: uniform in [1, 2 * horizon], the horizon being
     * the time until numInFlightAuctions more auctions have been created. */
    int64_t horizon = time_ms(cfg, g->delay_us, id + g->n_events_for_auctions) - ev->date_time_ms;
    int64_t span = horizon * 2 > 1 ? horizon * 2 : 1;
    ev->u.auction.expires_ms = ev->date_time_ms + 1 + next_long(r, span);
    /* the lengths of item name and description count toward the padding,
     * so both are built */
    ev->u.auction.item_name = next_string(r, sb, 20, ' ', true);
    ev->u.auction.description = next_string(r, sb, 100, ' ', true);
    ev->u.auction.reserve = ev->u.auction.initial_bid + next_price(r);
    int cur = 8 + ev->u.auction.item_name.len + ev->u.auction.description.len + 8 + 8 + 8 + 8 + 8;
    ev->u.auction.extra = next_extra(r, sb, cur, cfg->avg_auction_bytes, WANTS(want, 9));
}

static const char url_prefix[24] = "https://www.nexmark.com/";    /* no NUL */
static const char url_query[16] = "item.htm?query=1";
static const char url_channel[12] = "&channel_id=";

/* Writes a channel's URL (built as BidGenerator.getBaseUrl; see
 * build_channel) at sb: fixed-size copies into the slack, cut to length. */
static inline sl_nexmark_str put_url(sbuf *sb, const channel_rec *c)
{
    if (sb->cap - sb->used < 24 + 15 + 16 + 12 + 11) return sb_none(sb);   /* cannot happen */
    char *d0 = sb->p + sb->used, *d = d0;
    memcpy(d, url_prefix, 24);
    d += 24;
    memcpy(d, c->mid, 15);
    d += c->lens & 15;
    memcpy(d, url_query, 16);
    d += 16;
    if (c->id_len) {
        memcpy(d, url_channel, 12);
        d += 12;
        memcpy(d, c->id, 11);
        d += c->id_len;
    }
    sb->used += (int)(d - d0);
    return (sl_nexmark_str){d0, (int)(d - d0)};
}

static void gen_bid(const gen_ctx *g, int64_t epoch, int64_t offset, jrand *r, sbuf *sb,
                    sl_nexmark_event *ev, unsigned want)
{
    const sl_nexmark_config *cfg = g->cfg;
    int64_t auction, bidder;
    if (jr_int_bound(r, cfg->hot_auction_ratio) > 0)
        auction = (last_base0_auction_id(cfg, epoch, offset) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO;
    else
        auction = next_base0_auction_id(cfg, r, epoch, offset);
    ev->u.bid.auction = auction + FIRST_AUCTION_ID;
    if (jr_int_bound(r, cfg->hot_bidders_ratio) > 0)
        bidder = (last_base0_person_id(cfg, epoch, offset) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1;
    else
        bidder = next_base0_person_id(cfg, r, epoch, offset);
    ev->u.bid.bidder = bidder + FIRST_PERSON_ID;
    ev->u.bid.price = next_price(r);
    const channel_rec *c;
    if (jr_int_bound(r, HOT_CHANNELS_RATIO) > 0) {
        int k = jr_int_bound(r, N_HOT_CHANNELS);
        c = &channel_tab[CHANNELS_NUMBER + k];
        ev->u.bid.channel = WANTS(want, 3) ? sb_put(sb, hot_channels[k], hot_channel_len[k]) : sb_none(sb);
    } else {
        c = &channel_tab[jr_int_bound(r, CHANNELS_NUMBER)];
        if (WANTS(want, 3) && sb->cap - sb->used >= 12) {
            char *d = sb->p + sb->used;
            memcpy(d, "channel-", 8);
            memcpy(d + 8, c->name, 4);
            ev->u.bid.channel = (sl_nexmark_str){d, 8 + (c->lens >> 4)};
            sb->used += 8 + (c->lens >> 4);
        } else {
            ev->u.bid.channel = sb_none(sb);
        }
    }
    ev->u.bid.url = WANTS(want, 4) ? put_url(sb, c) : sb_none(sb);
    ev->u.bid.extra = next_extra(r, sb, 8 + 8 + 8 + 8, g->bid_extra_desired, WANTS(want, 6));
}

static inline void event_gen(const gen_ctx *g, int64_t i, int64_t epoch, int64_t offset,
                             sl_nexmark_event *ev, unsigned want)
{
    jrand r;
    jr_seed(&r, i);
    sbuf sb = {ev->buf, 0, SL_NEXMARK_BUF};
    ev->kind = kind_of_offset(g->cfg, offset);
    ev->date_time_ms = time_ms(g->cfg, g->delay_us, i);
    switch (ev->kind) {
    case SL_NEXMARK_PERSON: gen_person(g, epoch, offset, &r, &sb, ev, want); break;
    case SL_NEXMARK_AUCTION: gen_auction(g, i, epoch, offset, &r, &sb, ev, want); break;
    case SL_NEXMARK_BID: gen_bid(g, epoch, offset, &r, &sb, ev, want); break;
    }
}

void sl_nexmark_event_gen(const sl_nexmark_config *cfg, int64_t i, sl_nexmark_event *ev)
{
    gen_ctx g;
    ctx_init(&g, cfg);
    int tp = total_prop(cfg);
    event_gen(&g, i, i / tp, i % tp, ev, WANT_ALL);
}

/* ---- columnar output ------------------------------------------------------ */

typedef struct col_def {
    const char *name;
    sl_type type;
} col_def;

static const col_def person_cols[] = {
    {"id", SL_TYPE_BIGINT}, {"name", SL_TYPE_STRING}, {"emailAddress", SL_TYPE_STRING},
    {"creditCard", SL_TYPE_STRING}, {"city", SL_TYPE_STRING}, {"state", SL_TYPE_STRING},
    {"dateTime", SL_TYPE_TIMESTAMP}, {"extra", SL_TYPE_STRING},
};
static const col_def auction_cols[] = {
    {"id", SL_TYPE_BIGINT}, {"itemName", SL_TYPE_STRING}, {"description", SL_TYPE_STRING},
    {"initialBid", SL_TYPE_BIGINT}, {"reserve", SL_TYPE_BIGINT}, {"dateTime", SL_TYPE_TIMESTAMP},
    {"expires", SL_TYPE_TIMESTAMP}, {"seller", SL_TYPE_BIGINT}, {"category", SL_TYPE_BIGINT},
    {"extra", SL_TYPE_STRING},
};
static const col_def bid_cols[] = {
    {"auction", SL_TYPE_BIGINT}, {"bidder", SL_TYPE_BIGINT}, {"price", SL_TYPE_BIGINT},
    {"channel", SL_TYPE_STRING}, {"url", SL_TYPE_STRING}, {"dateTime", SL_TYPE_TIMESTAMP},
    {"extra", SL_TYPE_STRING},
};

static const col_def *table_cols(sl_nexmark_kind kind, int *n)
{
    switch (kind) {
    case SL_NEXMARK_PERSON: *n = 8; return person_cols;
    case SL_NEXMARK_AUCTION: *n = 10; return auction_cols;
    default: *n = 7; return bid_cols;
    }
}

int sl_nexmark_table_ncols(sl_nexmark_kind kind)
{
    int n;
    table_cols(kind, &n);
    return n;
}

const char *sl_nexmark_col_name(sl_nexmark_kind kind, int c)
{
    int n;
    const col_def *d = table_cols(kind, &n);
    return c >= 0 && c < n ? d[c].name : NULL;
}

sl_type sl_nexmark_col_type(sl_nexmark_kind kind, int c)
{
    int n;
    const col_def *d = table_cols(kind, &n);
    return c >= 0 && c < n ? d[c].type : SL_TYPE_NULL;
}

int sl_nexmark_kind_parse(const char *name)
{
    if (!name) return -1;
    if (strcasecmp(name, "person") == 0) return SL_NEXMARK_PERSON;
    if (strcasecmp(name, "auction") == 0) return SL_NEXMARK_AUCTION;
    if (strcasecmp(name, "bid") == 0) return SL_NEXMARK_BID;
    return -1;
}

/* Where table column c's value sits in an event: an int64 (times 1000 for a
 * TIMESTAMP held in ms) or a string. */
typedef enum { FIELD_I64, FIELD_MS, FIELD_STR } field_kind;
typedef struct field_loc {
    field_kind kind;
    size_t off;   /* offsetof in sl_nexmark_event */
} field_loc;

#define F_I64(m) {FIELD_I64, offsetof(sl_nexmark_event, m)}
#define F_MS(m) {FIELD_MS, offsetof(sl_nexmark_event, m)}
#define F_STR(m) {FIELD_STR, offsetof(sl_nexmark_event, m)}
static const field_loc person_fields[] = {
    F_I64(u.person.id), F_STR(u.person.name), F_STR(u.person.email), F_STR(u.person.credit_card),
    F_STR(u.person.city), F_STR(u.person.state), F_MS(date_time_ms), F_STR(u.person.extra),
};
static const field_loc auction_fields[] = {
    F_I64(u.auction.id), F_STR(u.auction.item_name), F_STR(u.auction.description),
    F_I64(u.auction.initial_bid), F_I64(u.auction.reserve), F_MS(date_time_ms),
    F_MS(u.auction.expires_ms), F_I64(u.auction.seller), F_I64(u.auction.category),
    F_STR(u.auction.extra),
};
static const field_loc bid_fields[] = {
    F_I64(u.bid.auction), F_I64(u.bid.bidder), F_I64(u.bid.price), F_STR(u.bid.channel),
    F_STR(u.bid.url), F_MS(date_time_ms), F_STR(u.bid.extra),
};

/* Bytes to reserve per row for a string column up front: about the
 * average, so a chunk rarely grows a column (the append checks anyway). */
static size_t est_bytes(const sl_nexmark_config *cfg, sl_nexmark_kind kind, int c)
{
    switch (kind) {
    case SL_NEXMARK_PERSON:
        return c == 7 ? (size_t)cfg->avg_person_bytes : 20;
    case SL_NEXMARK_AUCTION:
        return c == 9 ? (size_t)cfg->avg_auction_bytes : c == 2 ? 64 : 16;
    default:
        return c == 6 ? (size_t)cfg->avg_bid_bytes : c == 4 ? 80 : 12;
    }
}

int sl_nexmark_append(const sl_nexmark_config *cfg, sl_nexmark_kind kind,
                      int64_t from, int64_t to, sl_batch *b, const int *proj, int n_proj)
{
    if (to <= from) return 0;
    gen_ctx g;
    ctx_init(&g, cfg);
    int tp = total_prop(cfg);
    int lo = kind == SL_NEXMARK_PERSON    ? 0
             : kind == SL_NEXMARK_AUCTION ? cfg->person_proportion
                                          : cfg->person_proportion + cfg->auction_proportion;
    int hi = kind == SL_NEXMARK_PERSON    ? cfg->person_proportion
             : kind == SL_NEXMARK_AUCTION ? cfg->person_proportion + cfg->auction_proportion
                                          : tp;
    int64_t e0 = from / tp, e1 = (to - 1) / tp;
    /* event offsets [o0, o1) of epoch e that are in [from, to) and of this kind */
#define EPOCH_RANGE(e, o0, o1)                                   \
    int o0 = lo, o1 = hi;                                        \
    if ((e) * tp + o0 < from) o0 = (int)(from - (e) * tp);       \
    if ((e) * tp + o1 > to) o1 = (int)(to - (e) * tp);
    int64_t rows = 0;
    for (int64_t e = e0; e <= e1; e++) {
        EPOCH_RANGE(e, o0, o1)
        if (o1 > o0) rows += o1 - o0;
    }
    if (rows <= 0) return 0;

    int n;
    (void)table_cols(kind, &n);
    const field_loc *fl = kind == SL_NEXMARK_PERSON    ? person_fields
                          : kind == SL_NEXMARK_AUCTION ? auction_fields
                                                       : bid_fields;
    unsigned want = 0;
    for (int j = 0; j < n_proj; j++) {
        int c = proj[j];
        want |= 1u << c;
        size_t chars = fl[c].kind == FIELD_STR ? (size_t)rows * est_bytes(cfg, kind, c) : 0;
        if (sl_col_reserve(b->cols[j], rows, chars)) return -1;
    }

    sl_nexmark_event ev;
    int64_t done = 0;   /* rows appended */
    for (int64_t e = e0; e <= e1; e++) {
        EPOCH_RANGE(e, o0, o1)
        int64_t base = e * tp;
        for (int o = o0; o < o1; o++, done++) {
            event_gen(&g, base + o, e, o, &ev, want);
            for (int j = 0; j < n_proj; j++) {
                sl_col *col = b->cols[j];
                const field_loc *f = &fl[proj[j]];
                const char *src = (const char *)&ev + f->off;
                if (f->kind != FIELD_STR) {
                    int64_t v;
                    memcpy(&v, src, sizeof v);
                    ((int64_t *)col->data)[col->len++] = f->kind == FIELD_MS ? v * 1000 : v;
                    continue;
                }
                sl_nexmark_str s;
                memcpy(&s, src, sizeof s);
                if (col->chars_len + (size_t)s.len > col->chars_cap &&
                    sl_col_reserve(col, 0, (size_t)s.len + (size_t)(rows - done) * 8))
                    return -1;   /* reserved too little: grow (rare) */
                if (s.len) memcpy(col->chars + col->chars_len, s.p, (size_t)s.len);
                col->chars_len += (size_t)s.len;
                ((int32_t *)col->data)[++col->len] = (int32_t)col->chars_len;
            }
        }
    }
#undef EPOCH_RANGE
    /* a column that already had NULLs has a bitmap: the new rows are valid */
    for (int j = 0; j < n_proj; j++) {
        sl_col *col = b->cols[j];
        if (col->validity)
            for (int64_t i = col->len - rows; i < col->len; i++) sl_bit_set(col->validity, i);
    }
    return 0;
}
