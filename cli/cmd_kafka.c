/* `sluice broker`, `sluice produce` and `sluice consume`: thin command-line
 * faces of the Kafka tools in the library (sl_kafka_broker_*, sl_kafka_produce,
 * sl_kafka_consume in include/sluice.h).  They parse flags, handle signals
 * and print; the Kafka work is the library's. */
#include "sluice.h"
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int g_stop;
/* `sluice broker`: SIGUSR1 takes the brokers down, SIGUSR2 brings them up
 * (for outage tests); the handler only records the request. */
static volatile int g_down_req, g_up_req;

static void on_usr(int sig)
{
    if (sig == SIGUSR1) g_down_req = 1;
    else g_up_req = 1;
}

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* "5s", "500ms", "2m", "1h", "1.5" (seconds) → milliseconds; -1 if bad. */
static long long parse_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0) return -1;
    while (*end == ' ') end++;
    double mul = 1000;
    if (!*end || !strcmp(end, "s") || !strncmp(end, "sec", 3)) mul = 1000;
    else if (!strcmp(end, "ms")) mul = 1;
    else if (!strcmp(end, "m") || !strncmp(end, "min", 3)) mul = 60000;
    else if (!strcmp(end, "h") || !strncmp(end, "hour", 4)) mul = 3600000;
    else return -1;
    return (long long)(v * mul);
}

static const char *default_bootstrap(void)
{
    const char *bs = getenv("SLUICE_KAFKA");
    if (!bs || !*bs) bs = getenv("KAFKA");
    return bs && *bs ? bs : NULL;
}

/* Takes the value of flag argv[*i] ("--x v" or "--x=v"); NULL if missing. */
static const char *flag_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "sluice: %s needs a value\n", name);
        exit(2);
    }
    return argv[++*i];
}

static int fail(sl_error *err)
{
    fprintf(stderr, "sluice: %s\n", sl_error_message(err));
    sl_error_free(err);
    return 1;
}

/* ---- broker -------------------------------------------------------------- */

static void broker_usage(FILE *f)
{
    fprintf(f,
            "usage: sluice broker [--topics name[:partitions],...] [--port-file FILE]\n"
            "                     [--port N] [--brokers N]\n"
            "Runs an embedded Kafka broker (librdkafka's mock cluster) on loopback until\n"
            "SIGINT/SIGTERM, and prints its bootstrap address (also written atomically to\n"
            "--port-file once the broker listens). The brokers' own ports are chosen by\n"
            "the system (librdkafka 2.0.2 cannot choose them); --port N adds a bootstrap\n"
            "address 127.0.0.1:N (e.g. 9092) relayed to them, which is then printed.\n"
            "Topics not created up front are created on first use with 4 partitions.\n"
            "The mock cluster keeps about the last 5 MB (or 100000 messages) of each\n"
            "partition; older messages are deleted as retention would.\n"
            "SIGUSR1 takes the broker down (connections dropped and refused), SIGUSR2\n"
            "brings it back: for outage tests.\n");
}

static int write_port_file(const char *path, const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    int bad = fprintf(f, "%s\n", text) < 0;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int cmd_broker(int argc, char **argv)
{
    const char *topics = NULL, *port_file = NULL, *v;
    int n_brokers = 1, port = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            broker_usage(stdout);
            return 0;
        } else if ((v = flag_value(argc, argv, &i, "--topics"))) topics = v;
        else if ((v = flag_value(argc, argv, &i, "--port-file"))) port_file = v;
        else if ((v = flag_value(argc, argv, &i, "--brokers"))) n_brokers = atoi(v);
        else if ((v = flag_value(argc, argv, &i, "--port"))) port = atoi(v);
        else {
            fprintf(stderr, "sluice broker: unknown argument '%s'\n", argv[i]);
            broker_usage(stderr);
            return 2;
        }
    }
    catch_signals();
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb = NULL;
    if (sl_kafka_broker_new(n_brokers, &kb, err)) return fail(err);
    if ((port && sl_kafka_broker_listen(kb, port, err)) ||
        (topics && sl_kafka_broker_create_topics(kb, topics, err))) {
        sl_kafka_broker_free(kb);
        return fail(err);
    }
    const char *bs = sl_kafka_broker_bootstraps(kb);
    if (port_file && write_port_file(port_file, bs)) {
        fprintf(stderr, "sluice broker: cannot write %s: %s\n", port_file, strerror(errno));
        sl_kafka_broker_free(kb);
        sl_error_free(err);
        return 1;
    }
    printf("%s\n", bs);
    fflush(stdout);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    /* Signals are blocked except inside sigsuspend, so none slips in
     * between a check of the flags and the wait. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, &old);
    while (!g_stop) {
        if (!g_down_req && !g_up_req) sigsuspend(&old);
        if (g_down_req) {
            g_down_req = 0;
            if (sl_kafka_broker_set_down(kb, 1, err)) fprintf(stderr, "sluice broker: %s\n", sl_error_message(err));
            else fprintf(stderr, "sluice broker: down\n");
        }
        if (g_up_req) {
            g_up_req = 0;
            if (sl_kafka_broker_set_down(kb, 0, err)) fprintf(stderr, "sluice broker: %s\n", sl_error_message(err));
            else fprintf(stderr, "sluice broker: up\n");
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    sl_kafka_broker_free(kb);
    if (port_file) unlink(port_file);
    sl_error_free(err);
    return 0;
}

/* ---- produce ------------------------------------------------------------- */

