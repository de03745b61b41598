/* ft_tsv.h - GLUE-style TSV files for sequence classification.
 * The first line is a header of tab-separated column names. The label column is
 * the one named "label" (else the last column); the text columns are the other
 * columns except ones named "idx", "index" or "id": one (single sentence) or
 * two (sentence pair), in file order. Every following non-empty line must have
 * as many columns as the header. Errors name the file and line:
 *   "dev.tsv:14: expected 2 tab-separated columns (sentence, label) as in the
 *    header, found 1 (missing label column?)"
 *   "dev.tsv:20: unknown label '7' (the label set is 0, 1)". */
#ifndef BT_FT_TSV_H
#define BT_FT_TSV_H

#include "ft_input.h"
#include "ft_labels.h"

struct ft_seq_example {
    const char *a, *b;   /* text (b NULL for single sentences); point into the file */
    const char *label_text;
    int label;           /* index into the label set, after ft_tsv_assign */
    long line;
};

struct ft_seq_set {
    struct ft_input in;
    int pair;            /* 1 when there are two text columns */
    int n;
    struct ft_seq_example *ex; /* (n) */
};

/* Reads path. With labels != NULL every label is added to it (collecting the
 * training file's label set); ft_tsv_assign then maps names to indices. */
int ft_tsv_read(struct ft_seq_set *s, const char *path, struct ft_labels *collect,
                char *err) BT_WUR;
/* Sets ex[i].label; an unknown name is a BT_EUSAGE error naming file and line. */
int ft_tsv_assign(struct ft_seq_set *s, const struct ft_labels *labels, char *err) BT_WUR;
void ft_seq_set_free(struct ft_seq_set *s);

#endif
