/* CRC32C by slicing-by-8 over tables built once on first use.  Eight
 * lookups per 8 bytes keeps checksumming well below the cost of the fsync
 * that follows every checkpoint write, without depending on SSE4.2. */
#include "state/crc32c.h"

#include <pthread.h>

#define POLY 0x82F63B78u /* reversed Castagnoli polynomial */

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_build(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *s = p;
    pthread_once(&table_once, table_build);
    crc = ~crc;
    while (n >= 8) {
        /* Little-endian assembly of the first word, whatever the host. */
        uint32_t lo = crc ^ ((uint32_t)s[0] | (uint32_t)s[1] << 8 |
                             (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24);
        crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
              table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
              table[3][s[4]] ^ table[2][s[5]] ^ table[1][s[6]] ^ table[0][s[7]];
        s += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ table[0][(crc ^ *s++) & 0xff];
    return ~crc;
}