static void produce_usage(FILE *f)
{
    fprintf(f,
            "usage: sluice produce --topic T [FILE] | --topic T=FILE ... [options]\n"
            "Replays CSV (with a header; values sent as JSON strings) or JSON-lines files\n"
            "into Kafka topics.\n"
            "  --bootstrap H:P        brokers (default: $SLUICE_KAFKA, then $KAFKA)\n"
            "  --format json|json-array   a message per row (default) or per batch\n"
            "  --group-by COL         batches hold whole groups of consecutive COL values;\n"
            "                         with several --topic T=FILE, all files advance\n"
            "                         together by the same IDs\n"
            "  --batch N | N-M        rows (or groups) per batch, drawn in [N, M]\n"
            "  --ts now               add \"ts\": the send time in epoch seconds\n"
            "  --interval DUR         pause between batches (e.g. 5s, 200ms)\n"
            "  --rate N               at most N messages per second\n"
            "  --loop                 start again at the end of the files\n"
            "  --max-batches N        stop after N batches\n"
            "  --seed N               seed for batch sizes (default 42)\n"
            "  --connect-timeout DUR  wait this long for the broker (default 10s)\n");
}

static int64_t g_last_progress;

static void progress_line(int64_t batches, int64_t messages, int64_t rows, void *opaque)
{
    (void)opaque;
    g_last_progress = batches;
    fprintf(stderr, "\rsent %lld batches, %lld messages, %lld rows", (long long)batches,
            (long long)messages, (long long)rows);
}

int cmd_produce(int argc, char **argv)
{
    sl_kafka_produce_opts po;
    sl_kafka_produce_opts_init(&po);
    po.bootstrap = default_bootstrap();
    const char **topics = calloc((size_t)argc + 1, sizeof *topics);
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    char **owned = calloc((size_t)argc + 1, sizeof *owned);
    int n = 0, n_owned = 0, rc = 2;
    if (!topics || !files || !owned) {
        fprintf(stderr, "sluice: out of memory\n");
        return 1;
    }
    const char *v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            produce_usage(stdout);
            rc = 0;
            goto out;
        } else if ((v = flag_value(argc, argv, &i, "--topic"))) {
            const char *eq = strchr(v, '=');
            if (eq) {
                char *t = strndup(v, (size_t)(eq - v));
                owned[n_owned++] = t;
                topics[n] = t;
                files[n++] = eq + 1;
            } else {
                topics[n] = v;
                files[n++] = NULL;
            }
        } else if ((v = flag_value(argc, argv, &i, "--bootstrap"))) po.bootstrap = v;
        else if ((v = flag_value(argc, argv, &i, "--format"))) po.format = v;
        else if ((v = flag_value(argc, argv, &i, "--group-by"))) po.group_by = v;
        else if ((v = flag_value(argc, argv, &i, "--batch"))) {
            char *end;
            po.batch_min = po.batch_max = (int)strtol(v, &end, 10);
            if (*end == '-') po.batch_max = (int)strtol(end + 1, &end, 10);
            if (*end || po.batch_min < 1 || po.batch_max < po.batch_min) {
                fprintf(stderr, "sluice produce: --batch wants N or N-M, not '%s'\n", v);
                goto out;
            }
        } else if ((v = flag_value(argc, argv, &i, "--ts"))) {
            if (strcmp(v, "now")) {
                fprintf(stderr, "sluice produce: --ts only knows 'now'\n");
                goto out;
            }
            po.ts_now = 1;
        } else if ((v = flag_value(argc, argv, &i, "--interval"))) {
            if ((po.interval_ms = parse_ms(v)) < 0) {
                fprintf(stderr, "sluice produce: bad --interval '%s'\n", v);
                goto out;
            }
        } else if ((v = flag_value(argc, argv, &i, "--connect-timeout"))) {
            if ((po.connect_timeout_ms = parse_ms(v)) < 0) {
                fprintf(stderr, "sluice produce: bad --connect-timeout '%s'\n", v);
                goto out;
            }
        } else if ((v = flag_value(argc, argv, &i, "--rate"))) po.rate = atof(v);
        else if ((v = flag_value(argc, argv, &i, "--max-batches"))) po.max_batches = atoll(v);
        else if ((v = flag_value(argc, argv, &i, "--seed"))) po.seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--loop")) po.loop = 1;
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "sluice produce: unknown flag '%s'\n", a);
            produce_usage(stderr);
            goto out;
        } else {
            /* A file for the last topic without one. */
            int k = 0;
            while (k < n && files[k]) k++;
            if (k == n) {
                fprintf(stderr, "sluice produce: '%s': which --topic is it for?\n", a);
                goto out;
            }
            files[k] = a;
        }
    }
    if (n == 0) {
        produce_usage(stderr);
        goto out;
    }
    for (int k = 0; k < n; k++)
        if (!files[k]) {
            if (n > 1) {
                fprintf(stderr, "sluice produce: no file for topic '%s'\n", topics[k]);
                goto out;
            }
            files[k] = "-";
        }
    if (!po.bootstrap) {
        fprintf(stderr, "sluice produce: no broker: give --bootstrap or set SLUICE_KAFKA\n");
        goto out;
    }
    po.n_inputs = n;
    po.topics = topics;
    po.files = files;
    if (isatty(2)) po.progress = progress_line;
    catch_signals();
    sl_error *err = sl_error_new();
    sl_status st = sl_kafka_produce(&po, &g_stop, err);
    if (po.progress && g_last_progress) fputc('\n', stderr);
    rc = st ? fail(err) : 0;
    if (!st) sl_error_free(err);
