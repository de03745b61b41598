/* bert_acts.h - private to the model files: the activation arenas of one
 * micro-batch shape (B, T, max predictions). Forward saves what backward needs;
 * backward uses per-layer scratch that is reused across layers. */
#ifndef BT_BERT_ACTS_H
#define BT_BERT_ACTS_H

#include "bert.h"

struct layer_acts {
    float *qkv;              /* (N, 3C) projections, read in place by attention */
    float *att;              /* (B, NH, T, T) softmax probabilities */
    float *ctx;              /* (N, C) attention context */
    float *sum1;             /* (N, C) dropout(attn out) + x: LayerNorm 1 input */
    float *mean1, *rstd1;    /* (N) */
    float *x1;               /* (N, C) LayerNorm 1 output */
    float *pre;              /* (N, F) FFN pre-activation */
    float *act;              /* (N, F) FFN activation */
    float *sum2;             /* (N, C) dropout(ffn out) + x1: LayerNorm 2 input */
    float *mean2, *rstd2;    /* (N) */
};

struct bert_acts {
    int B, T, N, Mcap, L_app;     /* L_app = layer applications = L * inner_group_num */
    int *unique_of;               /* (L_app) parameter set used by each application */
    int *first_use;               /* (U) lowest application index using each set */
    size_t bytes;
    int32_t *pos;                 /* (N) position ids */
    uint64_t *keys;               /* (B) dropout keys of the rows */
    float *emb_sum, *emb_mean, *emb_rstd, *emb_out; /* (N,E), (N), (N), (N,E) */
    float **xs;                   /* (L_app + 1) layer inputs/outputs (N, C); xs[0] = embeddings */
    struct layer_acts *la;        /* (L_app) */
    int Mp;                       /* gathered rows of the last forward (n_pred rounded up) */
    int32_t *pred_idx, *pred_lab; /* (Mcap) */
    float *mg, *mt1, *mt2, *mt3;  /* (Mcap, C), (Mcap, E) x 3 */
    float *mmean, *mrstd;         /* (Mcap) */
    float *logits, *dlogits;      /* (Mcap, V) */
    int32_t *cls_idx, *nsp_lab;   /* (B) */
    float *cls, *pooled, *pooled_drop; /* (B, C) */
    float *nsp_logits, *dnsp;     /* (B, 2) */
    /* scratch shared by all layers */
    float *dqkv;                  /* (N, 3C) backward scratch */
    float *attn_scratch;
    float *tmp;                   /* (N, C) */
    float *dx, *dsum, *dctx;      /* (N, C) */
    float *dff;                   /* (N, F) */
    float *demb, *demb2;          /* (N, E) */
    float *dmg, *dmt, *dmt2;      /* (Mcap, C), (Mcap, E) x 2 */
    float *dcls, *dpooled;        /* (B, C) */
};

/* Dropout site ids: kind in the high bits, layer application in the low bits. */
enum drop_site { SITE_EMB = 1, SITE_ATTN = 2, SITE_ATTN_OUT = 3, SITE_FFN_OUT = 4, SITE_CLS = 5 };
static inline uint64_t drop_site(enum drop_site kind, int layer)
{
    return ((uint64_t)kind << 32) | (uint32_t)layer;
}

#endif
