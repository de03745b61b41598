/* masking.c - see masking.h. */
#include "masking.h"
#include "check.h"
#include "rng.h"

#include <math.h>
#include <string.h>

static const char *const mode_names[MASK_MODE_COUNT] = {"token", "whole-word", "ngram"};

int mask_mode_parse(const char *s, enum mask_mode *out)
{
    for (int i = 0; i < MASK_MODE_COUNT; i++) {
        if (s && strcmp(s, mode_names[i]) == 0) {
            *out = (enum mask_mode)i;
            return BT_OK;
        }
    }
    return BT_EUSAGE;
}

const char *mask_mode_name(enum mask_mode m)
{
    return (m >= 0 && m < MASK_MODE_COUNT) ? mode_names[m] : "unknown";
}

static int is_special(const struct mask_params *p, int32_t id)
{
    for (int i = 0; i < 5; i++)
        if (id == p->special[i])
            return 1;
    return 0;
}

int masking_count(const struct mask_params *p, int L, int n_cand)
{
    long k = lrint(p->prob * (double)L); /* default rounding mode: half to even */
    if (k < 1)
        k = 1;
    if (k > p->max_pred)
        k = p->max_pred;
    if (k > n_cand)
        k = n_cand;
    return (int)k;
}

int masking_ngram_length(double u, int avail)
{
    double total = 0, acc = 0;
    for (int n = 1; n <= avail; n++)
        total += 1.0 / n;
    for (int n = 1; n < avail; n++) {
        acc += 1.0 / n;
        if (u * total < acc)
            return n;
    }
    return avail;
}

/* Replacement of one masked token by the 80/10/10 action a (0 mask, 1 random, 2 keep). */
static void apply_action(const struct mask_params *p, struct rng *r, int32_t *id, int a)
{
    if (a == 0)
        *id = p->mask_id;
    else if (a == 1 && p->pool_n > 0)
        *id = p->pool[rng_next_below(r, (uint64_t)p->pool_n)];
}

static int draw_action(struct rng *r)
{
    double u = rng_next_double(r);
    return u < 0.8 ? 0 : u < 0.9 ? 1 : 2;
}

static int mask_tokens(const struct mask_params *p, struct rng *r, int32_t *ids, int L,
                       int32_t *pos, int32_t *labels, int32_t *scratch)
{
    int n_cand = 0;
    for (int t = 0; t < L; t++)
        if (!is_special(p, ids[t]))
            scratch[n_cand++] = t;
    int k = masking_count(p, L, n_cand);
    for (int j = 0; j < k; j++) { /* partial Fisher-Yates: a uniform k-subset */
        int pick = j + (int)rng_next_below(r, (uint64_t)(n_cand - j));
        int32_t tmp = scratch[j];
        scratch[j] = scratch[pick];
        scratch[pick] = tmp;
    }
    for (int j = 1; j < k; j++) { /* ascending positions */
        int32_t v = scratch[j];
        int i = j;
        while (i > 0 && scratch[i - 1] > v) {
            scratch[i] = scratch[i - 1];
            i--;
        }
        scratch[i] = v;
    }
    for (int j = 0; j < k; j++) {
        int32_t t = scratch[j];
        pos[j] = t;
        labels[j] = ids[t];
        apply_action(p, r, &ids[t], draw_action(r));
    }
    return k;
}

/* whole-word and ngram. scratch: word start, word length, shuffled order, and
 * per token the action + 1 (0 = not masked). */
static int mask_words(const struct mask_params *p, struct rng *r, int32_t *ids, int L,
                      const uint8_t *cont, int32_t *pos, int32_t *labels, int32_t *scratch)
{
    int32_t *ws = scratch, *wl = scratch + L, *order = scratch + 2 * L, *act = scratch + 3 * L;
    int nw = 0, n_cand = 0;
    for (int t = 0; t < L; t++) {
        act[t] = 0;
        if (is_special(p, ids[t]))
            continue;
        n_cand++;
        if (nw > 0 && cont && cont[t] && ws[nw - 1] + wl[nw - 1] == t) {
            wl[nw - 1]++;
        } else {
            ws[nw] = t;
            wl[nw] = 1;
            nw++;
        }
    }
    int k = masking_count(p, L, n_cand);
    for (int i = 0; i < nw; i++)
        order[i] = i;
    for (int i = nw - 1; i > 0; i--) { /* Fisher-Yates */
        int j = (int)rng_next_below(r, (uint64_t)(i + 1));
        int32_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    int covered = 0;
    for (int i = 0; i < nw && covered < k; i++) {
        int w = order[i], n = 1;
        if (p->mode == MASK_NGRAM) {
            int avail = 1;
            while (avail < p->max_ngram && w + avail < nw &&
                   ws[w + avail] == ws[w + avail - 1] + wl[w + avail - 1])
                avail++;
            n = masking_ngram_length(rng_next_double(r), avail);
        }
        int span = 0;
        for (int j = 0; j < n; j++)
            span += wl[w + j];
        while (n > 1 && covered + span > k)
            span -= wl[w + --n];
        if (covered + span > k)
            continue;
        int taken = 0;
        for (int j = 0; j < n && !taken; j++)
            taken = act[ws[w + j]] != 0;
        if (taken)
            continue;
        for (int j = 0; j < n; j++) {
            int a = draw_action(r) + 1;
            for (int t = ws[w + j]; t < ws[w + j] + wl[w + j]; t++)
                act[t] = a;
        }
        covered += span;
    }
    int m = 0;
    for (int t = 0; t < L; t++) {
        if (!act[t])
            continue;
        pos[m] = t;
        labels[m] = ids[t];
        apply_action(p, r, &ids[t], act[t] - 1);
        m++;
    }
    return m;
}

int masking_apply(const struct mask_params *p, uint64_t seed, uint64_t stream, int32_t *ids,
                  int L, const uint8_t *cont, int32_t *pos, int32_t *labels, int32_t *scratch)
{
    struct rng r;
    rng_init(&r, seed, stream);
    if (p->mode == MASK_TOKEN)
        return mask_tokens(p, &r, ids, L, pos, labels, scratch);
    return mask_words(p, &r, ids, L, cont, pos, labels, scratch);
}
