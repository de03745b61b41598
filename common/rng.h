/* rng.h - counter-based random numbers (Philox4x32-10).
 * Every draw is a pure function of (seed, stream, counter): no hidden state, so
 * masking, sampling, dropout and initialisation can be regenerated anywhere
 * (backward, a resumed run, another rank count). Streams separate purposes;
 * build them with rng_stream(tag, a, b) from small integers.
 * struct rng is a convenience cursor over one stream for sequential draws. */
#ifndef BT_RNG_H
#define BT_RNG_H

#include <stdint.h>

void philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Four 32-bit words for block `counter` of (seed, stream). */
void rng_block(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t out[4]);
uint64_t rng_u64(uint64_t seed, uint64_t stream, uint64_t counter);
/* n consecutive blocks (counters first .. first+n-1) into out[4n]; a loop the
 * compiler vectorises, for bulk draws (dropout masks). Same values as rng_block. */
void rng_blocks(uint32_t *out, uint64_t seed, uint64_t stream, uint64_t first, int n);
/* Uniform in [0, 1) with 24 random bits (exactly representable as float). */
float rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter);
/* Uniform integer in [0, n), n > 0 (64-bit multiply-shift; bias < 2^-32). */
uint64_t rng_below(uint64_t seed, uint64_t stream, uint64_t counter, uint64_t n);
/* Mixes up to three small integers into a stream id (SplitMix64 finaliser). */
uint64_t rng_stream(uint64_t tag, uint64_t a, uint64_t b);

struct rng {
    uint64_t seed, stream, counter;
};
void rng_init(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next_u64(struct rng *r);
double rng_next_double(struct rng *r); /* [0, 1), 53 bits */
uint64_t rng_next_below(struct rng *r, uint64_t n);
double rng_next_normal(struct rng *r); /* standard normal, Box-Muller */

#endif
