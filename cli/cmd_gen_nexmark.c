/* `sluice gen nexmark`: writes the Nexmark benchmark's events as JSON lines
 * files (person.json, auction.json, bid.json), the same events the
 * connector = 'nexmark' source produces in process — for loading into other
 * systems (DuckDB, the result checks of make bench-nexmark) or a file
 * source.  A client of include/sluice.h only. */
#include "sluice.h"
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sluice gen nexmark --events N --out DIR [--rate EVENTS_PER_SECOND]\n"
            "\n"
            "Writes events 0..N-1 of the Nexmark generator (Flink nexmark's distributions,\n"
            "seeded per event id, so every run writes the same events) as JSON lines:\n"
            "  DIR/person.json   id, name, emailAddress, creditCard, city, state, dateTime, extra\n"
            "  DIR/auction.json  id, itemName, description, initialBid, reserve, dateTime,\n"
            "                    expires, seller, category, extra\n"
            "  DIR/bid.json      auction, bidder, price, channel, url, dateTime, extra\n"
            "Events are persons, auctions and bids in proportions 1 : 3 : 46.\n"
            "\n"
            "  --events N     number of events of all kinds (required)\n"
            "  --out DIR      output directory, created if missing (required)\n"
            "  --rate R       event-time rate: event i is at 2015-07-15 00:00:00 + i/R s\n"
            "                 (default 10000, as Flink nexmark)\n"
            "  --topic T      (writing to a Kafka topic is not available yet)\n");
}

static int parse_i64(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0) return -1;
    *out = v;
    return 0;
}

int cmd_gen_nexmark(int argc, char **argv)
{
    long long events = -1;
    double rate = 0;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) /* argv[0] is the command name */ {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--events") && v) {
            if (parse_i64(v, &events)) {
                fprintf(stderr, "sluice gen nexmark: --events wants a count, got '%s'\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--out") && v) {
            out = v;
            i++;
        } else if (!strcmp(a, "--rate") && v) {
            char *end;
            rate = strtod(v, &end);
            if (end == v || *end || !(rate > 0)) {
                fprintf(stderr, "sluice gen nexmark: --rate wants a positive number, got '%s'\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--topic")) {
            fprintf(stderr, "sluice gen nexmark: --topic is not available yet; use --out DIR\n");
            return 2;
        } else {
            fprintf(stderr, "sluice gen nexmark: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (events < 0 || !out) {
        usage(stderr);
        return 2;
    }
    sl_error *err = sl_error_new();
    if (!err) {
        fprintf(stderr, "sluice gen nexmark: out of memory\n");
        return 1;
    }
    int64_t counts[3];
    int rc = 0;
    if (sl_nexmark_write_json(out, (int64_t)events, rate, counts, err) != SL_OK) {
        fprintf(stderr, "sluice gen nexmark: %s\n", sl_error_message(err));
        rc = 1;
    } else {
        fprintf(stderr, "wrote %lld events to %s: %lld persons, %lld auctions, %lld bids\n",
                events, out, (long long)counts[0], (long long)counts[1], (long long)counts[2]);
    }
    sl_error_free(err);
    return rc;
}
