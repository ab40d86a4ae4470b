/* A growable byte buffer (like Redis's sds, without the header tricks): the
 * one way the library builds text — JSON lines, console tables, messages. */
#ifndef SL_CORE_BUF_H
#define SL_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sl_buf {
    char *data;   /* always NUL-terminated when len > 0 or after any append */
    size_t len, cap;
    int oom;      /* sticky: set when an append failed; later appends no-op */
} sl_buf;

void sl_buf_init(sl_buf *b);
void sl_buf_fini(sl_buf *b);
void sl_buf_reset(sl_buf *b);                 /* len = 0, keeps memory */
int sl_buf_reserve(sl_buf *b, size_t extra);  /* 0 or -1 (sets oom) */
void sl_buf_append(sl_buf *b, const void *p, size_t n);
void sl_buf_puts(sl_buf *b, const char *s);
void sl_buf_putc(sl_buf *b, char c);
void sl_buf_printf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_buf_vprintf(sl_buf *b, const char *fmt, va_list ap);
/* Appends v as an unsigned LEB128 varint (7 bits a byte, low first). */
void sl_buf_put_varint(sl_buf *b, unsigned long long v);
/* Appends s as a JSON string literal, quotes included. */
void sl_buf_json_str(sl_buf *b, const char *s, size_t n);
/* Takes the heap string out of the buffer (caller frees with sl_free) and
 * resets the buffer; NULL if the buffer hit OOM. */
char *sl_buf_take(sl_buf *b);

#endif
