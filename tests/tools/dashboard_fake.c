/* A dashboard server fed by a fake provider, for the dashboard script and
 * browser tests: it starts sl_http_start on the given address, prints the
 * URL it serves on stdout, and runs until SIGTERM/SIGINT.  The provider
 * stands in for the driver: every call advances one micro-batch, so each
 * poll of /api/queries sees new progress reports (charts move) and a new
 * per-batch State count (the map fills in) without any clock.
 *
 *   dashboard_fake [--addr HOST:PORT] [--token T] [--no-data] [--start N]
 *   dashboard_fake --fault-loop     (allocation-failure test, see below)
 */
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"
#include "http/http.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct fake {
    pthread_mutex_t mu;
    long tick;      /* batches completed so far */
    int no_data;
} fake;

static const char *STATES[] = {"MADHYA PRADESH", "RAJASTHAN", "MAHARASHTRA", "ANDHRA PRADESH",
                               "GUJARAT", "HARYANA", "KARNATAKA", "PUNJAB", "UTTARAKHAND",
                               "UTTAR PRADESH", "ORISSA", "CHATTISGARH", "TELANGANA",
                               "WEST BENGAL", "BIHAR"};
#define N_STATES ((long)(sizeof STATES / sizeof STATES[0]))

static void iso(sl_buf *b, long long secs)
{
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    char s[40];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    sl_buf_printf(b, "\"%s\"", s);
}

static const long long T0 = 1665698293; /* 2022-10-13T21:58:13Z, the reference's run */

/* Customers in a batch: 10-30 as the reference's producer sends, varying
 * smoothly so the charts look like a real run. */
static long batch_rows(long q, long batch)
{
    return 20 + lround(7 * sin((batch + 3 * q) / 5.0) + 3 * sin(batch / 1.7));
}

static void progress(sl_buf *b, const char *name, long q, long batch)
{
    long rows = batch_rows(q, batch);
    long rows_b = rows * 7;                               /* their bureau rows */
    double in_rps = (rows + rows_b) / 5.0;
    long trig = 40 + (long)(30 * (1 + sin(batch / 3.0)));
    double proc_rps = (rows + rows_b) * 1000.0 / trig;
    long long now = T0 + 5 * batch;
    sl_buf_printf(b, "{\"id\":\"00000000-0000-4000-8000-00000000000%ld\",\"runId\":\"10000000-0000-4000-8000-00000000000%ld\",", q, q);
    sl_buf_printf(b, "\"name\":\"%s\",\"timestamp\":", name);
    iso(b, now + 3);
    sl_buf_printf(b, ",\"batchId\":%ld,\"numInputRows\":%ld,\"inputRowsPerSecond\":%.1f,"
                     "\"processedRowsPerSecond\":%.1f,",
                  batch, rows + rows_b, in_rps, proc_rps);
    sl_buf_printf(b, "\"durationMs\":{\"triggerExecution\":%ld,\"addBatch\":%ld,\"getBatch\":3,\"walCommit\":6},",
                  trig, trig - 12);
    sl_buf_puts(b, "\"eventTime\":{\"watermark\":");
    iso(b, now - 5);
    sl_buf_puts(b, ",\"max\":");
    iso(b, now);
    sl_buf_puts(b, ",\"min\":");
    iso(b, now - 4);
    sl_buf_printf(b, "},\"stateOperators\":[{\"operatorName\":\"stateStoreSave\",\"numRowsTotal\":%ld,"
                     "\"numRowsUpdated\":%ld,\"numRowsDroppedByWatermark\":%ld,\"memoryUsedBytes\":%ld},"
                     "{\"operatorName\":\"symmetricHashJoin\",\"numRowsTotal\":%ld,\"numRowsUpdated\":%ld,"
                     "\"numRowsDroppedByWatermark\":0,\"memoryUsedBytes\":%ld}],",
                  150 + lround(40 * sin(batch / 9.0)) + rows, rows, (batch % 9 == 4) ? batch % 7 + 1 : 0,
                  4096 + rows * 6 * 180,
                  rows * 2, rows, 2048 + rows * 2 * 400);
    long off_c = 0, off_b = 0;
    for (long i = 0; i <= batch; i++) {
        long r = batch_rows(q, i);
        off_c += r;
        off_b += r * 7;
    }
    sl_buf_printf(b, "\"sources\":[{\"description\":\"KafkaV2[Subscribe[customer_data]]\","
                     "\"startOffset\":{\"customer_data\":{\"0\":%ld}},\"endOffset\":{\"customer_data\":{\"0\":%ld}},"
                     "\"numInputRows\":%ld,\"inputRowsPerSecond\":%.1f,\"processedRowsPerSecond\":%.1f},",
                  off_c - rows, off_c, rows, rows / 5.0, rows * 1000.0 / trig);
    sl_buf_printf(b, "{\"description\":\"KafkaV2[Subscribe[bureau_data]]\","
                     "\"startOffset\":{\"bureau_data\":{\"0\":%ld}},\"endOffset\":{\"bureau_data\":{\"0\":%ld}},"
                     "\"numInputRows\":%ld,\"inputRowsPerSecond\":%.1f,\"processedRowsPerSecond\":%.1f}],",
                  off_b - rows_b, off_b, rows_b, rows_b / 5.0, rows_b * 1000.0 / trig);
    if (q == 0)
        sl_buf_printf(b, "\"sink\":{\"description\":\"ParquetSink[out/predictions]\",\"numOutputRows\":%ld}}",
                      rows);
    else
        sl_buf_printf(b, "\"sink\":{\"description\":\"KafkaSink[Statewide_customer_count]\",\"numOutputRows\":%ld}}",
                      3 + batch % 5);
}

