/* ft_heads.h - the task heads of bert-finetune, with Hugging Face's names:
 *   seq-cls   BERT / ALBERT: dropout(pooled) -> classifier (K, C)
 *             ("classifier.weight/bias"; BertForSequenceClassification);
 *             RoBERTa: h[CLS] -> dropout -> dense (C, C) -> tanh -> dropout ->
 *             out_proj (K, C) ("classifier.dense.*", "classifier.out_proj.*");
 *   token-cls dropout(h) -> classifier (K, C) on every token;
 *   qa        h -> qa_outputs (2, C): start and end logits per token, no dropout.
 * Losses are softmax cross-entropy sums times grad_scale (the caller passes
 * 1 / global label count; QA's loss per row is (CE(start) + CE(end)) / 2, as in
 * HF). Labels < 0 are ignored (padding rows, non-first word pieces).
 * The head owns a small parameter slab, its gradients (ACCUMULATED by backward)
 * and AdamW moments. Dropout masks are keyed by (seed, step, sample index) and
 * regenerated in backward, like the encoder's. Activations are sized once for
 * (B, T). No OpenMP here: the heavy parts are ops calls. */
#ifndef BT_FT_HEADS_H
#define BT_FT_HEADS_H

#include "bert_config.h"
#include "optim.h"

#include <stddef.h>
#include <stdint.h>

enum ft_task { FT_TASK_SEQ_CLS, FT_TASK_TOKEN_CLS, FT_TASK_QA, FT_TASK_COUNT };

const char *ft_task_name(enum ft_task t); /* "seq-cls", "token-cls", "qa" */
int ft_task_parse(const char *s);         /* -1 when unknown */

#define FT_HEAD_MAX_TENSORS 4

struct ft_head_tensor {
    char name[64];      /* HF name */
    int ndim;
    int64_t shape[2];
    size_t offset, numel;
    int no_decay;
};

struct ft_head {
    enum ft_task task;
    int K, C, B, T;
    int rows;            /* rows the head's input has: B (pooled) or B*T */
    int dense;           /* RoBERTa-style sequence head */
    int use_pooled;      /* sequence head on the model's pooler output */
    float p_drop;
    int n_tensors;
    struct ft_head_tensor t[FT_HEAD_MAX_TENSORS];
    size_t n;
    float *params, *grads, *m, *v; /* (n) */
    float *w, *b, *dw, *db;              /* (K, C), (K): classifier / out_proj / qa_outputs */
    float *dense_w, *dense_b, *ddense_w, *ddense_b; /* (C, C), (C) */
    /* activations of the last forward */
    float *x, *xd;       /* (rows, C) input (RoBERTa: gathered [CLS] rows), after dropout */
    float *h1, *h1d;     /* (B, C) RoBERTa dense + tanh, after dropout */
    float *logits;       /* (rows, K) */
    float *dlogits;      /* (rows, K) */
    float *qs, *qe;      /* (B, T) QA start / end logits */
    float *dqs, *dqe;    /* (B, T) */
    float *d1, *d2;      /* (rows, C) scratch */
    int32_t *cls_idx;    /* (B) */
    int32_t *qlab;       /* (2, B) QA start / end labels */
    uint64_t *keys;      /* (B) dropout keys */
    uint64_t seed;
    int drop_on;         /* dropout active in the last forward */
};

struct ft_head_result {
    double loss_sum;     /* sum of per-row losses (unscaled) */
    long count, correct; /* rows with a label; rows whose argmax (QA: both) is right */
};

/* Table, slab and arenas for task with K labels (QA: K = 2) on model config c
 * and micro-batches of (B, T). p_drop: the head's dropout probability. */
void ft_head_init(struct ft_head *h, enum ft_task task, const struct bert_config *c, int K,
                  int B, int T, float p_drop);
void ft_head_free(struct ft_head *h);
/* HF initialisation: normal(0, std) matrices, zero biases; pure function of seed. */
void ft_head_init_weights(struct ft_head *h, float std, uint64_t seed);
/* Index of the tensor named `name`, or -1. */
int ft_head_find(const struct ft_head *h, const char *name);

/* Forward from `in`: the pooled output (B, C) when h->use_pooled, else the final
 * hidden states (B*T, C). labels: seq-cls (B), token-cls (B*T), qa (B, 2).
 * sample_index (B) and step key the dropout; train = 1 enables dropout and
 * writes the loss gradients scaled by grad_scale. ADDS to *r. */
void ft_head_forward(struct ft_head *h, const float *in, const int32_t *labels,
                     const int64_t *sample_index, uint64_t step, int train, float grad_scale,
                     struct ft_head_result *r);
/* Backward of the last training forward: ACCUMULATES the head's parameter
 * gradients and OVERWRITES din (same shape as `in`). */
void ft_head_backward(struct ft_head *h, float *din);
/* Logits of the last forward: seq-cls / token-cls (rows, K); QA start and end
 * (B, T) through ft_head_qa_logits. */
const float *ft_head_logits(const struct ft_head *h);
void ft_head_qa_logits(const struct ft_head *h, const float **start, const float **end);
/* AdamW on the head's tensors (no decay for biases); gscale is the clipping
 * factor shared with the encoder. hp->wd is the decay of the matrices. */
void ft_head_step(struct ft_head *h, const struct adam_hparams *hp, float gscale);

#endif
