/* activation.c - see activation.h. */
#include "activation.h"
#include "fastmath.h"

#include <math.h>
#include <string.h>

#define SQRT_HALF 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f
#define SQRT_2_OVER_PI 0.79788456080286535588f
#define GELU_C 0.044715f

int act_parse(const char *name)
{
    if (!strcmp(name, "gelu"))
        return ACT_GELU_ERF;
    if (!strcmp(name, "gelu_new") || !strcmp(name, "gelu_pytorch_tanh"))
        return ACT_GELU_TANH;
    if (!strcmp(name, "relu"))
        return ACT_RELU;
    return -1;
}

const char *act_name(enum act_kind k)
{
    static const char *const names[ACT_COUNT] = {"gelu", "gelu_new", "relu", "tanh"};
    return (unsigned)k < ACT_COUNT ? names[k] : "?";
}

static inline float f_fwd(float x, enum act_kind k)
{
    switch (k) {
    case ACT_GELU_ERF: return 0.5f * x * (1.0f + fm_erff(x * SQRT_HALF));
    case ACT_GELU_TANH: {
        float u = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
        return 0.5f * x * (1.0f + fm_tanhf(u));
    }
    case ACT_RELU: return x > 0.0f ? x : 0.0f;
    default: return fm_tanhf(x);
    }
}

static inline float f_grad(float x, enum act_kind k)
{
    switch (k) {
    case ACT_GELU_ERF:
        return 0.5f * (1.0f + fm_erff(x * SQRT_HALF)) + x * INV_SQRT_2PI * fm_expf(-0.5f * x * x);
    case ACT_GELU_TANH: {
        float u = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
        float t = fm_tanhf(u);
        return 0.5f * (1.0f + t) +
               0.5f * x * (1.0f - t * t) * SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * x * x);
    }
    case ACT_RELU: return x > 0.0f ? 1.0f : 0.0f;
    default: {
        float t = fm_tanhf(x);
        return 1.0f - t * t;
    }
    }
}

/* Each kind has a plain loop over a chunk (restrict pointers, no calls) that the
 * compiler vectorises; OpenMP distributes the chunks. */
#define ACT_CHUNK 4096

static void fwd_chunk(float *restrict out, const float *restrict inp, size_t n, enum act_kind k)
{
    switch (k) {
    case ACT_GELU_ERF:
        for (size_t i = 0; i < n; i++)
            out[i] = f_fwd(inp[i], ACT_GELU_ERF);
        break;
    case ACT_GELU_TANH:
        for (size_t i = 0; i < n; i++)
            out[i] = f_fwd(inp[i], ACT_GELU_TANH);
        break;
    case ACT_RELU:
        for (size_t i = 0; i < n; i++)
            out[i] = f_fwd(inp[i], ACT_RELU);
        break;
    default:
        for (size_t i = 0; i < n; i++)
            out[i] = f_fwd(inp[i], ACT_TANH);
        break;
    }
}

static void bwd_chunk(float *dinp, const float *dout, const float *restrict inp, size_t n,
                      enum act_kind k)
{
    switch (k) {
    case ACT_GELU_ERF:
        for (size_t i = 0; i < n; i++)
            dinp[i] = dout[i] * f_grad(inp[i], ACT_GELU_ERF);
        break;
    case ACT_GELU_TANH:
        for (size_t i = 0; i < n; i++)
            dinp[i] = dout[i] * f_grad(inp[i], ACT_GELU_TANH);
        break;
    case ACT_RELU:
        for (size_t i = 0; i < n; i++)
            dinp[i] = dout[i] * f_grad(inp[i], ACT_RELU);
        break;
    default:
        for (size_t i = 0; i < n; i++)
            dinp[i] = dout[i] * f_grad(inp[i], ACT_TANH);
        break;
    }
}

void act_forward(float *out, const float *inp, size_t n, enum act_kind k)
{
    size_t chunks = (n + ACT_CHUNK - 1) / ACT_CHUNK;
#pragma omp parallel for schedule(static)
    for (size_t c = 0; c < chunks; c++) {
        size_t lo = c * ACT_CHUNK, len = n - lo < ACT_CHUNK ? n - lo : ACT_CHUNK;
        fwd_chunk(out + lo, inp + lo, len, k);
    }
}

void act_backward(float *dinp, const float *dout, const float *inp, size_t n, enum act_kind k)
{
    size_t chunks = (n + ACT_CHUNK - 1) / ACT_CHUNK;
#pragma omp parallel for schedule(static)
    for (size_t c = 0; c < chunks; c++) {
        size_t lo = c * ACT_CHUNK, len = n - lo < ACT_CHUNK ? n - lo : ACT_CHUNK;
        bwd_chunk(dinp + lo, dout + lo, inp + lo, len, k);
    }
}

static double d_fwd(double x, enum act_kind k)
{
    switch (k) {
    case ACT_GELU_ERF: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case ACT_GELU_TANH:
        return 0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
    case ACT_RELU: return x > 0 ? x : 0;
    default: return tanh(x);
    }
}

/* The reference derivative is a central difference of the double forward: an
 * oracle independent of the closed forms above. */
void act_forward_ref(float *out, const float *inp, size_t n, enum act_kind k)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (float)d_fwd(inp[i], k);
}

void act_backward_ref(float *dinp, const float *dout, const float *inp, size_t n,
                      enum act_kind k)
{
    for (size_t i = 0; i < n; i++) {
        double x = inp[i], h = 1e-6 * (1.0 + fabs(x));
        double g = (d_fwd(x + h, k) - d_fwd(x - h, k)) / (2 * h);
        dinp[i] = (float)(dout[i] * g);
    }
}

void tanh_forward(float *out, const float *inp, size_t n)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        out[i] = tanhf(inp[i]);
}

void tanh_backward(float *dinp, const float *dout, const float *out, size_t n)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
}
