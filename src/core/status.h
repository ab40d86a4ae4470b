/* Errors: the one way sluice reports failure.
 *
 * A fallible function returns sl_status (SL_OK == 0) and, when given a
 * non-NULL sl_error, fills it with a code, a message, an optional source
 * position (for SQL) and whether the failure is fatal or retriable.  Errors
 * are returned, never only logged.  The public face of this object is the
 * opaque sl_error in include/sluice.h; this header shows its fields to the
 * rest of the library. */
#ifndef SL_CORE_STATUS_H
#define SL_CORE_STATUS_H

#include "sluice.h"

#include <stdarg.h>

struct sl_error {
    sl_status code;
    int line, col;        /* 1-based source position, 0 when none */
    int retriable;        /* the same call may succeed later */
    char msg[1024];
};

/* Fills err (if not NULL) and returns code, so callers can write
 * `return sl_err(err, SL_ERR_PARSE, "…", …);`. */
sl_status sl_err(sl_error *err, sl_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
sl_status sl_errv(sl_error *err, sl_status code, const char *fmt, va_list ap);
/* As sl_err, with a 1-based line/column for SQL and config text. */
sl_status sl_err_at(sl_error *err, sl_status code, int line, int col,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Out of memory: the one message every allocation failure turns into. */
sl_status sl_err_oom(sl_error *err);
/* Prepends "ctx: " to an already-filled message (adds where it happened). */
void sl_err_prefix(sl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sl_err_clear(sl_error *err);

#endif
