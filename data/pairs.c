/* pairs.c - see pairs.h. */
#include "pairs.h"
#include "mem.h"
#include "rng.h"

#include <string.h>

/* Python's random.randint(a, b): uniform in [a, b]. */
static int64_t randint(struct rng *r, int64_t a, int64_t b)
{
    return a + (int64_t)rng_next_below(r, (uint64_t)(b - a + 1));
}

static void push(struct pair_list *l, const struct pair_ex *e)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4096;
        l->ex = xrealloc(l->ex, xmul((size_t)l->cap, sizeof *l->ex));
    }
    l->ex[l->n++] = *e;
}

/* Google's truncate_seq_pair on token ranges. */
static void truncate_pair(struct rng *r, int64_t *a_lo, int64_t *a_len, int64_t *b_lo,
                          int64_t *b_len, int64_t max_num)
{
    while (*a_len + *b_len > max_num) {
        int a = *a_len > *b_len;
        int64_t *lo = a ? a_lo : b_lo, *len = a ? a_len : b_len;
        if (rng_next_double(r) < 0.5)
            (*lo)++;
        (*len)--;
    }
}

static void build_doc(const struct corpus *c, int64_t d, int T, double ssp, int sop,
                      uint64_t seed, int64_t epoch, struct pair_list *out)
{
    struct rng r;
    rng_init(&r, seed, rng_stream(PAIRS_TAG, (uint64_t)epoch, (uint64_t)d));
    const int64_t *so = c->sent_off;
    int64_t max_num = T - 3;
    int64_t target = max_num;
    if (rng_next_double(&r) < ssp)
        target = randint(&r, 2, max_num);
    int64_t s0 = c->doc_off[d], s1 = c->doc_off[d + 1];
    int64_t cs = -1, ce = -1, cur = 0;
    for (int64_t i = s0; i < s1; i++) {
        if (cs < 0)
            cs = i;
        ce = i + 1;
        cur += so[i + 1] - so[i];
        if (!(i == s1 - 1 || cur >= target))
            continue;
        int64_t nseg = ce - cs;
        int64_t a_end = nseg >= 2 ? randint(&r, 1, nseg - 1) : 1;
        int64_t a_lo = so[cs], a_len = so[cs + a_end] - so[cs];
        int64_t b_lo = so[cs + a_end], b_len = so[ce] - so[cs + a_end];
        struct pair_ex e = {0};
        int keep = 1;
        if (!sop) {
            if (nseg == 1 || rng_next_double(&r) < 0.5) {
                int64_t target_b = target - a_len;
                int64_t rd = d;
                for (int k = 0; k < 10; k++) {
                    rd = randint(&r, 0, c->n_docs - 1);
                    if (rd != d)
                        break;
                }
                int64_t r0 = c->doc_off[rd], r1 = c->doc_off[rd + 1];
                int64_t rs = r0 + randint(&r, 0, r1 - r0 - 1);
                b_lo = so[rs];
                b_len = 0;
                for (int64_t j = rs; j < r1; j++) {
                    b_len += so[j + 1] - so[j];
                    if (b_len >= target_b)
                        break;
                }
                i -= nseg - a_end; /* put the unused sentences back */
                e.label = 1;
                e.forced = nseg == 1;
            }
        } else {
            if (nseg == 1) {
                if (a_len < 2) {
                    keep = 0;
                } else {
                    int64_t cut = randint(&r, 1, a_len - 1);
                    b_lo = a_lo + cut;
                    b_len = a_len - cut;
                    a_len = cut;
                }
            }
            e.label = keep && rng_next_double(&r) < 0.5;
        }
        if (keep) {
            truncate_pair(&r, &a_lo, &a_len, &b_lo, &b_len, max_num);
            e.a_lo = a_lo;
            e.b_lo = b_lo;
            e.a_len = (uint16_t)a_len;
            e.b_len = (uint16_t)b_len;
            push(out, &e);
            out->n_forced += e.forced;
        }
        cs = -1;
        cur = 0;
    }
}

void pairs_build(const struct corpus *c, int T, double short_seq_prob, int sop, uint64_t seed,
                 int64_t epoch, struct pair_list *out)
{
    for (int64_t d = 0; d < c->n_docs; d++)
        build_doc(c, d, T, short_seq_prob, sop, seed, epoch, out);
}

void pair_list_free(struct pair_list *l)
{
    xfree(l->ex);
    memset(l, 0, sizeof *l);
}
