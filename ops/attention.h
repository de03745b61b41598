/* attention.h - bidirectional multi-head self-attention with a key-padding mask.
 *
 * Input qkv (N, 3C): row n = [q | k | v] for token n = b*T + t, head h in
 * columns h*HS .. h*HS+HS-1 of each part (HF's transpose_for_scores layout).
 * The products read the heads in place from qkv and write the context straight
 * into ctx (N, C) as doubly batched strided matmuls over (batch, head): no head
 * split or merge copies. Forward saves the softmax probabilities att
 * (B, NH, T, T); keys with mask 0 get probability exactly 0. Scores are scaled
 * by 1/sqrt(HS). Attention-probability dropout (keyed per batch row) is applied
 * to a scratch copy and regenerated in backward; backward needs qkv and att.
 * backward OVERWRITES dqkv (N, 3C). Scratch sizes come from the *_scratch calls.
 */
#ifndef BT_ATTENTION_H
#define BT_ATTENTION_H

#include "dropout.h"

#include <stddef.h>
#include <stdint.h>

#define ATTN_SITE 0xA77Eu /* dropout site id of the attention probabilities */

size_t attention_fwd_scratch_floats(int B, int T, int C, int NH);
size_t attention_bwd_scratch_floats(int B, int T, int C, int NH);

void attention_forward(float *ctx, float *att, float *scratch, const float *qkv,
                       const int32_t *mask, int B, int T, int C, int NH,
                       const struct dropout_cfg *drop, uint64_t site);
void attention_backward(float *dqkv, float *scratch, const float *dctx, const float *qkv,
                        const float *att, int B, int T, int C, int NH,
                        const struct dropout_cfg *drop, uint64_t site);

/* Reference twins: per (b, h, t) loops in double, straight from the definition. */
void attention_forward_ref(float *ctx, float *att, const float *qkv, const int32_t *mask, int B,
                           int T, int C, int NH, const struct dropout_cfg *drop, uint64_t site);
void attention_backward_ref(float *dqkv, const float *dctx, const float *qkv, const float *att,
                            int B, int T, int C, int NH, const struct dropout_cfg *drop,
                            uint64_t site);

#endif
