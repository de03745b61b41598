/* ft_qa.h - extractive QA rows with a document stride, and span decoding.
 * Rows: [CLS] question (at most max_query pieces) [SEP] context window [SEP];
 * windows of max_doc = T - nq - 3 context pieces start every `stride` pieces
 * (BERT's run_squad rule: the next window starts min(len, stride) later and the
 * last one ends at the context's end). Training labels are the positions of the
 * first answer's first and last piece when the window holds the whole answer,
 * else (0, 0) ([CLS]), as in Hugging Face and the original BERT code.
 * A token's "max context" window is the one where min(left, right) context +
 * 0.01 * window length is largest (BERT's _check_is_max_context).
 * Decoding: per question, over its windows, the n_best largest start and end
 * logits among context tokens (starts only where the window is the token's max
 * context); a span needs end >= start and at most max_answer pieces; the best
 * start + end logit wins (the earliest on ties). The answer text is the
 * context bytes from the start piece's first to the end piece's last byte. */
#ifndef BT_FT_QA_H
#define BT_FT_QA_H

#include "ft_feats.h"
#include "ft_squad.h"

struct ft_qa_opts {
    int T, stride, max_query;
    int n_best, max_answer;
};

void ft_feats_qa(struct ft_feats *f, const struct ft_tok *t, const struct ft_squad_set *s,
                 const struct ft_qa_opts *o);

struct ft_qa_span {
    int row, start, end;   /* row and token positions; row -1: no valid span */
    float score;
    size_t byte_start, byte_end; /* in the question's context */
};

/* Best span over rows [r0, r1) (the windows of one question) from start and end
 * logits laid out (n, T). */
struct ft_qa_span ft_qa_best_span(const struct ft_feats *f, int r0, int r1,
                                  const float *start_logits, const float *end_logits,
                                  const struct ft_qa_opts *o);

#endif
