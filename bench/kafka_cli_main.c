/* A stand-in `sluice` for the Kafka subcommands (broker, produce, consume)
 * while cli/main.c does not dispatch them yet: the Kafka script tests and
 * bench/kafka.sh build it against libsluice.a when $SLUICE does not know
 * `broker`.  Remove once cli/main.c dispatches cmd_broker/cmd_produce/
 * cmd_consume. */
#include "sluice.h"
#include "../cli/cli.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s broker|produce|consume ...\n", argv[0]);
        return 2;
    }
    if (!strcmp(argv[1], "broker")) return cmd_broker(argc - 2, argv + 2);
    if (!strcmp(argv[1], "produce")) return cmd_produce(argc - 2, argv + 2);
    if (!strcmp(argv[1], "consume")) return cmd_consume(argc - 2, argv + 2);
    fprintf(stderr, "%s: unknown command '%s'\n", argv[0], argv[1]);
    return 2;
}
