/* The dashboard's front end, compiled into the binary.  web_assets.c is
 * generated from web/ by `make web` (web/build.mjs) and committed, so a
 * normal build needs no npm.  Each asset is one file of the bundled page,
 * served by path with its MIME type. */
#ifndef SL_HTTP_WEB_ASSETS_H
#define SL_HTTP_WEB_ASSETS_H

#include <stddef.h>

typedef struct sl_http_asset {
    const char *path;           /* URL path, e.g. "/" or "/app.js" */
    const char *mime;           /* Content-Type */
    const char *csp;            /* Content-Security-Policy, NULL = the default */
    const char *data;
    size_t len;
} sl_http_asset;

extern const sl_http_asset sl_http_assets[];
extern const size_t sl_http_n_assets;

#endif
