/* embedding.h - sum of word, position and token-type embeddings.
 *   out (N, E) = wte[ids[n]] + wpe[pos[n]] + wtt[types[n]]
 * The caller computes position ids (BERT: t; RoBERTa: padding-offset rule).
 * backward ACCUMULATES into dwte (V, E), dwpe (P, E), dwtt (TT, E); it is a
 * scatter-add parallel over channel blocks, so the result does not depend on the
 * number of threads. Any of the three gradient pointers may be NULL (skipped). */
#ifndef BT_EMBEDDING_H
#define BT_EMBEDDING_H

#include <stdint.h>

void embedding_forward(float *out, const int32_t *ids, const int32_t *pos, const int32_t *types,
                       const float *wte, const float *wpe, const float *wtt, int N, int E);
void embedding_backward(float *dwte, float *dwpe, float *dwtt, const float *dout,
                        const int32_t *ids, const int32_t *pos, const int32_t *types, int N,
                        int E);
void embedding_backward_ref(float *dwte, float *dwpe, float *dwtt, const float *dout,
                            const int32_t *ids, const int32_t *pos, const int32_t *types, int N,
                            int E);

#endif
