/* ft_conll.h - CoNLL-style files for token classification.
 * One token per line, "token<TAB>tag" (or more tab-separated columns: the first
 * is the token, the last the tag; without tabs, space-separated the same way),
 * and a line holding only whitespace between sentences (WNUT-17's raw train
 * file uses a lone TAB). "-DOCSTART-" lines are skipped. Tags are BIO: "O",
 * "B-TYPE" or "I-TYPE". A line with one field, an empty token or a tag that is
 * not BIO is an error naming the file and line. */
#ifndef BT_FT_CONLL_H
#define BT_FT_CONLL_H

#include "ft_input.h"
#include "ft_labels.h"

struct ft_conll_sent {
    int n;                /* words */
    const char **words;   /* (n) point into the file */
    const char **tag_text;/* (n) */
    int *tags;            /* (n) label indices after ft_conll_assign */
    long line;            /* line of the first word (word k is on line + k) */
    long start;           /* index of the first word in the set's pools */
};

struct ft_conll_set {
    struct ft_input in;
    int n;                      /* sentences */
    struct ft_conll_sent *sent; /* (n) */
    long n_words;
    const char **words, **tag_text; /* pools (n_words) */
    int *tags;
};

/* Reads path; with collect != NULL adds every tag to it (then call
 * ft_labels_sort_bio once all files are read). */
int ft_conll_read(struct ft_conll_set *s, const char *path, struct ft_labels *collect,
                  char *err) BT_WUR;
/* Sets the tag indices; a tag outside labels is an error naming file and line. */
int ft_conll_assign(struct ft_conll_set *s, const struct ft_labels *labels, char *err) BT_WUR;
void ft_conll_set_free(struct ft_conll_set *s);

#endif
