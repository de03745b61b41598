/* grad_sync.c - see grad_sync.h. */
#include "grad_sync.h"
#include "comm.h"
#include "mem.h"
#include "timer.h"

#include <string.h>

void grad_sync_init(struct grad_sync *s, struct bert_model *m, int world, int overlap)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->world = world;
    s->overlap = overlap;
    s->n = m->n_segments;
    s->req = xcalloc((size_t)s->n, sizeof(int));
    s->started = xcalloc((size_t)s->n, sizeof(int));
    for (int i = 0; i < s->n; i++)
        s->req[i] = -1;
}

void grad_sync_free(struct grad_sync *s)
{
    xfree(s->req);
    xfree(s->started);
    memset(s, 0, sizeof *s);
}

static void start(struct grad_sync *s, int seg)
{
    size_t lo = s->m->seg_offset[seg], hi = s->m->seg_offset[seg + 1];
    s->started[seg] = 1;
    if (s->world > 1 && hi > lo)
        s->req[seg] = comm_iallreduce_sum_f32(s->m->grads + lo, hi - lo);
}

void grad_sync_hook(void *ctx, int seg)
{
    struct grad_sync *s = ctx;
    if (!s->overlap)
        return;
    if (!s->started[seg])
        start(s, seg);
    for (int i = 0; i < s->n; i++)
        if (s->req[i] >= 0 && comm_test(s->req[i]))
            s->req[i] = -1;
}

double grad_sync_finish(struct grad_sync *s)
{
    if (!s->overlap) {
        double t0 = timer_now();
        size_t lo = s->m->seg_offset[0], hi = s->m->seg_offset[s->n];
        if (s->world > 1 && hi > lo)
            comm_allreduce_sum_f32(s->m->grads + lo, hi - lo);
        double dt = timer_now() - t0;
        s->t_exposed += dt;
        return dt;
    }
    for (int i = 0; i < s->n; i++)
        if (!s->started[i])
            start(s, i);
    double t0 = timer_now();
    for (int i = 0; i < s->n; i++)
        if (s->req[i] >= 0) {
            comm_wait(s->req[i]);
            s->req[i] = -1;
        }
    double dt = timer_now() - t0;
    for (int i = 0; i < s->n; i++)
        s->started[i] = 0;
    s->t_exposed += dt;
    return dt;
}
