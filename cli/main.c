/* The `sluice` command: dispatches to a subcommand (cli.h). Every
 * subcommand is a client of include/sluice.h only. */
#include "cli.h"
#include "sluice.h"

#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sluice COMMAND [ARGS]\n"
            "\n"
            "Streaming SQL engine: Spark Structured Streaming semantics in one native binary.\n"
            "\n"
            "commands:\n"
            "  run FILE.sql [--var K=V]… [--ui ADDR]   run the sinks of a SQL script\n"
            "  explain FILE.sql [--var K=V]…           show each sink's plan and streaming properties\n"
            "  test FILE.slt|FILE.scn…                 run SQL logic tests and streaming scenarios\n"
            "  gen transactions|topup|nexmark …        generate the reference workloads' data\n"
            "  broker [--topics T:N,…]                 the embedded Kafka broker (mock cluster)\n"
            "  produce …                               send CSV / JSON lines to Kafka\n"
            "  consume …                               print a Kafka topic\n"
            "\n"
            "`sluice COMMAND --help` describes each command; `sluice --version` prints the version.\n");
}

int cmd_gen(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: sluice gen KIND [ARGS]\n"
                "  transactions --listen HOST:PORT [--rate N] [--seed S] [--count N]   the lecture's producer\n"
                "  topup --customers N --seed S --out DIR                           the top-up CSVs\n"
                "  nexmark --events N --out DIR                                     Nexmark events\n");
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "transactions")) return cmd_gen_transactions(argc - 1, argv + 1);
    if (!strcmp(argv[1], "topup")) return cmd_gen_topup(argc - 1, argv + 1);
    if (!strcmp(argv[1], "nexmark")) return cmd_gen_nexmark(argc - 1, argv + 1);
    fprintf(stderr, "sluice gen: unknown kind '%s' (transactions, topup, nexmark)\n", argv[1]);
    return 2;
}

/* Every micro-batch allocates its columns (a few MB) and frees them at the
 * end.  glibc's default gives the freed top of the heap back to the kernel
 * (its trim threshold adapts only up to twice the largest freed mmap'd
 * block), so the next batch page-faults the same memory back in: about a
 * third of the CPU time of Nexmark q1/q2 on this project's VMs
 * (docs/BENCHMARKS.md, Nexmark).  The process keeps up to 64 MB of free heap
 * for reuse instead and serves blocks under 32 MB from the heap. */
static void tune_malloc(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

int main(int argc, char **argv)
{
    tune_malloc();
    if (argc < 2) { usage(stderr); return 2; }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) { usage(stdout); return 0; }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) { printf("sluice %s\n", sl_version_str()); return 0; }
    static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
        {"run", cmd_run}, {"explain", cmd_explain}, {"test", cmd_test}, {"gen", cmd_gen},
        {"broker", cmd_broker}, {"produce", cmd_produce}, {"consume", cmd_consume},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmd, cmds[i].name)) return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "sluice: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
