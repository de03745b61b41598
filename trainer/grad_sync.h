/* grad_sync.h - gradient all-reduce over the layer-major slab.
 * Each gradient segment (bert.h) becomes one bucket. When backward reports a
 * segment final (grad_sync_hook), its non-blocking all-reduce starts at once and
 * the outstanding ones are tested, which lets MPI progress them while the next
 * layer's backward runs. grad_sync_finish waits for the rest; the time spent
 * waiting there is the exposed (not overlapped) communication. The result is
 * the SUM over ranks (the loss is already normalised by global counts).
 *
 * The word embeddings are most of a small model's gradient (tiny BERT: 3.9 M
 * of 4.4 M floats) and would only be final after the last step of backward.
 * With grad_sync_prepare_rows for a step, backward keeps the embedding LOOKUP
 * gradient in a separate buffer of the rows touched by any rank (bert.h,
 * struct bert_wte_rows): the dense rest of the word-embedding gradient (the
 * tied MLM decoder's) is all-reduced from the moment the MLM head is done, and
 * only the touched rows at the end; finish adds those rows back. Every rank
 * adds them in the same order, so the ranks stay identical.
 *
 * Without overlap (recipe grad_sync=blocking) the hook does nothing and finish
 * runs one blocking all-reduce of the whole slab, all of it exposed. Where no
 * core is free to progress MPI, overlap can cost more than it hides: on the
 * 2-vCPU VM Open MPI's blocking shared-memory all-reduce of 17.7 MB took 4 ms
 * and the non-blocking one 10 ms (docs/scaling-study.md has the training runs,
 * where the two modes were within the machine's noise). */
#ifndef BT_GRAD_SYNC_H
#define BT_GRAD_SYNC_H

#include "bert.h"

struct grad_sync {
    struct bert_model *m;
    int world;
    int overlap;      /* 0: one blocking all-reduce of the whole slab in finish */
    int n;            /* segments */
    int *req;         /* (n) request id or -1 */
    int *started;     /* (n) */
    double t_exposed; /* seconds blocked in grad_sync_finish, summed over steps */
    /* this step's split of the word embeddings (grad_sync_prepare_rows) */
    size_t wte_lo, wte_hi;  /* the word-embedding tensor in the slab, in floats */
    int split, wte_started, req_wte, req_rows;
    size_t n_rows;            /* tokens seen by some rank: rows of row_buf */
    uint8_t *bits;            /* (V) token occurs on some rank */
    int32_t *slot_of, *ids;   /* (V) slot of a token, token of a slot */
    int32_t *slot;            /* (slot_cap) slot of each position of the micro-batch */
    size_t slot_cap;
    float *row_buf;           /* (n_rows, embedding_size) the lookup gradient */
    size_t row_cap;           /* floats */
};

void grad_sync_init(struct grad_sync *s, struct bert_model *m, int world, int overlap);
void grad_sync_free(struct grad_sync *s);
/* Splits the word embeddings for the coming backward only: for the
 * micro-batch ids[0..N), finds the tokens that occur on any rank (one
 * all-reduce of a V-byte map), numbers them in id order, zeroes their rows and
 * fills wr for bert_step.wte_rows. Collective; needs overlap and world > 1. */
void grad_sync_prepare_rows(struct grad_sync *s, const int32_t *ids, size_t N,
                            struct bert_wte_rows *wr);
/* bert_grad_hook: ctx is a struct grad_sync. */
void grad_sync_hook(void *ctx, int seg);
/* Starts any segment not started yet, waits for all; returns the seconds waited. */
double grad_sync_finish(struct grad_sync *s);

#endif
