/* The dashboard server on libmicrohttpd: routes GET/HEAD requests to the
 * embedded front end, the provider's JSON (/api/queries) and its Prometheus
 * rendering (/metrics), after the access checks of http.h (token on every
 * request when one is set; a loopback Host header when none is).  It sits
 * beside the driver: the engine's state arrives only through the provider
 * callback, and nothing here touches the file system. */
#include "http/http.h"

#include "core/mem.h"
#include "core/status.h"
#include "http/web_assets.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct sl_http_server {
    struct MHD_Daemon *daemon;
    char *token;              /* NULL when none */
    sl_http_provider provider;
    void *ctx;
    unsigned port;
};

/* ---- address parsing ---------------------------------------------------- */

typedef struct bind_addr {
    struct sockaddr_storage ss;
    int v6;
    int loopback;
} bind_addr;

static sl_status parse_addr(const char *addr, bind_addr *ba, sl_error *err)
{
    char host[256];
    const char *port_s;
    memset(ba, 0, sizeof *ba);
    if (!addr || !*addr)
        addr = "127.0.0.1:8080";

    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':' || (size_t)(close - addr - 1) >= sizeof host)
            return sl_err(err, SL_ERR_CONFIG, "bad UI address '%s' (want [IPv6]:PORT)", addr);
        memcpy(host, addr + 1, (size_t)(close - addr - 1));
        host[close - addr - 1] = 0;
        port_s = close + 2;
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon) { /* a bare port */
            strcpy(host, "127.0.0.1");
            port_s = addr;
        } else {
            if (strchr(addr, ':') != colon)
                return sl_err(err, SL_ERR_CONFIG,
                              "bad UI address '%s' (write IPv6 as [ADDR]:PORT)", addr);
            if ((size_t)(colon - addr) >= sizeof host)
                return sl_err(err, SL_ERR_CONFIG, "bad UI address '%s'", addr);
            memcpy(host, addr, (size_t)(colon - addr));
            host[colon - addr] = 0;
            if (!host[0])
                strcpy(host, "127.0.0.1");
            port_s = colon + 1;
        }
    }
    char *end;
    long port = strtol(port_s, &end, 10);
    if (!*port_s || *end || port < 0 || port > 65535)
        return sl_err(err, SL_ERR_CONFIG, "bad port in UI address '%s'", addr);
    if (strcasecmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");

    struct sockaddr_in *in4 = (struct sockaddr_in *)&ba->ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ba->ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        ba->loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        ba->v6 = 1;
        ba->loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    } else {
        return sl_err(err, SL_ERR_CONFIG,
                      "bad host in UI address '%s' (want an IP address or localhost)", addr);
    }
    return SL_OK;
}

/* ---- access checks ------------------------------------------------------ */

/* Compares without an early exit so the time taken does not reveal how much
 * of a guessed token was right. */
static int token_equal(const char *given, const char *want)
{
    size_t gl = strlen(given), wl = strlen(want);
    unsigned char diff = (unsigned char)(gl != wl);
    for (size_t i = 0; i < wl; i++)
        diff |= (unsigned char)(want[i] ^ (i < gl ? given[i] : 0));
    return diff == 0;
}

static int authorized(sl_http_server *srv, struct MHD_Connection *conn)
{
    const char *q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
    if (q && token_equal(q, srv->token))
        return 1;
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        h += 7;
        while (*h == ' ')
            h++;
        return token_equal(h, srv->token);
    }
    return 0;
}

/* Without a token the server trusts the loopback interface; a browser
 * tricked by DNS rebinding would still send the attacker's host name, so
 * only loopback names are accepted. */
static int host_is_loopback(struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!h)
        return 1; /* HTTP/1.0 clients without Host cannot be rebinding victims */
    size_t n = strlen(h);
    const char *colon = h[0] == '[' ? strchr(h, ']') : strchr(h, ':');
    if (h[0] == '[')
        n = colon ? (size_t)(colon - h + 1) : n;
    else if (colon)
        n = (size_t)(colon - h);
    if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
        return 1;
    if (n == 5 && strncmp(h, "[::1]", 5) == 0)
        return 1;
    return n >= 4 && n < 16 && strncmp(h, "127.", 4) == 0;
}

/* ---- responses ---------------------------------------------------------- */

static const char DEFAULT_CSP[] = "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                  "img-src 'self' data:; frame-ancestors 'none'";

static enum MHD_Result queue_csp(struct MHD_Connection *conn, unsigned status,
                                 struct MHD_Response *resp, const char *mime, const char *csp)
{
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, mime);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Content-Security-Policy", csp ? csp : DEFAULT_CSP);
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
                             struct MHD_Response *resp, const char *mime)
{
    return queue_csp(conn, status, resp, mime, NULL);
}

