/* `sluice run` and `sluice explain`: load a SQL script into an engine and
 * run its sinks (or print their plans).  Exit codes: 0 done or stopped by
 * SIGINT/SIGTERM (the current batch finishes first), 1 a runtime failure,
 * 2 a usage, SQL or planning error (nothing started). */
#include "cli.h"
#include "sluice.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sl_engine *g_engine;
static volatile sig_atomic_t g_stop_early; /* a signal while loading */

static void on_signal(int sig)
{
    (void)sig;
    if (g_engine) sl_engine_stop(g_engine);
    else g_stop_early = 1;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static char *read_file(const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; }
            else buf = nb;
        }
    }
    if (f != stdin) fclose(f);
    if (buf) buf[n] = 0;
    return buf;
}

typedef struct run_args {
    const char *file, *ui, *token;
    int quiet;
} run_args;

static int usage(const char *cmd, FILE *f)
{
    fprintf(f,
            "usage: sluice %s FILE.sql [--var NAME=VALUE]… %s[--quiet]\n"
            "\n"
            "%s\n"
            "  --var NAME=VALUE   fills ${NAME} in the SQL (else the environment is used)\n"
            "%s"
            "  --quiet            no progress lines on stderr\n",
            cmd, !strcmp(cmd, "run") ? "[--ui HOST:PORT [--token T]] " : "",
            !strcmp(cmd, "run") ? "Runs every CREATE SINK of the script until its sources end or Ctrl-C."
                                : "Prints each sink's plan with its streaming properties; runs nothing.",
            !strcmp(cmd, "run") ? "  --ui HOST:PORT     serve the live dashboard (loopback unless --token)\n"
                                  "  --token T          required to bind the dashboard beyond loopback\n"
                                : "");
    return f == stdout ? 0 : 2;
}

/* Parses arguments and loads the script; returns 0 with *out_eng, or an
 * exit code. */
static int load(const char *cmd, int argc, char **argv, run_args *ra, sl_engine **out_eng)
{
    sl_config *conf = sl_config_new();
    sl_error *err = sl_error_new();
    int rc = 0;
    if (!conf || !err) { fprintf(stderr, "sluice: out of memory\n"); rc = 1; goto out; }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { rc = usage(cmd, stdout); if (!rc) rc = -1; goto out; }
        if (!strcmp(a, "--var") || !strcmp(a, "-v")) {
            if (++i >= argc || !strchr(argv[i], '=')) { fprintf(stderr, "sluice %s: --var needs NAME=VALUE\n", cmd); rc = 2; goto out; }
            char key[512];
            const char *eq = strchr(argv[i], '=');
            snprintf(key, sizeof key, "var.%.*s", (int)(eq - argv[i]), argv[i]);
            if (sl_config_set(conf, key, eq + 1, err)) { rc = 2; goto out; }
        } else if (!strcmp(a, "--ui") && !strcmp(cmd, "run")) {
            if (++i >= argc) { fprintf(stderr, "sluice run: --ui needs HOST:PORT\n"); rc = 2; goto out; }
            ra->ui = argv[i];
        } else if (!strcmp(a, "--token") && !strcmp(cmd, "run")) {
            if (++i >= argc) { fprintf(stderr, "sluice run: --token needs a value\n"); rc = 2; goto out; }
            ra->token = argv[i];
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            ra->quiet = 1;
            sl_config_set(conf, "progress", "false", err);
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "sluice %s: unknown option %s\n\n", cmd, a);
            rc = usage(cmd, stderr);
            goto out;
        } else if (!ra->file) {
            ra->file = a;
        } else {
            fprintf(stderr, "sluice %s: one script at a time (got %s and %s)\n", cmd, ra->file, a);
            rc = 2;
            goto out;
        }
    }
    if (!ra->file) { rc = usage(cmd, stderr); goto out; }
    char *sql = read_file(ra->file);
    if (!sql) { fprintf(stderr, "sluice %s: cannot read %s: %s\n", cmd, ra->file, strerror(errno)); rc = 2; goto out; }
    sl_engine *eng = NULL;
    if (sl_engine_new(conf, &eng, err) || sl_engine_exec(eng, sql, ra->file, err)) {
        fprintf(stderr, "sluice: %s\n", sl_error_message(err));
        sl_engine_free(eng);
        rc = sl_error_code(err) == SL_ERR_NOMEM ? 1 : 2;
    } else {
        *out_eng = eng;
    }
    free(sql);
out:
    sl_error_free(err);
    sl_config_free(conf);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    run_args ra = {0};
    sl_engine *eng = NULL;
    /* Caught from the start: SIGTERM while a long script loads (a model,
     * a checkpoint's state) still ends with exit 0 and nothing half-done. */
    catch_signals();
    int rc = load("run", argc, argv, &ra, &eng);
    if (rc) return rc < 0 ? 0 : rc;
    sl_error *err = sl_error_new();
    if (ra.ui) {
        int port = 0;
        if (sl_engine_serve_ui(eng, ra.ui, ra.token, &port, err)) {
            fprintf(stderr, "sluice: dashboard: %s\n", sl_error_message(err));
            sl_error_free(err);
            sl_engine_free(eng);
            return 2;
        }
        const char *colon = strrchr(ra.ui, ':');
        fprintf(stderr, "sluice: dashboard at http://%.*s:%d/\n", colon ? (int)(colon - ra.ui) : 9,
                colon ? ra.ui : "127.0.0.1", port);
    }
    g_engine = eng;
    if (g_stop_early) sl_engine_stop(eng);
    if (sl_engine_run(eng, err)) {
        fprintf(stderr, "sluice: %s\n", sl_error_message(err));
        rc = sl_error_code(err) == SL_ERR_PLAN || sl_error_code(err) == SL_ERR_CONFIG ? 2 : 1;
    }
    g_engine = NULL;
    sl_engine_free(eng);
    sl_error_free(err);
    return rc;
}

int cmd_explain(int argc, char **argv)
{
    run_args ra = {0};
    sl_engine *eng = NULL;
    int rc = load("explain", argc, argv, &ra, &eng);
    if (rc) return rc < 0 ? 0 : rc;
    sl_error *err = sl_error_new();
    char *text = NULL;
    if (sl_engine_explain(eng, &text, err)) {
        fprintf(stderr, "sluice: %s\n", sl_error_message(err));
        rc = 1;
    } else {
        fputs(text, stdout);
    }
    sl_free_string(text);
    sl_error_free(err);
    sl_engine_free(eng);
    return rc;
}
