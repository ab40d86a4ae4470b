/* Growable byte buffer. */
#include "core/buf.h"
#include "core/mem.h"

#include <stdio.h>
#include <string.h>

void sl_buf_init(sl_buf *b) { memset(b, 0, sizeof *b); }

void sl_buf_fini(sl_buf *b)
{
    sl_free(b->data);
    memset(b, 0, sizeof *b);
}

void sl_buf_reset(sl_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

int sl_buf_reserve(sl_buf *b, size_t extra)
{
    if (b->oom) return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need) ncap *= 2;
    char *nd = sl_realloc(b->data, ncap);
    if (!nd) { b->oom = 1; return -1; }
    b->data = nd;
    b->cap = ncap;
    return 0;
}

void sl_buf_append(sl_buf *b, const void *p, size_t n)
{
    if (sl_buf_reserve(b, n)) return;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void sl_buf_puts(sl_buf *b, const char *s) { sl_buf_append(b, s, strlen(s)); }

void sl_buf_put_varint(sl_buf *b, unsigned long long v)
{
    unsigned char tmp[10];
    size_t n = 0;
    while (v >= 0x80) { tmp[n++] = (unsigned char)(v | 0x80); v >>= 7; }
    tmp[n++] = (unsigned char)v;
    sl_buf_append(b, tmp, n);
}

void sl_buf_putc(sl_buf *b, char c) { sl_buf_append(b, &c, 1); }

void sl_buf_vprintf(sl_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || sl_buf_reserve(b, (size_t)n)) return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void sl_buf_printf(sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void sl_buf_json_str(sl_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (sl_buf_reserve(b, n + 2)) return;
    sl_buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        sl_buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': sl_buf_append(b, "\\\"", 2); break;
        case '\\': sl_buf_append(b, "\\\\", 2); break;
        case '\n': sl_buf_append(b, "\\n", 2); break;
        case '\r': sl_buf_append(b, "\\r", 2); break;
        case '\t': sl_buf_append(b, "\\t", 2); break;
        case '\b': sl_buf_append(b, "\\b", 2); break;
        case '\f': sl_buf_append(b, "\\f", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sl_buf_append(b, u, 6);
        }
        }
    }
    sl_buf_append(b, s + run, n - run);
    sl_buf_putc(b, '"');
}

char *sl_buf_take(sl_buf *b)
{
    if (b->oom) { sl_buf_fini(b); return NULL; }
    if (!b->data) sl_buf_reserve(b, 0);
    char *d = b->data;
    if (d) d[b->len] = 0;
    memset(b, 0, sizeof *b);
    return d;
}