out:
    for (int k = 0; k < n_owned; k++) free(owned[k]);
    free(owned);
    free(topics);
    free(files);
    return rc;
}

/* ---- consume ------------------------------------------------------------- */

static void consume_usage(FILE *f)
{
    fprintf(f,
            "usage: sluice consume --topic T [--bootstrap H:P] [--from-beginning|--from-end]\n"
            "                      [--max N] [--timeout DUR] [--format text|json]\n"
            "Prints a topic's messages, one per line: key<TAB>value (text, the default)\n"
            "or a JSON object with topic, partition, offset, timestamp, key and value.\n"
            "--timeout stops after that long without a new message.\n");
}

static void put_json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\n') fputs("\\n", stdout);
        else if (c == '\t') fputs("\\t", stdout);
        else if (c == '\r') fputs("\\r", stdout);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static int print_msg(const char *topic, int32_t partition, int64_t offset, int64_t ts_ms,
                     const char *key, size_t key_len, const char *value, size_t value_len,
                     void *opaque)
{
    int json = *(int *)opaque;
    if (json) {
        fputs("{\"topic\":", stdout);
        put_json_str(topic, strlen(topic));
        printf(",\"partition\":%d,\"offset\":%lld,\"timestamp\":%lld,\"key\":", (int)partition,
               (long long)offset, (long long)ts_ms);
        if (key) put_json_str(key, key_len);
        else fputs("null", stdout);
        fputs(",\"value\":", stdout);
        if (value) put_json_str(value, value_len);
        else fputs("null", stdout);
        fputs("}\n", stdout);
    } else {
        if (key) fwrite(key, 1, key_len, stdout);
        putchar('\t');
        if (value) fwrite(value, 1, value_len, stdout);
        putchar('\n');
    }
    fflush(stdout);
    return 0;
}

int cmd_consume(int argc, char **argv)
{
    sl_kafka_consume_opts co;
    memset(&co, 0, sizeof co);
    co.bootstrap = default_bootstrap();
    co.connect_timeout_ms = 10000;
    int json = 0;
    const char *v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            consume_usage(stdout);
            return 0;
        } else if ((v = flag_value(argc, argv, &i, "--topic"))) co.topic = v;
        else if ((v = flag_value(argc, argv, &i, "--bootstrap"))) co.bootstrap = v;
        else if ((v = flag_value(argc, argv, &i, "--max"))) co.max = atoll(v);
        else if ((v = flag_value(argc, argv, &i, "--timeout"))) {
            long long ms = parse_ms(v);
            if (ms < 0) {
                fprintf(stderr, "sluice consume: bad --timeout '%s'\n", v);
                return 2;
            }
            co.timeout_ms = ms;
        } else if ((v = flag_value(argc, argv, &i, "--connect-timeout"))) {
            long long ms = parse_ms(v);
            if (ms < 0) {
                fprintf(stderr, "sluice consume: bad --connect-timeout '%s'\n", v);
                return 2;
            }
            co.connect_timeout_ms = ms;
        } else if ((v = flag_value(argc, argv, &i, "--format"))) {
            if (!strcmp(v, "json")) json = 1;
            else if (!strcmp(v, "text")) json = 0;
            else {
                fprintf(stderr, "sluice consume: --format is text or json\n");
                return 2;
            }
        } else if (!strcmp(a, "--from-beginning")) co.from_end = 0;
        else if (!strcmp(a, "--from-end")) co.from_end = 1;
        else if (a[0] != '-' && !co.topic) co.topic = a;
        else {
            fprintf(stderr, "sluice consume: unknown argument '%s'\n", a);
            consume_usage(stderr);
            return 2;
        }
    }
    if (!co.topic) {
        consume_usage(stderr);
        return 2;
    }
    if (!co.bootstrap) {
        fprintf(stderr, "sluice consume: no broker: give --bootstrap or set SLUICE_KAFKA\n");
        return 2;
    }
    catch_signals();
    sl_error *err = sl_error_new();
    if (sl_kafka_consume(&co, print_msg, &json, &g_stop, err)) return fail(err);
    sl_error_free(err);
    return 0;
}
