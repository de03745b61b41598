/* bert.h - the BERT / RoBERTa / ALBERT encoder with its pre-training heads.
 *
 * One tensor table (HF names, shapes, flags) drives a layer-major contiguous
 * slab: [embeddings (+ ALBERT's E->H mapping)] [layer 0] ... [layer U-1] [heads].
 * Gradients (and the optimizer's moments) use the same layout, so each slab
 * "segment" is one contiguous range that can be all-reduced as soon as backward
 * has finished it. Q, K and V are one fused (3C, C) tensor; the table knows the
 * three HF names of its row blocks. The MLM decoder is tied to the word
 * embeddings. ALBERT's shared layers accumulate gradients over all their uses.
 *
 * Activations live in arenas sized once by bert_acts_alloc for (B, T, max
 * predictions); nothing is allocated in forward or backward.
 */
#ifndef BT_BERT_H
#define BT_BERT_H

#include "batch.h"
#include "bert_config.h"
#include "dropout.h"
#include "safetensors.h"

#include <stddef.h>
#include <stdint.h>

enum tensor_flag {
    TF_NO_DECAY = 1,  /* bias or LayerNorm: excluded from weight decay and LAMB's trust ratio */
    TF_EMBEDDING = 2, /* initialised normal; pad row zeroed for word embeddings */
    TF_ONES = 4,      /* LayerNorm weight: initialised to 1 */
    TF_ZEROS = 8      /* bias: initialised to 0 */
};

#define TENSOR_NAME_LEN 112

struct tensor_desc {
    char name[TENSOR_NAME_LEN];  /* HF name; fused QKV: the query name with "qkv" */
    int ndim;
    int64_t shape[2];
    size_t offset, numel;        /* in floats, within the slab */
    int flags;
    int segment;
    int n_parts;                 /* 1, or 3 for fused Q/K/V (row blocks) */
    char part_names[3][TENSOR_NAME_LEN]; /* HF names of the parts */
};

struct bert_layer_params {
    float *qkv_w, *qkv_b;   /* (3C, C), (3C) */
    float *ao_w, *ao_b;     /* (C, C), (C) attention output dense */
    float *ln1_w, *ln1_b;   /* (C) */
    float *fi_w, *fi_b;     /* (F, C), (F) */
    float *fo_w, *fo_b;     /* (C, F), (C) */
    float *ln2_w, *ln2_b;   /* (C) */
};

struct bert_params {
    float *wte, *wpe, *wtt;      /* (V, E), (P, E), (TT, E) */
    float *emb_ln_w, *emb_ln_b;  /* (E) */
    float *map_w, *map_b;        /* ALBERT (C, E), (C) */
    struct bert_layer_params *layers; /* U of them */
    float *pool_w, *pool_b;      /* (C, C), (C) */
    float *mlm_w, *mlm_b;        /* (E, C), (E) transform dense */
    float *mlm_ln_w, *mlm_ln_b;  /* (E) */
    float *mlm_bias;             /* (V) decoder bias */
    float *nsp_w, *nsp_b;        /* (2, C), (2) */
};

struct bert_model {
    struct bert_config cfg;
    int n_tensors;
    struct tensor_desc *tensors;
    size_t n_params;
    int n_segments;
    size_t *seg_offset;          /* n_segments + 1 boundaries, in floats */
    int U;                       /* layers with their own parameters */
    float *params, *grads;       /* slabs of n_params floats */
    struct bert_params p, g;     /* views into params and grads */
};

/* Builds the tensor table and allocates zeroed parameter and gradient slabs. */
void bert_init(struct bert_model *m, const struct bert_config *cfg);
/* Builds only the tensor table (no slabs, no views): for counting and planning. */
void bert_init_table(struct bert_model *m, const struct bert_config *cfg);
void bert_free(struct bert_model *m);
/* HF-style initialisation: normal(0, initializer_range) for matrices and
 * embeddings (pad row of the word embeddings zeroed), LayerNorm 1/0, biases 0.
 * A pure function of seed and tensor index. */
void bert_init_weights(struct bert_model *m, uint64_t seed);
/* Loads an HF state dict (safetensors) with BertForPreTraining /
 * RobertaForMaskedLM / AlbertForPreTraining names; every tensor must be present
 * with the right shape (tied decoder copies are optional; extra tensors are
 * ignored). Errors name the file and tensor. */
int bert_load_safetensors(struct bert_model *m, const char *path, char *err) BT_WUR;
/* Writes the parameters of slab as an HF state dict (HF names, Q/K/V split,
 * tied decoder included), followed by `extra` tensors (task heads) as given. */
