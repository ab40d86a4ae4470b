/* CRC32C (Castagnoli), the checksum every checkpoint and manifest file
 * carries.  Chosen over CRC32 because it is what storage systems use
 * (iSCSI, ext4, RocksDB) and detects the burst errors of torn writes as well.
 * Written here rather than taken from zlib, which only offers plain CRC32. */
#ifndef SL_STATE_CRC32C_H
#define SL_STATE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) with n bytes at p and returns the new value:
 * sl_crc32c(sl_crc32c(0, a, n), b, m) == crc of a followed by b. */
uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n);

#endif
