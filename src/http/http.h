/* The dashboard and metrics server: the http subsystem's face to the driver
 * and the CLI (`sluice run --ui ADDR`).
 *
 * The server knows nothing of queries.  The engine hands it a provider
 * callback that returns the current state of every query as one JSON text
 * (the shape is documented in docs/DASHBOARD.md: {"queries":[{name, id,
 * runId, status, error, progress:[StreamingQueryProgress…], latest:{batchId,
 * columns, rows}}]}); the server serves that text at /api/queries, derives
 * Prometheus text from it at /metrics, and serves the embedded single-page
 * front end (web/, compiled into web_assets.c) at /.  No endpoint reads or
 * writes files, and nothing but GET and HEAD is accepted.
 *
 * Binding: the default is 127.0.0.1:8080.  Binding any address that is not
 * loopback requires a token; with a token, every request must carry it as
 * `Authorization: Bearer <token>` or `?token=<token>`.  Without a token
 * (loopback only) the Host header must name a loopback host, so a web page
 * elsewhere cannot read the dashboard through DNS rebinding. */
#ifndef SL_HTTP_HTTP_H
#define SL_HTTP_HTTP_H

#include "sluice.h"

#include <stddef.h>

typedef struct sl_http_server sl_http_server;

/* Returns the current JSON as a heap string allocated with sl_malloc (the
 * server frees it with sl_free), or NULL when none can be produced (the
 * request then gets 503).  Called on the server's own thread, one request
 * at a time, so it must be safe to call concurrently with the engine. */
typedef char *(*sl_http_provider)(void *ctx);

/* Starts serving on `addr` ("HOST:PORT", "[V6]:PORT", ":PORT" or "PORT";
 * NULL or "" means 127.0.0.1:8080; port 0 picks a free port, see
 * sl_http_port).  HOST is an IPv4/IPv6 literal or "localhost".  `token` may
 * be NULL or "" when the address is loopback, and is required otherwise
 * (SL_ERR_CONFIG).  Both strings are copied.  The provider and ctx are
 * borrowed until sl_http_stop returns.  On success *out owns a running
 * server with its own thread. */
sl_status sl_http_start(const char *addr, const char *token, sl_http_provider provider,
                        void *ctx, sl_http_server **out, sl_error *err);

/* The TCP port the server listens on (useful after binding port 0). */
unsigned sl_http_port(const sl_http_server *srv);

/* Stops the thread, closes the socket and frees the server. Accepts NULL. */
void sl_http_stop(sl_http_server *srv);

/* Renders the Prometheus text exposition (format 0.0.4) of a provider JSON
 * text: per query the latest progress report's input and processed rows
 * per second, batch duration, batch id, watermark, state rows, rows dropped
 * by the watermark, sink output rows and per-partition source end offsets;
 * then the process's live heap (sluice_process_heap_live_bytes).
 * On success *out is a heap string (sl_free).  A text that is not the
 * provider's JSON shape gives SL_ERR_FORMAT. */
sl_status sl_http_metrics_render(const char *json, size_t len, char **out, sl_error *err);

/* The live heap: bytes allocated and not yet freed, as the allocator counts
 * them (AddressSanitizer's allocator in an ASan build, else glibc's
 * mallinfo2); *allocator is set to "asan" or "glibc". */
size_t sl_http_live_heap_bytes(const char **allocator);

/* Parses an ISO-8601 UTC timestamp as Spark prints it in progress reports
 * ("2022-10-13T21:58:13.000Z") into seconds since the epoch. Returns 0, or
 * -1 when the text is not such a timestamp. */
int sl_http_iso8601_parse(const char *s, double *out_seconds);

#endif
