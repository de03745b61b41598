/* packing.c - see packing.h. */
#include "packing.h"
#include "mem.h"

#include <string.h>

static void push(struct pack_list *l, int64_t lo, int64_t len, int32_t n_sep)
{
    if (len <= 0)
        return;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4096;
        l->b = xrealloc(l->b, xmul((size_t)l->cap, sizeof *l->b));
    }
    struct pack_block blk = {lo, (int32_t)len, n_sep};
    l->b[l->n++] = blk;
}

void packing_build(const struct corpus *c, int T, int cross_docs, struct pack_list *out)
{
    const int64_t cap = T - 2;
    int64_t lo = 0, len = 0, used = 0; /* current block: tokens, positions used */
    int32_t n_sep = 0;
    for (int64_t d = 0; d < c->n_docs; d++) {
        for (int64_t s = c->doc_off[d]; s < c->doc_off[d + 1]; s++) {
            int64_t s_lo = c->sent_off[s], n = c->sent_off[s + 1] - s_lo;
            int first_of_doc = s == c->doc_off[d];
            int sep = cross_docs && first_of_doc && len > 0;
            if (len > 0 && (!cross_docs && first_of_doc)) { /* doc-sentences: close */
                push(out, lo, len, n_sep);
                len = used = n_sep = 0;
                sep = 0;
            }
            if (len > 0 && used + sep + n > cap) { /* does not fit: close */
                push(out, lo, len, n_sep);
                len = used = n_sep = 0;
                sep = 0;
            }
            if (n > cap) { /* longer than a row: full pieces, the rest stays open */
                int64_t p = 0;
                for (; n - p > cap; p += cap)
                    push(out, s_lo + p, cap, 0);
                lo = s_lo + p;
                len = used = n - p;
                n_sep = 0;
                continue;
            }
            if (len == 0)
                lo = s_lo;
            len += n;
            used += n + sep;
            n_sep += sep;
        }
    }
    push(out, lo, len, n_sep);
}

void pack_list_free(struct pack_list *l)
{
    xfree(l->b);
    memset(l, 0, sizeof *l);
}
