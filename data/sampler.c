/* sampler.c - see sampler.h. */
#include "sampler.h"
#include "mem.h"
#include "rng.h"

#include <string.h>

/* Fisher-Yates permutation of 0..n-1 keyed (seed, stream): p[i] for i = n-1..1
 * swaps with a uniform j in [0, i] drawn from counter i. */
static void permute(uint32_t *p, int64_t n, uint64_t seed, uint64_t stream)
{
    for (int64_t i = 0; i < n; i++)
        p[i] = (uint32_t)i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)rng_below(seed, stream, (uint64_t)i, (uint64_t)i + 1);
        uint32_t t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

static void epoch_clear(struct sampler_epoch *e)
{
    pair_list_free(&e->pairs);
    xfree(e->perm);
    xfree(e->file_order);
    xfree(e->file_start);
    memset(e, 0, sizeof *e);
    e->epoch = -1;
}

static void file_clear(struct sampler_file *f)
{
    nv_file_free(&f->data);
    xfree(f->row_perm);
    memset(f, 0, sizeof *f);
    f->file = -1;
    f->perm_epoch = -1;
}

int sampler_init(struct sampler *s, const struct sampler_cfg *cfg, char *err)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    for (int i = 0; i < SAMPLER_EPOCH_SLOTS; i++)
        epoch_clear(&s->ep[i]);
    for (int i = 0; i < SAMPLER_FILE_SLOTS; i++)
        file_clear(&s->files[i]);
    if (cfg->kind == SAMPLER_BLOCKS)
        packing_build(cfg->corpus, cfg->T, cfg->cross_docs, &s->blocks);
    int64_t n;
    int rc = sampler_epoch_size(s, 0, &n, err);
    if (rc == BT_OK && cfg->kind == SAMPLER_PAIRS)
        s->epoch0_forced = s->ep[0].pairs.n_forced;
    if (rc != BT_OK)
        sampler_free(s);
    return rc;
}

void sampler_free(struct sampler *s)
{
    for (int i = 0; i < SAMPLER_EPOCH_SLOTS; i++)
        epoch_clear(&s->ep[i]);
    for (int i = 0; i < SAMPLER_FILE_SLOTS; i++)
        file_clear(&s->files[i]);
    pack_list_free(&s->blocks);
}

static int build_epoch(struct sampler *s, struct sampler_epoch *ep, int64_t e, char *err)
{
    const struct sampler_cfg *c = &s->cfg;
    ep->epoch = e;
    uint64_t perm_stream = rng_stream(SAMPLER_TAG_PERM, (uint64_t)e, 0);
    if (c->kind == SAMPLER_NVIDIA) {
        int nf = c->nv->n_files;
        uint32_t *p = xmalloc(xmul((size_t)nf, sizeof *p));
        permute(p, nf, c->seed, rng_stream(SAMPLER_TAG_FILEPERM, (uint64_t)e, 0));
        ep->file_order = xmalloc(xmul((size_t)nf, sizeof(int)));
        ep->file_start = xmalloc(xmul((size_t)nf + 1, sizeof(int64_t)));
        ep->file_start[0] = 0;
        for (int i = 0; i < nf; i++) {
            ep->file_order[i] = (int)p[i];
            ep->file_start[i + 1] = ep->file_start[i] + c->nv->rows[p[i]];
        }
        xfree(p);
        ep->n = c->nv->total_rows;
        return BT_OK;
    }
    if (c->kind == SAMPLER_PAIRS) {
        pairs_build(c->corpus, c->T, c->short_seq_prob, c->sop, c->seed, e, &ep->pairs);
        ep->n = ep->pairs.n;
    } else {
        ep->n = s->blocks.n;
    }
    if (ep->n == 0)
        return bt_errf(err, BT_EFORMAT, "the corpus yields no examples for this objective at "
                       "seq_len %d", c->T);
    if (ep->n > (int64_t)UINT32_MAX)
        return bt_errf(err, BT_EUSAGE, "epoch %lld has %lld examples; at most 2^32-1 are "
                       "supported", (long long)e, (long long)ep->n);
    ep->perm = xmalloc(xmul((size_t)ep->n, sizeof *ep->perm));
    permute(ep->perm, ep->n, c->seed, perm_stream);
    return BT_OK;
}