int bert_save_safetensors(const struct bert_model *m, const void *slab,
                          const struct st_out *extra, int n_extra, const char *path,
                          char *err) BT_WUR;
/* The table entry whose HF name (or part name) is `name`, with its part index. */
const struct tensor_desc *bert_find_tensor(const struct bert_model *m, const char *name,
                                           int *part);
/* Base-model parameter count as HF counts it (no heads, no tied copies). */
size_t bert_base_param_count(const struct bert_model *m);

/* ---- activations and the step ---- */

struct bert_acts; /* opaque; see bert_acts.c */

struct bert_acts *bert_acts_alloc(const struct bert_model *m, int B, int T, int max_pred);
void bert_acts_free(struct bert_acts *a);
size_t bert_acts_bytes(const struct bert_acts *a);

/* Where backward puts the word-embedding LOOKUP gradient instead of adding it
 * to g->wte: token n's row goes to rows + slot[n] * embedding_size (the caller
 * zeroes rows and picks the slots, one per distinct token). Data-parallel
 * training uses this to all-reduce the dense (tied decoder) part of the
 * word-embedding gradient as soon as the MLM head is done and only the touched
 * rows at the end (grad_sync.h). */
struct bert_wte_rows {
    float *rows;
    const int32_t *slot; /* (B * T) */
};

struct bert_step {
    uint64_t seed;       /* run seed (dropout) */
    uint64_t step;       /* optimizer step (dropout keys) */
    int train;           /* 1: dropout on and gradients computed */
    float mlm_scale;     /* d(loss)/d(MLM loss sum): 1 / global masked count */
    float nsp_scale;     /* 1 / global sentence-pair label count */
    const struct bert_wte_rows *wte_rows; /* NULL: the lookup gradient goes to g->wte */
};

struct bert_result {
    double mlm_loss_sum, nsp_loss_sum;
    long mlm_count, mlm_correct, nsp_count, nsp_correct;
};

/* Called by backward when gradient segment `seg` is final for this micro-batch. */
typedef void (*bert_grad_hook)(void *ctx, int seg);

/* Forward (and, when st->train, the loss gradients of the heads). The MLM head
 * runs only on the gathered rows b->pred_pos[0 .. n_pred). Adds to *r. */
void bert_forward(struct bert_model *m, struct bert_acts *a, const struct batch *b,
                  const struct bert_step *st, struct bert_result *r);
/* Backward of the last forward; ACCUMULATES into m->grads. */
void bert_backward(struct bert_model *m, struct bert_acts *a, const struct batch *b,
                   const struct bert_step *st, bert_grad_hook hook, void *hook_ctx);

/* The encoder alone, for task heads (fine-tuning, tools): embeddings and layers;
 * the final hidden states are bert_acts_hidden(a, bert_acts_layers(a)). Rows of
 * b beyond b->rows and b->pred_* are ignored here. */
void bert_encoder_forward(struct bert_model *m, struct bert_acts *a, const struct batch *b,
                          const struct bert_step *st);
/* Backward from dhidden (B*T, C), the gradient w.r.t. the final hidden states;
 * ACCUMULATES into m->grads (embeddings and layers). */
void bert_encoder_backward(struct bert_model *m, struct bert_acts *a, const struct batch *b,
                           const struct bert_step *st, const float *dhidden, bert_grad_hook hook,
                           void *hook_ctx);
/* Pooler of the last encoder forward: pooled (B, C) = tanh(W h[b*T] + b), kept in
 * the arenas (bert_acts_pooled). Backward: from dpooled (B, C), ACCUMULATES the
 * pooler's parameter gradients and adds d(hidden) of the [CLS] rows into dhidden. */
void bert_pooler_forward(struct bert_model *m, struct bert_acts *a);
void bert_pooler_backward(struct bert_model *m, struct bert_acts *a, const float *dpooled,
                          float *dhidden);
const float *bert_acts_pooled(const struct bert_acts *a); /* (B, C) */
int bert_acts_layers(const struct bert_acts *a);          /* layer applications L_app */

/* Views of the last forward, for checks and tools. */
const float *bert_acts_mlm_logits(const struct bert_acts *a); /* (n_pred rounded up, V) */
const float *bert_acts_nsp_logits(const struct bert_acts *a); /* (B, 2) */
const float *bert_acts_hidden(const struct bert_acts *a, int i); /* (B*T, C), i = 0..L */
const float *bert_acts_attention(const struct bert_acts *a, int l); /* (B, NH, T, T) */

#endif
