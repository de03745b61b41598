/* grad_sync.h - gradient all-reduce over the layer-major slab.
 * Each gradient segment (bert.h) becomes one bucket. When backward reports a
 * segment final (grad_sync_hook), its non-blocking all-reduce starts at once and
 * the outstanding ones are tested, which lets MPI progress them while the next
 * layer's backward runs. grad_sync_finish waits for the rest; the time spent
 * waiting there is the exposed (not overlapped) communication. The result is
 * the SUM over ranks (the loss is already normalised by global counts).
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
};

void grad_sync_init(struct grad_sync *s, struct bert_model *m, int world, int overlap);
void grad_sync_free(struct grad_sync *s);
/* bert_grad_hook: ctx is a struct grad_sync. */
void grad_sync_hook(void *ctx, int seg);
/* Starts any segment not started yet, waits for all; returns the seconds waited. */
double grad_sync_finish(struct grad_sync *s);

#endif
