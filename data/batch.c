/* batch.c - see batch.h. */
#include "batch.h"
#include "check.h"
#include "mem.h"

#include <string.h>

void batch_alloc(struct batch *b, int B, int T, int max_pred)
{
    memset(b, 0, sizeof *b);
    b->B = B;
    b->T = T;
    b->max_pred = max_pred;
    size_t n = xmul((size_t)B, (size_t)T);
    b->input_ids = xcalloc(n, sizeof(int32_t));
    b->token_type_ids = xcalloc(n, sizeof(int32_t));
    b->attention_mask = xcalloc(n, sizeof(int32_t));
    b->nsp_labels = xcalloc((size_t)B, sizeof(int32_t));
    b->sample_index = xcalloc((size_t)B, sizeof(int64_t));
    b->pred_pos = xcalloc(xmul((size_t)B, (size_t)max_pred), sizeof(int32_t));
    b->pred_label = xcalloc(xmul((size_t)B, (size_t)max_pred), sizeof(int32_t));
}

void batch_free(struct batch *b)
{
    xfree(b->input_ids);
    xfree(b->token_type_ids);
    xfree(b->attention_mask);
    xfree(b->nsp_labels);
    xfree(b->sample_index);
    xfree(b->pred_pos);
    xfree(b->pred_label);
    memset(b, 0, sizeof *b);
}

void batch_copy(struct batch *dst, const struct batch *src)
{
    BT_CHECK(dst->B == src->B && dst->T == src->T && dst->max_pred == src->max_pred,
             "batch_copy: shapes differ");
    size_t n = (size_t)src->B * (size_t)src->T, p = (size_t)src->B * (size_t)src->max_pred;
    memcpy(dst->input_ids, src->input_ids, n * sizeof(int32_t));
    memcpy(dst->token_type_ids, src->token_type_ids, n * sizeof(int32_t));
    memcpy(dst->attention_mask, src->attention_mask, n * sizeof(int32_t));
    memcpy(dst->nsp_labels, src->nsp_labels, (size_t)src->B * sizeof(int32_t));
    memcpy(dst->sample_index, src->sample_index, (size_t)src->B * sizeof(int64_t));
    memcpy(dst->pred_pos, src->pred_pos, p * sizeof(int32_t));
    memcpy(dst->pred_label, src->pred_label, p * sizeof(int32_t));
    dst->rows = src->rows;
    dst->n_pred = src->n_pred;
    dst->n_tokens = src->n_tokens;
}
