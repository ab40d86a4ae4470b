/* approx_count_distinct: HyperLogLog++ exactly as Spark computes it.
 *
 * The reference pipeline computes `<col>_dist` columns with Spark's
 * approx_count_distinct and feeds them to a model, so the estimate must equal
 * Spark's to the unit, not merely be close.  This is Spark's
 * HyperLogLogPlusPlus with its default relativeSD = 0.05:
 *   p = ceil(2 * log2(1.106 / 0.05)) = 9, m = 2^9 = 512 registers of 6 bits,
 *   packed 10 to a 64-bit word (52 words, the last partly used), as Spark's
 *   aggregation buffer holds them;
 *   x = Spark's XxHash64 of the value with seed 42 (core/xxhash64.h),
 *   register index = top p bits of x, rank = leading zeros of (x << p | 2^(p-1)) + 1;
 *   estimate = linear counting m * ln(m / V) while that is <= 400 (Spark's
 *   threshold for p = 9) or the raw estimate E <= 2.5 m, otherwise E minus the
 *   HLL++ empirical bias (k = 6 nearest-neighbour mean over the paper's p = 9
 *   table) while E < 5 m, otherwise E; rounded half up to a BIGINT.
 *
 * The state is a fixed block of sl_hll_state_bytes() bytes (8-byte aligned)
 * that lives inside an aggregate's state row; nothing is allocated per
 * group.  Registers are little-endian uint64 words laid out as Spark's, so a
 * state can be checkpointed byte for byte.  NULLs are the caller's to skip:
 * an aggregate feeds only non-NULL values, and a group that saw none
 * estimates 0. */
#ifndef SL_EXEC_AGG_HLL_H
#define SL_EXEC_AGG_HLL_H

#include "core/buf.h"
#include "core/column.h"

#include <stddef.h>
#include <stdint.h>

#define SL_HLL_P 9
#define SL_HLL_M (1 << SL_HLL_P)
#define SL_HLL_WORDS (SL_HLL_M / 10 + 1)

/* Bytes of one state (416). */
size_t sl_hll_state_bytes(void);
/* Empties a state (all registers 0). */
void sl_hll_init(void *state);
/* Adds a value by its Spark hash (sl_xxh64_spark_col or core/xxhash64.h). */
void sl_hll_add_hash(void *state, uint64_t h);
/* dst := register-wise max(dst, src): the state of the union. */
void sl_hll_merge(void *dst, const void *src);
/* Spark's approx_count_distinct result for the values added so far (an
 * exact integer fast path; equal to sl_hll_estimate_ordered bit for bit). */
int64_t sl_hll_estimate(const void *state);
/* The same result summed register by register in Spark's order (the
 * reference the fast path is tested against). */
int64_t sl_hll_estimate_ordered(const void *state);

/* Checkpoint form: a sketch with few registers set (a group of a few values)
 * is saved as 0xFF, a 16-bit count and 16-bit (index | rank << 9) pairs, in
 * register order; otherwise as its sl_hll_state_bytes() of registers.  load
 * takes both (checkpoints written before the sparse form are dense) and
 * returns -1 on a malformed record. */
void sl_hll_save(const void *state, sl_buf *out);
/* True when n registers set are saved sparse. */
#define SL_HLL_SPARSE_FITS(n) (3 + 2 * (size_t)(n) < SL_HLL_WORDS * 8)
/* The same for a sketch given as its n set registers, (index | rank << 9)
 * ascending by index: sl_hll_save's bytes and sl_hll_estimate's result for
 * the dense sketch holding them. */
void sl_hll_save_pairs(const uint16_t *pairs, unsigned n, sl_buf *out);
int64_t sl_hll_estimate_pairs(const uint16_t *pairs, unsigned n);
int sl_hll_load(void *state, const uint8_t **p, const uint8_t *end);

/* Hashes every row of col with Spark's per-type rule and seed 42 into
 * out_hashes[0..col->len).  NULL rows get an unspecified value: the caller
 * checks validity (sl_col_is_null) and skips them, as Spark's aggregate does.
 * SL_TYPE_NULL columns leave out_hashes untouched (every row is NULL). */
void sl_xxh64_spark_col(const sl_col *col, uint64_t *out_hashes);

/* Adds every non-NULL row of col to one state (a global aggregate, or a
 * column already filtered to one group). */
void sl_hll_add_col(void *state, const sl_col *col);

/* Grouped update: adds row i of col to the state at
 * states + group_of_row[i] * sl_hll_state_bytes(), skipping NULL rows.
 * `hashes` is scratch of col->len entries (or NULL to hash row by row). */
void sl_hll_add_col_grouped(void *states, const int32_t *group_of_row,
                            const sl_col *col, uint64_t *hashes);

/* Entry i of the p = 9 bias-correction table (raw estimate and its bias);
 * returns 0 past the end.  For the table's self-check in the unit tests. */
int sl_hll_table_get(int i, double *out_raw, double *out_bias);

#endif
