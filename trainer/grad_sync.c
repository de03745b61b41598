/* grad_sync.c - see grad_sync.h. */
#include "grad_sync.h"
#include "check.h"
#include "comm.h"
#include "mem.h"
#include "rows.h"
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
    s->req_wte = s->req_rows = -1;
    s->wte_lo = (size_t)(m->g.wte - m->grads);
    s->wte_hi = s->wte_lo + (size_t)m->cfg.vocab_size * (size_t)m->cfg.embedding_size;
}

void grad_sync_free(struct grad_sync *s)
{
    xfree(s->req);
    xfree(s->started);
    xfree(s->bits);
    xfree(s->slot_of);
    xfree(s->ids);
    xfree(s->slot);
    xfree(s->row_buf);
    memset(s, 0, sizeof *s);
}

void grad_sync_prepare_rows(struct grad_sync *s, const int32_t *ids, size_t N,
                            struct bert_wte_rows *wr)
{
    BT_CHECK(s->overlap && s->world > 1,
             "grad_sync_prepare_rows needs overlap and several ranks");
    BT_CHECK(s->wte_lo == s->m->seg_offset[0], "the word embeddings must open segment 0");
    size_t V = (size_t)s->m->cfg.vocab_size, E = (size_t)s->m->cfg.embedding_size;
    if (!s->bits) {
        s->bits = xmalloc(V);
        s->slot_of = xmalloc(xmul(V, sizeof(int32_t)));
        s->ids = xmalloc(xmul(V, sizeof(int32_t)));
    }
    memset(s->bits, 0, V);
    for (size_t n = 0; n < N; n++) {
        BT_CHECK(ids[n] >= 0 && (size_t)ids[n] < V, "token id %d outside the vocabulary", ids[n]);
        s->bits[ids[n]] = 1;
    }
    comm_allreduce_bor_u8(s->bits, V);
    size_t nr = 0;
    for (size_t v = 0; v < V; v++)
        if (s->bits[v]) {
            s->slot_of[v] = (int32_t)nr;
            s->ids[nr++] = (int32_t)v;
        }
    if (s->slot_cap < N) {
        s->slot_cap = N;
        s->slot = xrealloc(s->slot, xmul(N, sizeof(int32_t)));
    }
    for (size_t n = 0; n < N; n++)
        s->slot[n] = s->slot_of[ids[n]];
    if (s->row_cap < nr * E) {
        s->row_cap = nr * E;
        s->row_buf = xrealloc(s->row_buf, xmul(s->row_cap, sizeof(float)));
    }
    memset(s->row_buf, 0, nr * E * sizeof(float));
    wr->rows = s->row_buf;
    wr->slot = s->slot;
    s->split = 1;
    s->n_rows = nr;
}

static void start_wte(struct grad_sync *s)
{
    s->wte_started = 1;
    s->req_wte = comm_iallreduce_sum_f32(s->m->grads + s->wte_lo, s->wte_hi - s->wte_lo);
}

static void start(struct grad_sync *s, int seg)
{
    size_t lo = s->m->seg_offset[seg], hi = s->m->seg_offset[seg + 1];
    s->started[seg] = 1;
    if (s->world <= 1)
        return;
    if (seg == 0 && s->split) { /* the rest of segment 0, then the touched rows */
        lo = s->wte_hi;
        if (!s->wte_started)
            start_wte(s);
        if (s->n_rows > 0)
            s->req_rows = comm_iallreduce_sum_f32(s->row_buf, s->n_rows *
                                                  (size_t)s->m->cfg.embedding_size);
    }
    if (hi > lo)
        s->req[seg] = comm_iallreduce_sum_f32(s->m->grads + lo, hi - lo);
}

static void test_all(struct grad_sync *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->req[i] >= 0 && comm_test(s->req[i]))
            s->req[i] = -1;
    if (s->req_wte >= 0 && comm_test(s->req_wte))
        s->req_wte = -1;
    if (s->req_rows >= 0 && comm_test(s->req_rows))
        s->req_rows = -1;
}

void grad_sync_hook(void *ctx, int seg)
{
    struct grad_sync *s = ctx;
    if (!s->overlap)
        return;
    if (s->split && seg == s->n - 1 && !s->wte_started) /* the MLM head is done */
        start_wte(s);
    if (!s->started[seg])
        start(s, seg);
    test_all(s);
}

static void wait_req(int *req)
{
    if (*req >= 0)
        comm_wait(*req);
    *req = -1;
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
    if (s->split && !s->wte_started)
        start_wte(s);
    for (int i = 0; i < s->n; i++)
        if (!s->started[i])
            start(s, i);
    double t0 = timer_now();
    for (int i = 0; i < s->n; i++)
        wait_req(&s->req[i]);
    wait_req(&s->req_wte);
    wait_req(&s->req_rows);
    double dt = timer_now() - t0;
    if (s->split) /* add the touched rows back: the same on every rank */
        scatter_add_rows(s->m->grads + s->wte_lo, s->row_buf, s->ids, (int)s->n_rows,
                         s->m->cfg.embedding_size);
    for (int i = 0; i < s->n; i++)
        s->started[i] = 0;
    s->split = s->wte_started = 0;
    s->t_exposed += dt;
    return dt;
}