/* The State counts a batch publishes: 3-7 States, rotating through the
 * list, counts derived from the batch id. */
static void state_rows(sl_buf *b, long batch)
{
    long n = 3 + batch % 5;
    for (long i = 0; i < n; i++) {
        long s = (batch * 4 + i * 3) % N_STATES;
        long cnt = 1 + (batch * 13 + s * 7) % 12 + (s == 0 ? 6 : 0);
        sl_buf_printf(b, "%s[\"%s\",%ld]", i ? "," : "", STATES[s], cnt);
    }
}

static char *provide(void *ctx)
{
    fake *f = ctx;
    if (f->no_data)
        return NULL;
    pthread_mutex_lock(&f->mu);
    long n = ++f->tick;
    pthread_mutex_unlock(&f->mu);

    sl_buf b;
    sl_buf_init(&b);
    sl_buf_puts(&b, "{\"queries\":[");
    static const char *NAMES[] = {"predictions", "statewide_counts"};
    for (long q = 0; q < 2; q++) {
        sl_buf_printf(&b, "%s{\"name\":\"%s\",\"id\":\"00000000-0000-4000-8000-00000000000%ld\","
                          "\"runId\":\"10000000-0000-4000-8000-00000000000%ld\",\"status\":\"running\","
                          "\"error\":null,\"progress\":[",
                      q ? "," : "", NAMES[q], q, q);
        long first = n > 300 ? n - 300 : 0;
        for (long batch = first; batch < n; batch++) {
            if (batch > first)
                sl_buf_putc(&b, ',');
            progress(&b, NAMES[q], q, batch);
        }
        sl_buf_printf(&b, "],\"latest\":{\"batchId\":%ld,", n - 1);
        if (q == 0) {
            sl_buf_puts(&b, "\"columns\":[\"ID\",\"window_start\",\"window_end\",\"ts\",\"prediction\",\"Top-up_Month\"],\"rows\":[");
            for (long i = 0; i < 5; i++) {
                long long ws = T0 + 5 * (n - 1) - 30 + 0;
                sl_buf_printf(&b, "%s[\"%ld\",", i ? "," : "", 1000 + (n * 5 + i) % 128655);
                iso(&b, ws - ws % 30);
                sl_buf_putc(&b, ',');
                iso(&b, ws - ws % 30 + 30);
                sl_buf_putc(&b, ',');
                iso(&b, ws - ws % 30 + 7 + i);
                sl_buf_printf(&b, ",%s,\"%s\"]", (n + i) % 4 == 0 ? "1.0" : "0.0",
                              (n + i) % 4 == 0 ? " > 48 Months" : "No Top-up Service");
            }
            sl_buf_puts(&b, "]}}");
        } else {
            sl_buf_puts(&b, "\"columns\":[\"State\",\"target_customers\"],\"rows\":[");
            state_rows(&b, n - 1);
            sl_buf_puts(&b, "]}}");
        }
    }
    sl_buf_puts(&b, "]}");
    return sl_buf_take(&b);
}

