/* ft_feats.h - fine-tuning examples turned into fixed-length model rows.
 *   sequence classification: [CLS] a [SEP] (b [SEP]); pairs are truncated
 *     longest-first (Hugging Face's rule: drop the last token of the longer
 *     side, of the second on a tie); label per row;
 *   token classification: each word is tokenized on its own; the first piece
 *     of a word carries the word's tag, the other pieces and the specials get
 *     FT_IGNORE (-100, as in the seed); words past seq_len - 2 pieces are cut
 *     (counted in `truncated`; evaluation predicts "O" for them);
 *   extractive QA (ft_qa.h): [CLS] question [SEP] context window [SEP].
 * Second segments get token type 1 when the model has two token types.
 * Padding rows use [PAD] with attention mask 0. Knows no model. */
#ifndef BT_FT_FEATS_H
#define BT_FT_FEATS_H

#include "ft_conll.h"
#include "ft_tsv.h"
#include "tokenizer.h"

#include <stdint.h>

#define FT_IGNORE (-100)

struct ft_tok {
    struct tokenizer tk;
    int32_t cls, sep, pad;
    int two_types;          /* second segment gets token type 1 */
};

/* Fills the special ids from the vocabulary. */
void ft_tok_init(struct ft_tok *t, const struct vocab *v, int lowercase, int two_types);

struct ft_feats {
    int n, cap, T;
    int lw;                 /* label width per row: 1 (sequence), T (token), 2 (QA) */
    int32_t *ids, *types, *mask; /* (n, T) */
    int32_t *labels;        /* (n, lw) */
    int32_t *example;       /* (n) index of the source example */
    int32_t *word;          /* token: (n, T) word index of first pieces, else -1 */
    int32_t *off_s, *off_e; /* QA: (n, T) context byte range of each token, -1 elsewhere */
    uint8_t *max_ctx;       /* QA: (n, T) 1 where this window is the token's best context */
    int32_t *doc_start;     /* QA: (n) first context token index of the window */
    long truncated;         /* pieces (sequence), words (token) or 0 (QA) cut by T */
    long n_tokens;          /* real tokens over all rows */
};

void ft_feats_init(struct ft_feats *f, int T, int lw, int token_words, int qa);
void ft_feats_free(struct ft_feats *f);
/* Appends an empty (padding) row and returns its index. */
int ft_feats_add_row(struct ft_feats *f, int example);
/* Writes token id at position t of row r as a real (attended) token of type ty. */
void ft_feats_put(struct ft_feats *f, int r, int t, int32_t id, int ty);

void ft_feats_seq(struct ft_feats *f, const struct ft_tok *t, const struct ft_seq_set *s, int T);
void ft_feats_token(struct ft_feats *f, const struct ft_tok *t, const struct ft_conll_set *s,
                    int T);

#endif
