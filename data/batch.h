/* batch.h - one micro-batch of training examples for one rank, as the trainer
 * consumes it. The MLM targets come gathered: the first n_pred entries of
 * pred_pos / pred_label are the masked positions (flat index row*T + t) and
 * their original token ids, in row order; the model runs its MLM head on
 * exactly those rows. nsp_labels is -1 for objectives without a sentence-pair
 * task (RoBERTa's full-sentences / doc-sentences). */
#ifndef BT_BATCH_H
#define BT_BATCH_H

#include <stdint.h>

struct batch {
    int B, T;                 /* rows (capacity) and sequence length */
    int max_pred;             /* gathered prediction capacity per row */
    int rows;                 /* rows filled (== B except maybe at the end of an eval set) */
    int32_t *input_ids;       /* (B, T) after masking */
    int32_t *token_type_ids;  /* (B, T) */
    int32_t *attention_mask;  /* (B, T) 1 = real token, 0 = padding */
    int32_t *nsp_labels;      /* (B) 0/1, or -1 = no sentence-pair label */
    int64_t *sample_index;    /* (B) global sample index in the stream (keys dropout) */
    int n_pred;               /* number of gathered MLM predictions */
    int32_t *pred_pos;        /* (B * max_pred) flat positions row*T + t */
    int32_t *pred_label;      /* (B * max_pred) original ids at those positions */
    int64_t n_tokens;         /* real (non-pad) tokens in the filled rows */
};

void batch_alloc(struct batch *b, int B, int T, int max_pred);
void batch_free(struct batch *b);
/* Copies all fields of src into dst (same B, T, max_pred). */
void batch_copy(struct batch *dst, const struct batch *src);

#endif