static int get_epoch(struct sampler *s, int64_t e, struct sampler_epoch **out, char *err)
{
    struct sampler_epoch *victim = &s->ep[0];
    for (int i = 0; i < SAMPLER_EPOCH_SLOTS; i++) {
        struct sampler_epoch *ep = &s->ep[i];
        if (ep->epoch == e) {
            ep->last_use = ++s->clock;
            *out = ep;
            return BT_OK;
        }
        if (ep->last_use < victim->last_use)
            victim = ep;
    }
    epoch_clear(victim);
    int rc = build_epoch(s, victim, e, err);
    if (rc != BT_OK) {
        epoch_clear(victim);
        return rc;
    }
    victim->last_use = ++s->clock;
    *out = victim;
    return BT_OK;
}

int sampler_epoch_size(struct sampler *s, int64_t e, int64_t *n, char *err)
{
    struct sampler_epoch *ep;
    int rc = get_epoch(s, e, &ep, err);
    *n = rc == BT_OK ? ep->n : 0;
    return rc;
}

const struct pair_list *sampler_pairs(struct sampler *s, int64_t e, char *err)
{
    struct sampler_epoch *ep;
    if (s->cfg.kind != SAMPLER_PAIRS || get_epoch(s, e, &ep, err) != BT_OK)
        return NULL;
    return &ep->pairs;
}

/* The loaded data and this epoch's row order of NVIDIA file f. */
static int get_file(struct sampler *s, int f, int64_t e, struct sampler_file **out, char *err)
{
    struct sampler_file *slot = NULL, *victim = &s->files[0];
    for (int i = 0; i < SAMPLER_FILE_SLOTS; i++) {
        if (s->files[i].file == f)
            slot = &s->files[i];
        if (s->files[i].last_use < victim->last_use)
            victim = &s->files[i];
    }
    if (!slot) {
        slot = victim;
        file_clear(slot);
        int rc = nv_load_file(s->cfg.nv, f, s->cfg.vocab_size, &slot->data, err);
        if (rc != BT_OK) {
            file_clear(slot);
            return rc;
        }
        slot->file = f;
        slot->row_perm = xmalloc(xmul((size_t)slot->data.rows, sizeof(uint32_t)));
    }
    if (slot->perm_epoch != e) {
        permute(slot->row_perm, slot->data.rows, s->cfg.seed,
                rng_stream(SAMPLER_TAG_ROWPERM, (uint64_t)e, (uint64_t)f));
        slot->perm_epoch = e;
    }
    slot->last_use = ++s->clock;
    *out = slot;
    return BT_OK;
}

int sampler_get(struct sampler *s, int64_t e, int64_t idx, struct example_ref *out, char *err)
{
    memset(out, 0, sizeof *out);
    struct sampler_epoch *ep;
    int rc = get_epoch(s, e, &ep, err);
    if (rc != BT_OK)
        return rc;
    if (idx < 0 || idx >= ep->n)
        return bt_errf(err, BT_ERUNTIME, "example %lld is outside epoch %lld (%lld examples)",
                       (long long)idx, (long long)e, (long long)ep->n);
    switch (s->cfg.kind) {
    case SAMPLER_PAIRS:
        out->pair = &ep->pairs.ex[ep->perm[idx]];
        return BT_OK;
    case SAMPLER_BLOCKS:
        out->block = &s->blocks.b[ep->perm[idx]];
        return BT_OK;
    case SAMPLER_NVIDIA: {
        int lo = 0, hi = s->cfg.nv->n_files - 1; /* last file whose start <= idx */
        while (lo < hi) {
            int mid = lo + (hi - lo + 1) / 2;
            if (ep->file_start[mid] <= idx)
                lo = mid;
            else
                hi = mid - 1;
        }
        int f = ep->file_order[lo];
        int64_t k = idx - ep->file_start[lo];
        struct sampler_file *sf;
        rc = get_file(s, f, e, &sf, err);
        if (rc != BT_OK)
            return rc;
        out->nv = &sf->data;
        out->nv_row = sf->row_perm[k];
        return BT_OK;
    }
    }
    return bt_errf(err, BT_ERUNTIME, "unknown sampler kind");
}
