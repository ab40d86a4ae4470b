/* `sluice gen topup`: writes a synthetic copy of the LTFS top-up dataset that
 * the reference notebook streams — DIR/customer.csv (one row per customer,
 * with the `Top-up Month` label) and DIR/bureau.csv (5–10 credit-bureau
 * tradelines per customer) — in the real data's columns, formats, category
 * lists and NULL habits.  It is the start of the data flow: `sluice produce`
 * replays these files into Kafka and the pipeline in examples/topup scores
 * them.
 *
 * The label is not noise: a hidden credit-quality score per customer drives
 * both the bureau rows (balances, overdues, closed accounts, self loans) and,
 * with a few customer columns (loan status, frequency, LTV, income, state),
 * the chance of a top-up, so a model trained on the aggregated features has
 * something real to find.  Everything comes from one seeded PRNG consumed in
 * a fixed order, so a seed gives byte-identical files.  The command is plain
 * C and stdio (a client of nothing in the library); rows are formatted by
 * hand into a line buffer because printf would dominate the run time on the
 * ~1M bureau rows of a full-size dataset. */
#include "sluice.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"

/* ---- PRNG: xoshiro256** seeded through splitmix64 ------------------------ */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1). */
static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* Uniform integer in [lo, hi]. */
static long rng_range(rng *r, long lo, long hi)
{
    return lo + (long)(rng_unit(r) * (double)(hi - lo + 1));
}

static int rng_chance(rng *r, double p) { return rng_unit(r) < p; }

/* Standard normal (Box-Muller; the second value is dropped so that every
 * call consumes exactly two draws, which keeps the stream easy to reason
 * about when columns are added). */
