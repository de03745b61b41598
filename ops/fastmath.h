/* fastmath.h - branch-free float approximations that the compiler vectorises
 * (libm's expf/erff/tanhf are scalar calls inside our loops).
 *   fm_expf:  |rel err| < 2e-7 on [-87, 88]; below -87.3 returns ~1e-38, not 0.
 *   fm_erff:  |abs err| < 3e-7 (series below 0.8, Abramowitz & Stegun 7.1.26 above).
 *   fm_tanhf: |abs err| < 2e-7.
 * Used where the result is added to O(1) terms (GELU) or normalised (softmax),
 * so absolute error is what matters; tests compare them with libm. */
#ifndef BT_FASTMATH_H
#define BT_FASTMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float fm_expf(float x)
{
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    /* n = round(x / ln 2) by the 1.5 * 2^23 trick: the integer sits in the low
     * mantissa bits of kf (plain arithmetic, so it vectorises). */
    float kf = x * 1.44269504f + 12582912.0f;
    float n = kf - 12582912.0f;
    int32_t ki;
    memcpy(&ki, &kf, sizeof ki);
    ki -= 0x4B400000;
    float r = x - n * 0.693145752f - n * 1.42860677e-6f; /* Cody-Waite ln 2 */
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = (ki + 127) * (1 << 23);
    float s;
    memcpy(&s, &bits, sizeof s);
    return p * s;
}

static inline float fm_erff(float x)
{
    float ax = fabsf(x);
    /* |x| >= 0.8: Abramowitz & Stegun 7.1.26 */
    float t = 1.0f / (1.0f + 0.3275911f * ax);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    float big = 1.0f - p * t * fm_expf(-ax * ax);
    /* |x| < 0.8: Maclaurin series 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)) */
    float z = ax * ax, q = -1.0f / 6894720.0f;
    q = q * z + 1.0f / 685440.0f;
    q = q * z - 1.0f / 75600.0f;
    q = q * z + 1.0f / 9360.0f;
    q = q * z - 1.0f / 1320.0f;
    q = q * z + 1.0f / 216.0f;
    q = q * z - 1.0f / 42.0f;
    q = q * z + 1.0f / 10.0f;
    q = q * z - 1.0f / 3.0f;
    q = q * z + 1.0f;
    float small = 1.12837917f * ax * q;
    return copysignf(ax < 0.8f ? small : big, x);
}

static inline float fm_tanhf(float x)
{
    return copysignf(1.0f - 2.0f / (fm_expf(2.0f * fabsf(x)) + 1.0f), x);
}

#endif
