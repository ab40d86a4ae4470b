/* `sluice gen transactions`: the lecture's producer (utils/producer.py). A
 * TCP server that accepts one connection and streams fake card
 * transactions as JSON lines — name, surname, amount (0–1000, 2 decimals),
 * delta_t (0–10, 2 decimals), flag (1 with probability 0.2) — at --rate
 * lines a second (default 5, the lecture's 0.2 s pause).  --count N closes
 * the connection after N lines (tests); --seed makes the stream
 * reproducible; --port-file F receives the port once listening (use port 0
 * to let the system pick). */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

/* splitmix64: small, seedable, good enough for fake data */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double next_unit(uint64_t *s) { return (double)(next_u64(s) >> 11) / 9007199254740992.0; }

static int usage(FILE *f)
{
    fprintf(f, "usage: sluice gen transactions --listen HOST:PORT [--rate N] [--seed S] [--count N] "
               "[--port-file F]\n\n"
               "Serves the lecture's fake card transactions as JSON lines to the first client that connects.\n");
    return f == stdout ? 0 : 2;
}

int cmd_gen_transactions(int argc, char **argv)
{
    const char *listen_at = NULL, *port_file = NULL;
    double rate = 5;
    long long count = -1;
    uint64_t seed = (uint64_t)time(NULL);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout);
        if (!v) { fprintf(stderr, "sluice gen transactions: %s needs a value\n", a); return 2; }
        if (!strcmp(a, "--listen")) listen_at = v;
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--count")) count = atoll(v);
        else if (!strcmp(a, "--port-file")) port_file = v;
        else { fprintf(stderr, "sluice gen transactions: unknown option %s\n", a); return usage(stderr); }
        i++;
    }
    if (!listen_at || !strrchr(listen_at, ':')) return usage(stderr);
    if (rate <= 0) { fprintf(stderr, "sluice gen transactions: --rate must be positive\n"); return 2; }
    char host[256];
    const char *colon = strrchr(listen_at, ':');
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen_at), listen_at);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    int gai = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (gai) { fprintf(stderr, "sluice gen transactions: %s: %s\n", listen_at, gai_strerror(gai)); return 2; }
    int ls = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ls < 0 || bind(ls, res->ai_addr, res->ai_addrlen) || listen(ls, 5)) {
        fprintf(stderr, "sluice gen transactions: cannot listen on %s: %s\n", listen_at, strerror(errno));
        freeaddrinfo(res);
        return 1;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(ls, (struct sockaddr *)&ss, &sl);
    int port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                             : ((struct sockaddr_in6 *)&ss)->sin6_port);
    fprintf(stderr, "Now listening on port: %d\n", port);
    if (port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) || rename(tmp, port_file)) {
            fprintf(stderr, "sluice gen transactions: cannot write %s\n", port_file);
            return 1;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int c = accept(ls, NULL, NULL);
    close(ls);
    if (c < 0) { if (g_stop) return 0; fprintf(stderr, "sluice gen transactions: accept: %s\n", strerror(errno)); return 1; }
    fprintf(stderr, "Received request from a client\n");
    static const char *const first[] = {"John", "Andy", "Joe", "Alice", "Jill"};
    static const char *const last[] = {"Johnson", "Smith", "Jones", "Millers", "Darby"};
    long long sent = 0;
    long pause_ns = (long)(1e9 / rate);
    while (!g_stop && (count < 0 || sent < count)) {
        char line[256];
        double amount = (double)(int64_t)(next_unit(&seed) * 100000) / 100.0;
        double delta = (double)(int64_t)(next_unit(&seed) * 1000) / 100.0;
        int flag = next_unit(&seed) < 0.2;
        int n = snprintf(line, sizeof line,
                         "{\"name\": \"%s\", \"surname\": \"%s\", \"amount\": %.2f, \"delta_t\": %.2f, \"flag\": %d}\n",
                         first[next_u64(&seed) % 5], last[next_u64(&seed) % 5], amount, delta, flag);
        if (send(c, line, (size_t)n, 0) != n) { fprintf(stderr, "The client disconnected\n"); break; }
        sent++;
        if (count < 0 || sent < count) {
            struct timespec ts = {pause_ns / 1000000000L, pause_ns % 1000000000L};
            nanosleep(&ts, NULL);
        }
    }
    close(c);
    return 0;
}
