/* Error objects: formatting and the public accessors of sl_error. */
#include "core/status.h"
#include "core/mem.h"

#include <stdio.h>
#include <string.h>

sl_status sl_errv(sl_error *err, sl_status code, const char *fmt, va_list ap)
{
    if (!err) return code;
    err->code = code;
    err->line = err->col = 0;
    err->retriable = (code == SL_ERR_IO || code == SL_ERR_KAFKA) ? 1 : 0;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return code;
}

sl_status sl_err(sl_error *err, sl_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_errv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

sl_status sl_err_at(sl_error *err, sl_status code, int line, int col,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_errv(err, code, fmt, ap);
    va_end(ap);
    if (err) { err->line = line; err->col = col; }
    return code;
}

sl_status sl_err_oom(sl_error *err)
{
    return sl_err(err, SL_ERR_NOMEM, "out of memory");
}

void sl_err_prefix(sl_error *err, const char *fmt, ...)
{
    if (!err) return;
    char pre[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(pre);
    if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
    memcpy(err->msg, pre, n);
    memcpy(err->msg + n, ": ", 2);
    size_t rest = sizeof err->msg - n - 3;
    size_t m = strnlen(old, rest);
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = 0;
}

void sl_err_clear(sl_error *err)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
}

/* ---- public accessors ---------------------------------------------------- */

SL_EXPORT sl_error *sl_error_new(void)
{
    return sl_calloc(1, sizeof(sl_error));
}

SL_EXPORT void sl_error_free(sl_error *err)
{
    sl_free(err);
}

SL_EXPORT sl_status sl_error_code(const sl_error *err) { return err ? err->code : SL_OK; }
SL_EXPORT const char *sl_error_message(const sl_error *err) { return err ? err->msg : ""; }
SL_EXPORT int sl_error_line(const sl_error *err) { return err ? err->line : 0; }
SL_EXPORT int sl_error_column(const sl_error *err) { return err ? err->col : 0; }
SL_EXPORT int sl_error_is_retriable(const sl_error *err) { return err ? err->retriable : 0; }
SL_EXPORT int sl_error_is_fatal(const sl_error *err) { return err ? (err->code != SL_OK && !err->retriable) : 0; }

SL_EXPORT const char *sl_status_name(sl_status code)
{
    switch (code) {
    case SL_OK: return "ok";
    case SL_ERR_NOMEM: return "out of memory";
    case SL_ERR_PARSE: return "syntax error";
    case SL_ERR_BIND: return "binding error";
    case SL_ERR_TYPE: return "type error";
    case SL_ERR_PLAN: return "unsupported query";
    case SL_ERR_CONFIG: return "configuration error";
    case SL_ERR_IO: return "I/O error";
    case SL_ERR_FORMAT: return "malformed data";
    case SL_ERR_KAFKA: return "Kafka error";
    case SL_ERR_CHECKPOINT: return "checkpoint error";
    case SL_ERR_MODEL: return "model error";
    case SL_ERR_STATE: return "state error";
    case SL_ERR_INTERNAL: return "internal error";
    case SL_ERR_CANCELLED: return "cancelled";
    }
    return "unknown error";
}