static double rng_normal(rng *r)
{
    double u1 = rng_unit(r), u2 = rng_unit(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Index drawn from integer weights. */
static int rng_pick(rng *r, const int *w, int n)
{
    long total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    long x = rng_range(r, 0, total - 1);
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

/* ---- category tables, shaped on the real data (ltfs_sample) ------------- */

typedef struct choice {
    const char *text;
    int weight;
} choice;

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *pick_choice(rng *r, const choice *c, int n)
{
    long total = 0;
    for (int i = 0; i < n; i++)
        total += c[i].weight;
    long x = rng_range(r, 0, total - 1);
    for (int i = 0; i < n; i++) {
        if (x < c[i].weight)
            return c[i].text;
        x -= c[i].weight;
    }
    return c[n - 1].text;
}

/* Customers per State in the real test split; States are spelled as the
 * data spells them (ORISSA, CHATTISGARH), which the dashboard's map must
 * translate. */
typedef struct state_info {
    const char *name;
    int weight;
    double effect; /* planted log-odds shift of a top-up */
} state_info;

static const state_info STATES[] = {
    {"MADHYA PRADESH", 3373, 0.35}, {"RAJASTHAN", 2740, 0.10},
    {"MAHARASHTRA", 1489, -0.45},   {"ANDHRA PRADESH", 1411, 0.0},
    {"GUJARAT", 1085, 0.15},        {"HARYANA", 994, -0.10},
    {"KARNATAKA", 829, -0.50},      {"PUNJAB", 723, 0.40},
    {"UTTARAKHAND", 589, 0.25},     {"UTTAR PRADESH", 445, -0.20},
    {"ORISSA", 375, 0.45},          {"CHATTISGARH", 231, 0.40},
    {"TELANGANA", 229, -0.30},      {"WEST BENGAL", 186, 0.30},
    {"BIHAR", 41, 0.0},             {"DELHI", 3, 0.0},
    {"JHARKHAND", 1, 0.0},          {"HIMACHAL PRADESH", 1, 0.0},
};

/* Branch locations: State, City, Area (the branch's hub), BranchID and the
 * first three digits of the PIN code, weighted within their State. */
typedef struct place {
    const char *state, *city, *area;
    int branch, zip3, weight;
} place;

static const place PLACES[] = {
    {"ANDHRA PRADESH", "KHAMMAM", "MIRYALGUDA", 91, 507, 202},
    {"ANDHRA PRADESH", "NALGONDA", "MIRYALGUDA", 85, 508, 161},
    {"ANDHRA PRADESH", "KARIMNAGAR", "KARIMNAGAR", 41, 505, 134},
    {"ANDHRA PRADESH", "CUDDAPAH", "NELLORE", 38, 516, 127},
    {"ANDHRA PRADESH", "PRAKASAM", "NELLORE", 93, 523, 105},
    {"ANDHRA PRADESH", "MIRYALGUDA", "MIRYALGUDA", 85, 508, 76},
    {"ANDHRA PRADESH", "ADILABAD", "KARIMNAGAR", 41, 504, 71},
    {"ANDHRA PRADESH", "CHITTOOR", "NELLORE", 340, 517, 71},
    {"ANDHRA PRADESH", "NIZAMABAD", "NIZAMABAD", 48, 503, 63},
    {"ANDHRA PRADESH", "WEST GODAVARI", "VIJAYAWADA", 53, 534, 55},
    {"ANDHRA PRADESH", "KURNOOL", "NELLORE", 145, 518, 52},
    {"BIHAR", "PURNIA", "PATNA", 270, 854, 8},
    {"BIHAR", "EAST CHAMPARAN", "PATNA", 323, 845, 6},
    {"BIHAR", "NAWADA", "PATNA", 370, 805, 4},
    {"CHATTISGARH", "MAHASAMUND", "RAIPUR", 154, 493, 54},
    {"CHATTISGARH", "RAIPUR", "RAIPUR", 5, 493, 36},
    {"CHATTISGARH", "DURG", "RAIPUR", 76, 491, 26},
    {"CHATTISGARH", "RAIGARH", "BILASPUR", 328, 496, 17},
    {"DELHI", "NEW DELHI", "NEW DELHI BARAKHAMBHA ROAD", 143, 110, 2},
    {"GUJARAT", "SABARKANTHA", "AHMEDABAD AMBAVADI", 310, 383, 412},
    {"GUJARAT", "BANASKANTHA", "AHMEDABAD AMBAVADI", 301, 385, 166},
    {"GUJARAT", "SURENDRA NAGAR", "RAJKOT", 338, 363, 53},
    {"GUJARAT", "MAHESANA", "AHMEDABAD AMBAVADI", 196, 384, 51},
    {"HARYANA", "SIRSA", "SIRSA", 166, 125, 193},
    {"HARYANA", "HISAR", "SIRSA", 199, 125, 142},
    {"HARYANA", "YAMUNA NAGAR", "CHANDIGARH", 20, 135, 99},
    {"HARYANA", "FATEHABAD", "SIRSA", 166, 125, 93},
    {"HARYANA", "KARNAL", "KARNAL", 25, 132, 74},
    {"HARYANA", "PANIPAT", "KARNAL", 25, 132, 52},
    {"HIMACHAL PRADESH", "SOLAN", "CHANDIGARH", 20, 174, 1},
    {"JHARKHAND", "DEOGHAR", "LUDHIANA   RANI JHANSI ROAD", 283, 814, 1},
    {"KARNATAKA", "GULBARGA", "GULBARGA", 335, 585, 174},
    {"KARNATAKA", "DAVANGARE", "HUBLI", 300, 577, 103},
    {"KARNATAKA", "BIJAPUR", "GULBARGA", 33, 586, 92},
    {"KARNATAKA", "RAICHUR", "SINDHANUR", 50, 584, 92},
    {"KARNATAKA", "KOPPAL", "SINDHANUR", 305, 583, 67},
    {"KARNATAKA", "SHIMOGA", "MANGALORE", 334, 577, 51},
    {"MADHYA PRADESH", "SHAJAPUR", "INDORE", 264, 465, 839},
    {"MADHYA PRADESH", "NEEMUCH", "MANDSAUR", 326, 458, 445},
    {"MADHYA PRADESH", "DHAR", "INDORE", 302, 454, 265},
    {"MADHYA PRADESH", "RAJGARH", "INDORE", 264, 465, 208},
    {"MADHYA PRADESH", "GUNA", "GUNA", 2, 473, 203},
    {"MADHYA PRADESH", "VIDISHA", "VIDISHA", 6, 464, 154},
    {"MADHYA PRADESH", "RATLAM", "MANDSAUR", 263, 457, 150},
    {"MADHYA PRADESH", "SHAJAPUR", "INDORE", 337, 465, 88},
    {"MADHYA PRADESH", "BINA", "VIDISHA", 209, 470, 77},
    {"MADHYA PRADESH", "ASHOK NAGAR", "GUNA", 125, 473, 59},
    {"MADHYA PRADESH", "REWA", "JABALPUR", 342, 486, 52},
    {"MADHYA PRADESH", "KHANDWA", "INDORE", 320, 450, 50},
    {"MADHYA PRADESH", "HOSHANGABAD", "HOSHANGABAD", 189, 461, 49},
    {"MAHARASHTRA", "SOLAPUR", "SOLAPUR", 164, 413, 176},
    {"MAHARASHTRA", "BEED", "SOLAPUR", 295, 431, 111},
    {"MAHARASHTRA", "NANDED", "PARBHANI", 324, 431, 99},
    {"MAHARASHTRA", "LATUR", "LATUR", 62, 413, 75},
    {"MAHARASHTRA", "AKOLA", "AKOLA", 163, 444, 63},
    {"MAHARASHTRA", "PARBHANI", "PARBHANI", 69, 431, 60},
    {"MAHARASHTRA", "BULDHANA", "AKOLA", 163, 443, 56},
    {"ORISSA", "KENDRAPARA", "BHUBANESHWAR", 297, 754, 54},
    {"ORISSA", "JAJAPUR", "BHUBANESHWAR", 297, 755, 52},
    {"ORISSA", "BHADRAK", "BHUBANESHWAR", 297, 756, 48},
    {"ORISSA", "KENDRAPARA", "CUTTACK", 262, 754, 45},
    {"PUNJAB", "SANGRUR", "BATHINDA", 148, 148, 73},
    {"PUNJAB", "KAPURTHALA", "JALANDHAR", 22, 144, 63},
    {"PUNJAB", "MUKTSAR", "BATHINDA", 148, 152, 61},
    {"PUNJAB", "MOGA", "LUDHIANA FEROZ GANDHI MARKET", 141, 142, 49},
    {"RAJASTHAN", "KOTA", "KOTA", 198, 325, 592},
    {"RAJASTHAN", "BUNDI", "KOTA", 198, 323, 559},
    {"RAJASTHAN", "JHALAWAR", "KOTA", 317, 326, 440},
    {"RAJASTHAN", "CHITTORGARH", "UDAIPUR", 299, 312, 332},
    {"RAJASTHAN", "UDAIPUR", "UDAIPUR", 31, 313, 130},
    {"RAJASTHAN", "KOTA", "KOTA", 198, 324, 124},
    {"RAJASTHAN", "JAIPUR", "JAIPUR", 321, 303, 77},
    {"RAJASTHAN", "BARAN", "KOTA", 317, 326, 58},
    {"RAJASTHAN", "RAJSAMAND", "UDAIPUR", 31, 313, 48},
    {"TELANGANA", "KHAMMAM", "MIRYALGUDA", 91, 507, 46},
    {"TELANGANA", "KARIMNAGAR", "KARIMNAGAR", 41, 505, 36},
    {"TELANGANA", "NALGONDA", "MIRYALGUDA", 85, 508, 32},
    {"TELANGANA", "ADILABAD", "KARIMNAGAR", 41, 504, 30},
    {"UTTAR PRADESH", "KANPUR", "KANPUR", 24, 208, 102},
    {"UTTAR PRADESH", "BIJNOR", "DEHRADUN", 244, 246, 50},
    {"UTTAR PRADESH", "BUDAUN", "LUCKNOW", 273, 243, 32},
    {"UTTAR PRADESH", "MIRZAPUR", "LUCKNOW", 271, 231, 31},
    {"UTTARAKHAND", "UDHAM SINGH NAGAR", "DEHRADUN", 307, 262, 232},
    {"UTTARAKHAND", "UDHAM SINGH NAGAR", "DEHRADUN", 307, 263, 104},
    {"UTTARAKHAND", "NAINITAL", "DEHRADUN", 307, 262, 62},
    {"WEST BENGAL", "UTTAR DINAJPUR", "BURDWAN", 229, 733, 42},
    {"WEST BENGAL", "BIRBHUM", "BURDWAN", 10, 731, 39},
    {"WEST BENGAL", "BARDDHAMAN", "BURDWAN", 9, 713, 32},
    {"WEST BENGAL", "BANKURA", "BURDWAN", 9, 713, 20},
};

static const choice FREQUENCY[] = {
    {"Half Yearly", 10853}, {"Monthly", 2384}, {"Quatrly", 1508}};
static const choice INSTL_MODE[] = {{"Arrear", 14237}, {"Advance", 508}};
static const choice PAYMENT_MODE[] = {
    {"ECS", 3753},        {"PDC", 3531},       {"Direct Debit", 3307},
    {"Billed", 2825},     {"PDC_E", 990},      {"Auto Debit", 108},
    {"SI Reject", 99},    {"Cheque", 67},      {"ECS Reject", 63},
    {"PDC Reject", 2}};
static const choice MANUFACTURER[] = {
    {"1049", 3524}, {"1046", 3087}, {"1186", 1728}, {"1019", 1540},
    {"1060", 1533}, {"1062", 1298}, {"1568", 1183}, {"1187", 735},
    {"3473", 74},   {"2965", 20},   {"2608", 19},   {"1194", 5}, {"", 2}};
/* Tenure in months: the common terms, then a uniform tail (below). */
static const int TENURE_V[] = {36, 48, 60, 24, 42, 54, 72, 30, 12, 33, 47, 18,
                               35, 45, 32, 59, 66, 44, 56, 46};
static const int TENURE_W[] = {3770, 3597, 2029, 1416, 578, 315, 241, 183, 159, 132,
                               124,  120,  117,  112,  110, 96,  85,  73,  72,  70};

/* Label buckets in the real training split's proportions (128,655 rows,
 * 83% without a top-up).  The leading space of " > 48 Months" is real. */
static const char *BUCKETS[] = {"12-18 Months", "18-24 Months", "24-30 Months",
                                "30-36 Months", "36-48 Months", " > 48 Months"};
static const double BUCKET_W[] = {1006, 1871, 2507, 2419, 5799, 8366};
#define NO_TOPUP "No Top-up Service"

static const choice MATCH_TYPE[] = {{"PRIMARY", 85}, {"SECONDARY", 15}};
static const choice ACCT_TYPE[] = {
    {"Tractor Loan", 30},          {"Gold Loan", 14},
    {"Auto Loan (Personal)", 9},   {"Two-Wheeler Loan", 8},
    {"Personal Loan", 7},          {"Business Loan General", 6},
    {"Kisan Credit Card", 6},      {"Credit Card", 4},
    {"Consumer Loan", 4},          {"Housing Loan", 3},
    {"Commercial Vehicle Loan", 3}, {"Overdraft", 2},
    {"Other", 4}};
static const choice CONTRIB_TYPE[] = {
    {"NBF", 45}, {"PRB", 20}, {"NAB", 15}, {"MFI", 8},
    {"COP", 5},  {"FRB", 4},  {"HFC", 2},  {"OFI", 1}};
static const choice OWNERSHIP[] = {
    {"Individual", 90}, {"Joint", 6}, {"Guarantor", 3}, {"Supl Card Holder", 1}};
static const choice INST_FREQ[] = {
    {"", 40}, {"Monthly", 35}, {"Quarterly", 6}, {"Half Yearly", 12},
    {"Annual", 4}, {"Bullet", 3}};
static const choice ASSET_CLASS[] = {
    {"", 50}, {"Standard", 42}, {"Special Mention Account", 3},
    {"Sub-Standard", 3}, {"Doubtful", 1}, {"Loss", 1}};

/* ---- text output -------------------------------------------------------- */

/* One CSV line under construction. */
typedef struct line {
    char *p;
    size_t len, cap;
    int first; /* no comma before the next field */
} line;

static void line_reserve(line *ln, size_t extra)
{
    if (ln->len + extra <= ln->cap)
        return;
    size_t cap = ln->cap ? ln->cap : 1024;
    while (cap < ln->len + extra)
        cap *= 2;
    char *p = realloc(ln->p, cap);
    if (!p) {
        /* The CLI may abort on OOM (the library may not). */
        fputs("sluice gen topup: out of memory\n", stderr);
        exit(1);
    }
    ln->p = p;
    ln->cap = cap;
}

static void put_raw(line *ln, const char *s, size_t n)
{
    line_reserve(ln, n);
    memcpy(ln->p + ln->len, s, n);
    ln->len += n;
}

static void sep(line *ln)
{
    if (!ln->first)
        put_raw(ln, ",", 1);
    ln->first = 0;
}

/* A text field, quoted (RFC 4180) when it holds a comma, quote or newline. */
static void field_n(line *ln, const char *s, size_t n)
{
    sep(ln);
    if (!memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\n', n)) {
        put_raw(ln, s, n);
        return;
    }
    line_reserve(ln, 2 * n + 2);
    ln->p[ln->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            ln->p[ln->len++] = '"';
        ln->p[ln->len++] = s[i];
    }
    ln->p[ln->len++] = '"';
}

static void field(line *ln, const char *s) { field_n(ln, s, strlen(s)); }
static void field_null(line *ln) { sep(ln); }

/* Decimal digits of v (v >= 0) into buf, returns the length. */
static size_t fmt_u(char *buf, unsigned long long v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

static void field_int(line *ln, long long v)
{
    char buf[32];
    size_t n = 0;
    if (v < 0) {
        buf[n++] = '-';
        v = -v;
    }
    n += fmt_u(buf + n, (unsigned long long)v);
    field_n(ln, buf, n);
}

/* A value with two decimals, trailing zeros dropped as the real data does
 * (33333.33, 62.5, 80). */
static void field_dec2(line *ln, double v)
{
    long long c = llround(v * 100.0);
    char buf[40];
    size_t n = fmt_u(buf, (unsigned long long)(c / 100));
    int frac = (int)(c % 100);
    if (frac) {
        buf[n++] = '.';
        buf[n++] = (char)('0' + frac / 10);
        if (frac % 10)
            buf[n++] = (char)('0' + frac % 10);
    }
    field_n(ln, buf, n);
}

/* An amount with Indian digit grouping (12,34,567): commas that the
 * pipeline must strip before casting, and that force CSV quoting. */
static size_t fmt_grouped(char *buf, unsigned long long v)
{
    char d[24];
    size_t nd = fmt_u(d, v), n = 0;
    for (size_t i = 0; i < nd; i++) {
        size_t left = nd - i; /* digits from here to the end */
        if (i > 0 && (left == 3 || (left > 3 && (left - 3) % 2 == 0)))
            buf[n++] = ',';
        buf[n++] = d[i];
    }
    return n;
}

static void field_grouped(line *ln, unsigned long long v, const char *suffix)
{
    char buf[64];
    size_t n = fmt_grouped(buf, v);
    if (suffix) {
        size_t sl = strlen(suffix);
        memcpy(buf + n, suffix, sl);
        n += sl;
    }
    field_n(ln, buf, n);
}

/* ---- dates (days since 1970-01-01, proleptic Gregorian) ------------------ */

static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static void put2(char *b, int v)
{
    b[0] = (char)('0' + v / 10);
    b[1] = (char)('0' + v % 10);
}

static size_t fmt_ymd(char *b, long day, int dashes)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    size_t n = fmt_u(b, (unsigned long long)y);
    if (dashes)
        b[n++] = '-';
    put2(b + n, m);
    n += 2;
    if (dashes)
        b[n++] = '-';
    put2(b + n, d);
    return n + 2;
}

/* Customer dates: `YYYY-MM-DD HH:MM:SS`, always midnight as in the data. */
static void field_datetime(line *ln, long day)
{
    char b[32];
    size_t n = fmt_ymd(b, day, 1);
    memcpy(b + n, " 00:00:00", 9);
    field_n(ln, b, n + 9);
}

/* Bureau dates: `YYYY-MM-DD` (Spark casts either form to a timestamp). */
static void field_date(line *ln, long day)
{
    char b[16];
    field_n(ln, b, fmt_ymd(b, day, 1));
}

static long month_end_before(long day, int months_back)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    int idx = y * 12 + (m - 1) - months_back - 1;
    y = idx / 12;
    m = idx % 12 + 1;
    return days_from_civil(y, m, days_in_month(y, m));
}

/* ---- the generator ------------------------------------------------------ */

typedef struct opts {
    long customers;
    uint64_t seed;
    const char *out;
    int quiet;
} opts;

typedef struct out {
    FILE *f;
    char *path;
    char *vbuf;
} out;

static void usage(FILE *f)
{
    fputs("usage: sluice gen topup [--customers N] [--seed S] [--out DIR] [--quiet]\n"
          "\n"
          "Writes DIR/customer.csv and DIR/bureau.csv: a synthetic copy of the LTFS\n"
          "top-up dataset the reference notebook streams, with its exact columns,\n"
          "formats, NULLs and label proportions (83% 'No Top-up Service'), 5-10\n"
          "bureau rows per customer, and a planted relation between the features\n"
          "and the label. The same seed gives byte-identical files.\n"
          "\n"
          "  --customers N   number of customers (default 128655, the real dataset's)\n"
          "  --seed S        PRNG seed, a non-negative integer (default 42)\n"
          "  --out DIR       output directory, created if missing (default .)\n"
          "  --quiet         no progress or summary on stderr\n"
          "  -h, --help      this text\n",
          f);
}

static int parse_u64(const char *s, uint64_t *v)
{
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *v = x;
    return 0;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

static int out_open(out *o, const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    o->path = malloc(n);
    o->vbuf = malloc(1 << 20);
    if (!o->path || !o->vbuf)
        return -1;
    snprintf(o->path, n, "%s/%s", dir, name);
    o->f = fopen(o->path, "w");
    if (!o->f)
        return -1;
    setvbuf(o->f, o->vbuf, _IOFBF, 1 << 20);
    return 0;
}

static int out_close(out *o)
{
    int rc = 0;
    if (o->f && (ferror(o->f) | fclose(o->f)))
        rc = -1;
    o->f = NULL;
    free(o->vbuf);
    free(o->path);
    return rc;
}

static void line_flush(line *ln, FILE *f)
{
    put_raw(ln, "\n", 1);
    fwrite(ln->p, 1, ln->len, f);
    ln->len = 0;
    ln->first = 1;
}

static const char *CUSTOMER_HEADER =
    "ID,Frequency,InstlmentMode,LoanStatus,PaymentMode,BranchID,Area,Tenure,"
    "AssetCost,AmountFinance,DisbursalAmount,EMI,DisbursalDate,MaturityDAte,"
    "AuthDate,AssetID,ManufacturerID,SupplierID,LTV,SEX,AGE,MonthlyIncome,City,"
    "State,ZiPCODE,Top-up Month\n";

static const char *BUREAU_HEADER =
    "ID,SELF-INDICATOR,MATCH-TYPE,ACCT-TYPE,CONTRIBUTOR-TYPE,DATE-REPORTED,"
    "OWNERSHIP-IND,ACCOUNT-STATUS,DISBURSED-DT,CLOSE-DT,LAST-PAYMENT-DATE,"
    "CREDIT-LIMIT/SANC AMT,DISBURSED-AMT/HIGH CREDIT,INSTALLMENT-AMT,CURRENT-BAL,"
    "INSTALLMENT-FREQUENCY,OVERDUE-AMT,WRITE-OFF-AMT,ASSET_CLASS,"
    "REPORTED DATE - HIST,DPD - HIST,CUR BAL - HIST,AMT OVERDUE - HIST,"
    "AMT PAID - HIST,TENURE\n";

/* Round to a multiple of `step`. */
static long round_to(double v, long step) { return (long)llround(v / step) * step; }

/* The bureau tradelines of one customer.  `q` is the hidden credit quality
 * (higher = better payer): it lowers balances and overdues, closes more
 * accounts and makes the lender's own earlier loans (SELF-INDICATOR) more
 * common — the signal a model can pick up from the `_sum`/`_dist` features. */
static void gen_bureau(rng *r, line *ln, FILE *f, long id, double q, long *n_rows)
{
    static const long REPORT_LO = 17683; /* 2018-06-01 */
    static const long REPORT_SPAN = 578; /* to 2019-12-31 */
    int n = (int)rng_range(r, 5, 10);
    char id_s[24];
    size_t id_len = fmt_u(id_s, (unsigned long long)id);
    char hist[1024];

    for (int k = 0; k < n; k++) {
        long reported = REPORT_LO + rng_range(r, 0, REPORT_SPAN);
        long disbursed = reported - rng_range(r, 60, 2500);
        int self = rng_chance(r, sigmoid(-1.6 + 0.9 * q));
        double closed_p = sigmoid(0.2 + 0.8 * q);
        double bad_p = sigmoid(-3.2 - 1.2 * q);
        const char *status;
        int closed = 0;
        if (rng_chance(r, bad_p)) {
            static const choice BAD[] = {
                {"Delinquent", 60}, {"Written Off", 20}, {"Settled", 15}, {"Suit Filed", 5}};
            status = pick_choice(r, BAD, N_OF(BAD));
        } else if (rng_chance(r, closed_p)) {
            status = "Closed";
            closed = 1;
        } else {
            status = "Active";
        }
        double amount = exp(log(150000.0) + 0.9 * rng_normal(r));
        long disb_amt = amount > 5e6 ? 5000000 : round_to(amount, rng_chance(r, 0.6) ? 1000 : 1);
        double bal_frac = closed ? 0.0 : sigmoid(0.3 - 0.9 * q + 0.6 * rng_normal(r));
        long cur_bal = (long)(disb_amt * bal_frac);
        long overdue = 0;
        if (!closed && rng_chance(r, sigmoid(-2.0 - 1.1 * q)))
            overdue = (long)(disb_amt * 0.08 * rng_unit(r)) + 1;
        int months = (int)rng_range(r, 1, 8);
        const char *inst_freq = pick_choice(r, INST_FREQ, N_OF(INST_FREQ));
        int has_sanc = rng_chance(r, 0.2);
        int has_inst = rng_chance(r, 0.6);
        int has_overdue = rng_chance(r, 0.8);
        int has_disb = rng_chance(r, 0.98);
        int has_lastpay = rng_chance(r, 0.85);
        double wo = rng_unit(r);
        int tenure = rng_chance(r, 0.4) ? (int)rng_range(r, 6, 84) : 0;

        line_reserve(ln, 64);
        field_n(ln, id_s, id_len);
        field(ln, self ? "TRUE" : "FALSE");
        field(ln, pick_choice(r, MATCH_TYPE, N_OF(MATCH_TYPE)));
        field(ln, pick_choice(r, ACCT_TYPE, N_OF(ACCT_TYPE)));
        field(ln, pick_choice(r, CONTRIB_TYPE, N_OF(CONTRIB_TYPE)));
        field_date(ln, reported);
        field(ln, pick_choice(r, OWNERSHIP, N_OF(OWNERSHIP)));
        field(ln, status);
        field_date(ln, disbursed);
        if (closed)
            field_date(ln, disbursed + rng_range(r, 30, reported - disbursed));
        else
            field_null(ln);
        if (has_lastpay)
            field_date(ln, reported - rng_range(r, 0, 60));
        else
            field_null(ln);
        if (has_sanc)
            field_grouped(ln, (unsigned long long)round_to(disb_amt * 1.1, 1000), NULL);
        else
            field_null(ln);
        if (has_disb)
            field_grouped(ln, (unsigned long long)disb_amt, NULL);
        else
            field_null(ln);
        if (has_inst) {
            long inst = disb_amt / (long)rng_range(r, 6, 60) + 1;
            field_grouped(ln, (unsigned long long)inst, *inst_freq ? "/Monthly" : NULL);
        } else {
            field_null(ln);
        }
        field_grouped(ln, (unsigned long long)cur_bal, NULL);
        field(ln, inst_freq);
        if (has_overdue)
            field_grouped(ln, (unsigned long long)overdue, NULL);
        else
            field_null(ln);
        if (wo < 0.18)
            field_null(ln);
        else if (wo < 0.98)
            field(ln, "0");
        else
            field_int(ln, (long long)(disb_amt * 0.3));
        field(ln, pick_choice(r, ASSET_CLASS, N_OF(ASSET_CLASS)));

        /* History columns: one entry per reported month, newest first, each
         * list ending in a comma as in the bureau extract. */
        size_t h = 0;
        for (int mo = 0; mo < months; mo++) {
            h += fmt_ymd(hist + h, month_end_before(reported, mo), 0);
            hist[h++] = ',';
        }
        field_n(ln, hist, h);
        h = 0;
        for (int mo = 0; mo < months; mo++) {
            const char *code = "000";
            if (overdue > 0 && mo < 3) {
                static const char *LATE[] = {"030", "060", "090"};
                code = LATE[rng_range(r, 0, 2)];
            } else if (rng_chance(r, 0.05)) {
                code = "XXX";
            }
            memcpy(hist + h, code, 3);
            h += 3;
        }
        field_n(ln, hist, h);
        h = 0;
        for (int mo = 0; mo < months; mo++) {
            h += fmt_u(hist + h, (unsigned long long)(cur_bal + (long)mo * (disb_amt / 48)));
            hist[h++] = ',';
        }
        field_n(ln, hist, h);
        h = 0;
        for (int mo = 0; mo < months; mo++) {
            h += fmt_u(hist + h, (unsigned long long)(mo < 3 ? overdue : 0));
            hist[h++] = ',';
        }
        field_n(ln, hist, h);
        if (rng_chance(r, 0.7)) {
            h = 0;
            for (int mo = 0; mo < months; mo++) {
                h += fmt_u(hist + h, (unsigned long long)(disb_amt / 48));
                hist[h++] = ',';
            }
            field_n(ln, hist, h);
        } else {
            field_null(ln);
        }
        if (tenure)
            field_int(ln, tenure);
        else
            field_null(ln);
        line_flush(ln, f);
    }
    *n_rows += n;
}

/* Intercept of the top-up log-odds, set so that about 17% of customers get
 * a top-up under the planted effects below (checked by the script test). */
#define TOPUP_BIAS (-2.75)

static int generate(const opts *o, long *out_bureau_rows)
{
    out cust = {0}, bur = {0};
    int rc = 1;
    if (make_dirs(o->out) != 0) {
        fprintf(stderr, "sluice gen topup: cannot create %s: %s\n", o->out, strerror(errno));
        return 1;
    }
    if (out_open(&cust, o->out, "customer.csv") != 0 ||
        out_open(&bur, o->out, "bureau.csv") != 0) {
        fprintf(stderr, "sluice gen topup: cannot write in %s: %s\n", o->out, strerror(errno));
        goto done;
    }
    fputs(CUSTOMER_HEADER, cust.f);
    fputs(BUREAU_HEADER, bur.f);

    int state_w[N_OF(STATES)];
    for (int i = 0; i < N_OF(STATES); i++)
        state_w[i] = STATES[i].weight;
    int place_w[N_OF(PLACES)];

    rng r;
    rng_seed(&r, o->seed);
    line ln = {0};
    ln.first = 1;
    int progress = !o->quiet && isatty(STDERR_FILENO);
    long bureau_rows = 0;
    static const long DISB_LO = 14975; /* 2011-01-01 */
    static const long DISB_SPAN = 2920; /* about eight years */

    for (long i = 0; i < o->customers; i++) {
        long id = i + 1;
        double q = rng_normal(&r);

        int si = rng_pick(&r, state_w, N_OF(STATES));
        for (int k = 0; k < N_OF(PLACES); k++)
            place_w[k] = strcmp(PLACES[k].state, STATES[si].name) == 0 ? PLACES[k].weight : 0;
        const place *pl = &PLACES[rng_pick(&r, place_w, N_OF(PLACES))];

        const char *freq = pick_choice(&r, FREQUENCY, N_OF(FREQUENCY));
        const char *instl = pick_choice(&r, INSTL_MODE, N_OF(INSTL_MODE));
        const char *pay = pick_choice(&r, PAYMENT_MODE, N_OF(PAYMENT_MODE));
        int tenure = rng_chance(&r, 0.9)
                         ? TENURE_V[rng_pick(&r, TENURE_W, N_OF(TENURE_W))]
                         : (int)rng_range(&r, 12, 84);
        long asset_cost = round_to(exp(log(575000.0) + 0.16 * rng_normal(&r)),
                                   rng_chance(&r, 0.7) ? 10000 : 1000);
        double ltv_target = 62.0 + 15.0 * rng_normal(&r);
        if (ltv_target < 20)
            ltv_target = 20 + rng_unit(&r) * 10;
        if (ltv_target > 95)
            ltv_target = 95 - rng_unit(&r) * 10;
        long finance = round_to(asset_cost * ltv_target / 100.0, rng_chance(&r, 0.6) ? 10000 : 1);
        if (finance < 10000)
            finance = 10000;
        long disbursal = rng_chance(&r, 0.9) ? finance : finance - rng_range(&r, 500, 15000);
        double ltv = 100.0 * (double)finance / (double)asset_cost;
        int per_year = strcmp(freq, "Monthly") == 0 ? 12 : strcmp(freq, "Quatrly") == 0 ? 4 : 2;
        int n_pay = tenure * per_year / 12;
        if (n_pay < 1)
            n_pay = 1;
        long emi = round_to(finance * (1.0 + 0.11 * tenure / 12.0) / n_pay, 100);

        long disb_day = DISB_LO + rng_range(&r, 0, DISB_SPAN);
        if (rng_chance(&r, 0.3)) { /* month-end disbursals are common */
            int y, m, d;
            civil_from_days(disb_day, &y, &m, &d);
            disb_day = days_from_civil(y, m, days_in_month(y, m));
        }
        long auth_day = rng_chance(&r, 0.9) ? disb_day : disb_day - rng_range(&r, 1, 20);
        int y, m, d;
        civil_from_days(disb_day, &y, &m, &d);
        int mi = y * 12 + (m - 1) + tenure;
        long mat_day = days_from_civil(mi / 12, mi % 12 + 1, 10);
        long closed_cut = days_from_civil(2019, 3, 31);
        int closed = mat_day < closed_cut ? rng_chance(&r, 0.95) : rng_chance(&r, 0.45);

        long asset_id = 3000000 + (id * 7919) % 11000000;
        const char *manu = pick_choice(&r, MANUFACTURER, N_OF(MANUFACTURER));
        double su = rng_unit(&r);
        long supplier = 10000 + ((long)(su * su * su * 1600) * 53) % 90000;
        double sx = rng_unit(&r);
        const char *sex = sx < 0.003 ? "" : sx < 0.045 ? "F" : "M";
        int age = (int)lround(40.0 + 10.0 * rng_normal(&r));
        if (age < 21)
            age = 21 + (int)rng_range(&r, 0, 4);
        if (age > 70)
            age = 70 - (int)rng_range(&r, 0, 4);
        int age_null = rng_chance(&r, 0.005);
        double income;
        if (rng_chance(&r, 0.5)) /* an annual figure divided by 12 */
            income = round_to(exp(log(400000.0) + 0.55 * rng_normal(&r)), 10000) / 12.0;
        else
            income = (double)round_to(exp(log(33333.0) + 0.55 * rng_normal(&r)), 1);
        if (income < 5000)
            income = 5000;
        int income_null = rng_chance(&r, 0.01);
        int area_null = rng_chance(&r, 0.037);
        int city_null = rng_chance(&r, 0.003);
        long zip = (long)pl->zip3 * 1000 + (rng_chance(&r, 0.4) ? 1 : rng_range(&r, 2, 560));

        /* The planted relation: credit quality, a closed loan, monthly
         * payers, low LTV, higher income and some States raise the odds of
         * a top-up; longer tenures push it later. */
        double z = TOPUP_BIAS + 0.9 * q + (closed ? 0.9 : -0.3) +
                   (strcmp(freq, "Monthly") == 0 ? 0.5 : 0.0) - 0.025 * (ltv - 62.0) +
                   0.5 * log(income / 33333.0) + STATES[si].effect;
        const char *label = NO_TOPUP;
        if (rng_chance(&r, sigmoid(z))) {
            double t = (tenure - 42) / 12.0, bw[N_OF(BUCKETS)], tot = 0;
            for (int k = 0; k < N_OF(BUCKETS); k++) {
                bw[k] = BUCKET_W[k] * exp(0.25 * (k - 2.5) * t);
                tot += bw[k];
            }
            double x = rng_unit(&r) * tot;
            int k = 0;
            while (k < N_OF(BUCKETS) - 1 && x >= bw[k])
                x -= bw[k++];
            label = BUCKETS[k];
        }

        field_int(&ln, id);
        field(&ln, freq);
        field(&ln, instl);
        field(&ln, closed ? "Closed" : "Active");
        field(&ln, pay);
        field_int(&ln, pl->branch);
        if (area_null)
            field_null(&ln);
        else
            field(&ln, pl->area);
        field_int(&ln, tenure);
        field_int(&ln, asset_cost);
        field_int(&ln, finance);
        field_int(&ln, disbursal);
        field_int(&ln, emi);
        field_datetime(&ln, disb_day);
        field_datetime(&ln, mat_day);
        field_datetime(&ln, auth_day);
        field_int(&ln, asset_id);
        field(&ln, manu);
        field_int(&ln, supplier);
        field_dec2(&ln, ltv);
        field(&ln, sex);
        if (age_null)
            field_null(&ln);
        else
            field_int(&ln, age);
        if (income_null)
            field_null(&ln);
        else
            field_dec2(&ln, income);
        if (city_null)
            field_null(&ln);
        else
            field(&ln, pl->city);
        field(&ln, STATES[si].name);
        field_int(&ln, zip);
        field(&ln, label);
        line_flush(&ln, cust.f);

        gen_bureau(&r, &ln, bur.f, id, q, &bureau_rows);

        if (progress && (id & 8191) == 0)
            fprintf(stderr, "\rgen topup: %ld/%ld customers", id, o->customers);
    }
    free(ln.p);
    if (progress)
        fputc('\r', stderr);
    *out_bureau_rows = bureau_rows;
    rc = 0;
done:
    if (out_close(&cust) != 0 || out_close(&bur) != 0) {
        if (rc == 0)
            fprintf(stderr, "sluice gen topup: write failed in %s: %s\n", o->out, strerror(errno));
        rc = 1;
    }
    return rc;
}

int cmd_gen_topup(int argc, char **argv)
{
    opts o = {128655, 42, ".", 0};
    /* argv[0] may be the subcommand's own name; there are no positional
     * arguments, so anything not starting with '-' there is skipped. */
    int i = (argc > 0 && argv[0][0] != '-') ? 1 : 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
#define IS(name) (name_len == strlen(name) && strncmp(a, name, name_len) == 0)
        if (IS("-h") || IS("--help")) {
            usage(stdout);
            return 0;
        }
        if (IS("--quiet")) {
            o.quiet = 1;
            continue;
        }
        if (IS("--customers") || IS("--seed") || IS("--out")) {
            val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val) {
                fprintf(stderr, "sluice gen topup: %.*s needs a value\n", (int)name_len, a);
                return 2;
            }
            uint64_t v;
            if (IS("--out")) {
                if (!*val) {
                    fprintf(stderr, "sluice gen topup: --out needs a directory\n");
                    return 2;
                }
                o.out = val;
            } else if (parse_u64(val, &v) != 0 || (IS("--customers") && (v < 1 || v > 100000000))) {
                fprintf(stderr, "sluice gen topup: bad value for %.*s: '%s'\n", (int)name_len, a, val);
                return 2;
            } else if (IS("--customers")) {
                o.customers = (long)v;
            } else {
                o.seed = v;
            }
            continue;
        }
#undef IS
        fprintf(stderr, "sluice gen topup: unknown argument '%s'\n", a);
        usage(stderr);
        return 2;
    }

    long bureau_rows = 0;
    if (generate(&o, &bureau_rows) != 0)
        return 1;
    if (!o.quiet)
        fprintf(stderr, "gen topup: wrote %ld customers to %s/customer.csv and %ld bureau rows to %s/bureau.csv\n",
                o.customers, o.out, bureau_rows, o.out);
    return 0;
}