static enum MHD_Result send_static(struct MHD_Connection *conn, unsigned status,
                                   const char *text, const char *mime)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    return queue(conn, status, resp, mime);
}

static enum MHD_Result send_heap(struct MHD_Connection *conn, char *text, const char *mime)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(strlen(text), text, sl_free);
    if (!resp) {
        sl_free(text);
        return MHD_NO;
    }
    return queue(conn, MHD_HTTP_OK, resp, mime);
}

static const sl_http_asset *find_asset(const char *url)
{
    for (size_t i = 0; i < sl_http_n_assets; i++)
        if (strcmp(sl_http_assets[i].path, url) == 0)
            return &sl_http_assets[i];
    if (strcmp(url, "/index.html") == 0)
        return find_asset("/");
    return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    sl_http_server *srv = cls;
    if (srv->token) {
        if (!authorized(srv, conn)) {
            struct MHD_Response *resp = MHD_create_response_from_buffer(
                13, (void *)"unauthorized\n", MHD_RESPMEM_PERSISTENT);
            if (resp)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
            return queue(conn, MHD_HTTP_UNAUTHORIZED, resp, "text/plain; charset=utf-8");
        }
    } else if (!host_is_loopback(conn)) {
        return send_static(conn, MHD_HTTP_FORBIDDEN, "forbidden: Host is not a loopback name\n",
                           "text/plain; charset=utf-8");
    }

    /* The first call only announces the headers; answering on it keeps any
     * request body from being read at all. The access checks come first,
     * so without the token every request, whatever its method, is 401. */
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(
            19, (void *)"method not allowed\n", MHD_RESPMEM_PERSISTENT);
        if (resp)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        return queue(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp, "text/plain; charset=utf-8");
    }
    if (strcmp(url, "/api/queries") == 0 || strcmp(url, "/metrics") == 0) {
        char *json = srv->provider ? srv->provider(srv->ctx) : NULL;
        if (!json)
            return send_static(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                               "{\"error\":\"no data from the engine\"}\n", "application/json");
        if (url[1] == 'a')
            return send_heap(conn, json, "application/json; charset=utf-8");
        char *text = NULL;
        sl_error e = {0};
        sl_status st = sl_http_metrics_render(json, strlen(json), &text, &e);
        sl_free(json);
        if (st != SL_OK) {
            char msg[1200];
            snprintf(msg, sizeof msg, "# metrics unavailable: %s\n", e.msg);
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(strlen(msg), msg, MHD_RESPMEM_MUST_COPY);
            return queue(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, resp, "text/plain; charset=utf-8");
        }
        return send_heap(conn, text, "text/plain; version=0.0.4; charset=utf-8");
    }

    const sl_http_asset *a = find_asset(url);
    if (a) {
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
        return queue_csp(conn, MHD_HTTP_OK, resp, a->mime, a->csp);
    }
    return send_static(conn, MHD_HTTP_NOT_FOUND, "not found\n", "text/plain; charset=utf-8");
}

/* ---- lifecycle ---------------------------------------------------------- */

sl_status sl_http_start(const char *addr, const char *token, sl_http_provider provider,
                        void *ctx, sl_http_server **out, sl_error *err)
{
    *out = NULL;
    bind_addr ba;
    sl_status st = parse_addr(addr, &ba, err);
    if (st != SL_OK)
        return st;
    if (token && !*token)
        token = NULL;
    if (!ba.loopback && !token)
        return sl_err(err, SL_ERR_CONFIG,
                      "the UI address '%s' is not loopback: give a token (clients then send "
                      "'Authorization: Bearer <token>' or '?token=<token>')",
                      addr);

    sl_http_server *srv = sl_calloc(1, sizeof *srv);
    if (!srv)
        return sl_err_oom(err);
    if (token && !(srv->token = sl_strdup(token))) {
        sl_free(srv);
        return sl_err_oom(err);
    }
    srv->provider = provider;
    srv->ctx = ctx;

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    if (ba.v6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, 0 /* the port comes from SOCK_ADDR */, NULL, NULL, handle, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ba.ss,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)15,
        MHD_OPTION_END);
    if (!srv->daemon) {
        sl_free(srv->token);
        sl_free(srv);
        return sl_err(err, SL_ERR_IO, "cannot listen on %s (address in use or not local?)",
                      addr && *addr ? addr : "127.0.0.1:8080");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    *out = srv;
    return SL_OK;
}

unsigned sl_http_port(const sl_http_server *srv) { return srv ? srv->port : 0; }

void sl_http_stop(sl_http_server *srv)
{
    if (!srv)
        return;
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    sl_free(srv->token);
    sl_free(srv);
}
