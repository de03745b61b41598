/* rng.c - Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC'11) and helpers; see rng.h. */
#include "rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0;
        c1 = n1;
        c2 = n2;
        c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void rng_block(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t out[4])
{
    uint32_t ctr[4] = {(uint32_t)counter, (uint32_t)(counter >> 32), (uint32_t)stream,
                       (uint32_t)(stream >> 32)};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    philox4x32(ctr, key, out);
}

void rng_blocks(uint32_t *restrict out, uint64_t seed, uint64_t stream, uint64_t first, int n)
{
    uint32_t s2 = (uint32_t)stream, s3 = (uint32_t)(stream >> 32);
    uint32_t k0i = (uint32_t)seed, k1i = (uint32_t)(seed >> 32);
    for (int i = 0; i < n; i++) {
        uint64_t ctr = first + (uint64_t)i;
        uint32_t c0 = (uint32_t)ctr, c1 = (uint32_t)(ctr >> 32), c2 = s2, c3 = s3;
        uint32_t k0 = k0i, k1 = k1i;
        for (int r = 0; r < 10; r++) {
            uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
            c1 = (uint32_t)p1;
            c3 = (uint32_t)p0;
            c0 = n0;
            c2 = n2;
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        out[4 * i] = c0;
        out[4 * i + 1] = c1;
        out[4 * i + 2] = c2;
        out[4 * i + 3] = c3;
    }
}

uint64_t rng_u64(uint64_t seed, uint64_t stream, uint64_t counter)
{
    uint32_t o[4];
    rng_block(seed, stream, counter, o);
    return ((uint64_t)o[0] << 32) | o[1];
}

float rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter)
{
    return (float)(rng_u64(seed, stream, counter) >> 40) * (1.0f / 16777216.0f);
}

/* High 64 bits of a 64x64-bit product, in portable C. */
static uint64_t mul_hi64(uint64_t a, uint64_t b)
{
    uint64_t a_lo = (uint32_t)a, a_hi = a >> 32, b_lo = (uint32_t)b, b_hi = b >> 32;
    uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
    uint64_t cross = (lo_lo >> 32) + (uint32_t)hi_lo + lo_hi;
    return hi_hi + (hi_lo >> 32) + (cross >> 32);
}

uint64_t rng_below(uint64_t seed, uint64_t stream, uint64_t counter, uint64_t n)
{
    return mul_hi64(rng_u64(seed, stream, counter), n);
}

static uint64_t splitmix_fin(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t rng_stream(uint64_t tag, uint64_t a, uint64_t b)
{
    uint64_t h = splitmix_fin(tag + 0x9E3779B97F4A7C15ull);
    h = splitmix_fin(h ^ (a + 0x9E3779B97F4A7C15ull));
    return splitmix_fin(h ^ (b + 0x632BE59BD9B4E019ull));
}

void rng_init(struct rng *r, uint64_t seed, uint64_t stream)
{
    r->seed = seed;
    r->stream = stream;
    r->counter = 0;
}

uint64_t rng_next_u64(struct rng *r)
{
    return rng_u64(r->seed, r->stream, r->counter++);
}

double rng_next_double(struct rng *r)
{
    return (double)(rng_next_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t rng_next_below(struct rng *r, uint64_t n)
{
    return mul_hi64(rng_next_u64(r), n);
}

double rng_next_normal(struct rng *r)
{
    double u1 = rng_next_double(r);
    double u2 = rng_next_double(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
