/* activation.h - elementwise activations with Hugging Face's names:
 *   "gelu" = exact erf form, "gelu_new" (also "gelu_pytorch_tanh") = tanh form,
 *   "relu", and tanh (pooler).
 * forward: out = f(inp) (in place allowed). backward: dinp OVERWRITTEN with
 * dout * f'(inp) (dinp may alias dout). tanh_backward uses the forward output. */
#ifndef BT_ACTIVATION_H
#define BT_ACTIVATION_H

#include <stddef.h>

enum act_kind { ACT_GELU_ERF, ACT_GELU_TANH, ACT_RELU, ACT_TANH, ACT_COUNT };

/* Parses an HF hidden_act name; returns -1 for an unknown name. */
int act_parse(const char *name);
const char *act_name(enum act_kind k);

void act_forward(float *out, const float *inp, size_t n, enum act_kind k);
void act_backward(float *dinp, const float *dout, const float *inp, size_t n, enum act_kind k);
void act_forward_ref(float *out, const float *inp, size_t n, enum act_kind k);
void act_backward_ref(float *dinp, const float *dout, const float *inp, size_t n,
                      enum act_kind k);

/* tanh with the backward from the saved output y: dinp = dout * (1 - y^2). */
void tanh_forward(float *out, const float *inp, size_t n);
void tanh_backward(float *dinp, const float *dout, const float *out, size_t n);

#endif
