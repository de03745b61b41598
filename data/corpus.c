/* corpus.c - see corpus.h. */
#include "corpus.h"
#include "mem.h"
#include "shard_reader.h"

#include <string.h>

static int same_corpus(const struct shard_meta *a, const struct shard_meta *b)
{
    return a->n_shards == b->n_shards && a->vocab_size == b->vocab_size &&
           a->lowercase == b->lowercase && a->max_seq_len == b->max_seq_len &&
           a->split_sentences == b->split_sentences &&
           a->pad_id == b->pad_id && a->unk_id == b->unk_id && a->cls_id == b->cls_id &&
           a->sep_id == b->sep_id && a->mask_id == b->mask_id &&
           a->vocab_checksum == b->vocab_checksum && a->total_docs == b->total_docs &&
           a->total_sentences == b->total_sentences && a->total_tokens == b->total_tokens;
}

int corpus_load(struct corpus *c, char *const *paths, int n, char *err)
{
    memset(c, 0, sizeof *c);
    struct shard_loaded *s = xcalloc((size_t)n, sizeof *s);
    int *by_index = xmalloc(xmul((size_t)n, sizeof(int)));
    for (int i = 0; i < n; i++)
        by_index[i] = -1;
    int rc = BT_OK;
    for (int i = 0; i < n && rc == BT_OK; i++) {
        rc = shard_reader_read(paths[i], &s[i], err);
        if (rc != BT_OK)
            break;
        const struct shard_meta *m = &s[i].meta;
        if (m->n_shards != n)
            rc = bt_errf(err, BT_EFORMAT, "%s: shard %d of %d, but the directory holds %d shard "
                         "files", paths[i], m->shard_index, m->n_shards, n);
        else if (i > 0 && !same_corpus(m, &s[0].meta))
            rc = bt_errf(err, BT_EFORMAT, "%s: belongs to a different corpus than %s "
                         "(vocabulary, options or totals differ)", paths[i], paths[0]);
        else if (by_index[m->shard_index] >= 0)
            rc = bt_errf(err, BT_EFORMAT, "%s: shard index %d also used by %s", paths[i],
                         m->shard_index, paths[by_index[m->shard_index]]);
        else
            by_index[m->shard_index] = i;
    }
    if (rc == BT_OK) {
        int64_t nt = 0, ns = 0, nd = 0;
        for (int i = 0; i < n; i++) {
            nt += s[i].meta.n_tokens;
            ns += s[i].meta.n_sentences;
            nd += s[i].meta.n_docs;
        }
        if (nt != s[0].meta.total_tokens || ns != s[0].meta.total_sentences ||
            nd != s[0].meta.total_docs)
            rc = bt_errf(err, BT_EFORMAT, "%s: the shards hold %lld tokens, the attributes say "
                         "%lld; a shard is missing or damaged", paths[0], (long long)nt,
                         (long long)s[0].meta.total_tokens);
        c->n_tokens = nt;
        c->n_sent = ns;
        c->n_docs = nd;
    }
    if (rc == BT_OK) {
        c->tokens = xmalloc(xmul((size_t)c->n_tokens, sizeof(int32_t)));
        c->sent_off = xmalloc(xmul((size_t)c->n_sent + 1, sizeof(int64_t)));
        c->doc_off = xmalloc(xmul((size_t)c->n_docs + 1, sizeof(int64_t)));
        int64_t t = 0, se = 0, d = 0;
        for (int k = 0; k < n; k++) {
            const struct shard_loaded *x = &s[by_index[k]];
            const struct shard_meta *m = &x->meta;
            memcpy(c->tokens + t, x->tokens, (size_t)m->n_tokens * sizeof(int32_t));
            for (int64_t i = 0; i < m->n_sentences; i++)
                c->sent_off[se + i] = t + x->sentence_offsets[i];
            for (int64_t i = 0; i < m->n_docs; i++)
                c->doc_off[d + i] = se + x->doc_offsets[i];
            t += m->n_tokens;
            se += m->n_sentences;
            d += m->n_docs;
        }
        c->sent_off[se] = t;
        c->doc_off[d] = se;
        c->meta = s[by_index[0]].meta;
        c->meta.n_tokens = t;
        c->meta.n_sentences = se;
        c->meta.n_docs = d;
        c->vocab = s[by_index[0]].vocab;
        c->vocab_len = s[by_index[0]].vocab_len;
        s[by_index[0]].vocab = NULL;
    }
    for (int i = 0; i < n; i++)
        shard_loaded_free(&s[i]);
    xfree(s);
    xfree(by_index);
    if (rc != BT_OK)
        corpus_free(c);
    return rc;
}

void corpus_free(struct corpus *c)
{
    xfree(c->tokens);
    xfree(c->sent_off);
    xfree(c->doc_off);
    xfree(c->vocab);
    memset(c, 0, sizeof *c);
}

int64_t corpus_doc_of_sentence(const struct corpus *c, int64_t s)
{
    int64_t lo = 0, hi = c->n_docs - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (c->doc_off[mid] <= s)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}
