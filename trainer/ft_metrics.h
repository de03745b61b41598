/* ft_metrics.h - the official metrics of the three fine-tuning tasks.
 *  - classification: accuracy; for two labels also precision, recall and F1 of
 *    label 1 (GLUE's binary F1);
 *  - token classification: entity-level micro precision / recall / F1 with
 *    conlleval semantics on BIO tags: a chunk starts at B-X, or at I-X after O
 *    or after a tag of another type, and runs over the following I-X; a
 *    predicted chunk is correct when type, first and last token equal a gold
 *    chunk's; per-type counts are kept too;
 *  - SQuAD v1.1 (evaluate-v1.1.py): answers normalised by lower-casing
 *    (Python's full mapping), deleting ASCII punctuation, replacing the whole
 *    words a / an / the by a space and collapsing whitespace; EM and token F1
 *    take the maximum over the gold answers. Word characters for the article
 *    rule are letters, digits and '_' (ASCII) and every non-ASCII code point
 *    that is neither whitespace nor punctuation - Python's \w up to non-ASCII
 *    symbols, which never decide a boundary in practice. */
#ifndef BT_FT_METRICS_H
#define BT_FT_METRICS_H

#include <stddef.h>

struct ft_cls_metrics {
    long n, correct;
    double accuracy;
    double precision, recall, f1; /* label 1 vs the rest; only when K == 2 */
};

void ft_metrics_cls(const int *gold, const int *pred, long n, int K, struct ft_cls_metrics *m);

#define FT_NER_MAX_TYPES 64

struct ft_ner_counts {
    long correct, pred, gold;
    int n_types;
    char type[FT_NER_MAX_TYPES][48];
    long t_correct[FT_NER_MAX_TYPES], t_pred[FT_NER_MAX_TYPES], t_gold[FT_NER_MAX_TYPES];
};

/* Adds one sentence of n tags (label names such as "B-person", "O"). */
void ft_ner_add(struct ft_ner_counts *c, const char *const *gold, const char *const *pred, int n);
/* P, R, F1 (0 when undefined) of all types (type < 0) or of one type. */
void ft_ner_prf(const struct ft_ner_counts *c, int type, double *p, double *r, double *f1);

/* Normalised answer text (malloc'd, tokens joined by single spaces). */
char *ft_squad_normalize(const char *s);
/* EM and F1 (0 or 1, and [0, 1]) of one prediction against one gold answer. */
double ft_squad_em(const char *pred, const char *gold);
double ft_squad_f1(const char *pred, const char *gold);
/* Maxima over n gold answers. */
void ft_squad_score(const char *pred, const char *const *golds, int n, double *em, double *f1);

#endif