/* Fails every allocation of sl_http_metrics_render and sl_http_start in
 * turn (SQLite's fault-injection loop): each must end in SL_OK or a clean
 * SL_ERR_NOMEM, never a crash, and (under ASan) never a leak.  Prints
 * "N passed, N failed". */
static int fault_loop(void)
{
    fake f = {PTHREAD_MUTEX_INITIALIZER, 40, 0};
    char *json = provide(&f);
    if (!json) {
        fprintf(stderr, "fault loop: provider failed without faults\n");
        return 1;
    }
    long passed = 0, failed = 0, n_ok = 0;
    for (long n = 1; n < 100000; n++) {
        sl_error err = {0};
        char *text = NULL;
        sl_mem_fault_arm(n, 0);
        sl_status st = sl_http_metrics_render(json, strlen(json), &text, &err);
        long hits = sl_mem_fault_hits();
        sl_mem_fault_arm(0, 0);
        if (st == SL_OK) {
            if (!text || !strstr(text, "sluice_source_end_offset")) failed++; else passed++;
        } else if (st == SL_ERR_NOMEM && !text && hits > 0) {
            passed++;
        } else {
            fprintf(stderr, "metrics fault %ld: status %d (%s), hits %ld\n", n, st, err.msg, hits);
            failed++;
        }
        sl_free(text);
        if (hits == 0) { /* the whole call ran without reaching the n-th allocation */
            n_ok = n;
            break;
        }
    }
    for (long n = 1; n < 1000; n++) {
        sl_error err = {0};
        sl_http_server *srv = NULL;
        sl_mem_fault_arm(n, 0);
        sl_status st = sl_http_start("127.0.0.1:0", "tok", provide, &f, &srv, &err);
        long hits = sl_mem_fault_hits();
        sl_mem_fault_arm(0, 0);
        if ((st == SL_OK && srv) || (st == SL_ERR_NOMEM && !srv && hits > 0)) passed++;
        else { fprintf(stderr, "start fault %ld: status %d (%s)\n", n, st, err.msg); failed++; }
        sl_http_stop(srv);
        if (hits == 0)
            break;
    }
    sl_free(json);
    printf("fault loop: metrics rendering survived %ld allocation faults\n", n_ok - 1);
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--fault-loop") == 0)
        return fault_loop();
    const char *addr = "127.0.0.1:0", *token = NULL;
    fake f = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--addr") == 0 && i + 1 < argc)
            addr = argv[++i];
        else if (strcmp(argv[i], "--token") == 0 && i + 1 < argc)
            token = argv[++i];
        else if (strcmp(argv[i], "--no-data") == 0)
            f.no_data = 1;
        else if (strcmp(argv[i], "--start") == 0 && i + 1 < argc)
            f.tick = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: dashboard_fake [--addr HOST:PORT] [--token T] [--no-data] [--start N]\n");
            return 2;
        }
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the server thread inherits the mask */

    sl_error err = {0};
    sl_http_server *srv;
    if (sl_http_start(addr, token, provide, &f, &srv, &err) != SL_OK) {
        fprintf(stderr, "dashboard_fake: %s\n", err.msg);
        return 1;
    }
    printf("listening on port %u\n", sl_http_port(srv));
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    sl_http_stop(srv);
    return 0;
}
