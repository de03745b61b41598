/* ft_labels.h - the label set of a fine-tuning task: names in id order.
 * Sequence classification collects the labels of the training file and sorts
 * them (numerically when every name is an integer, else bytewise); token
 * classification keeps BIO tags in the order O, then per entity type (sorted)
 * B-type before I-type, which is Hugging Face's order for WNUT-17 and
 * CoNLL-2003. A label set can also be given as a comma-separated list. */
#ifndef BT_FT_LABELS_H
#define BT_FT_LABELS_H

#include "check.h"

#include <stddef.h>

#define FT_MAX_LABELS 1024

struct ft_labels {
    int n;
    char **name; /* (n) owned */
};

void ft_labels_free(struct ft_labels *l);
/* Index of name s[0..len), or -1. */
int ft_labels_find(const struct ft_labels *l, const char *s, size_t len);
/* Appends s[0..len) when absent; BT_EUSAGE past FT_MAX_LABELS. Returns the index
 * through *idx (may be NULL). */
int ft_labels_add(struct ft_labels *l, const char *s, size_t len, int *idx, char *err) BT_WUR;
/* Sorts for sequence classification (integers numerically, else bytewise). */
void ft_labels_sort(struct ft_labels *l);
/* Completes and sorts a BIO tag set: for every type seen (as B- or I-) both
 * B-type and I-type are present; "O" is first. */
void ft_labels_sort_bio(struct ft_labels *l);
/* Parses "a,b,c" (no empty names, no duplicates). */
int ft_labels_parse(struct ft_labels *l, const char *list, const char *where, char *err) BT_WUR;
/* "a, b, c" into buf (truncated with "..."). */
const char *ft_labels_str(const struct ft_labels *l, char *buf, size_t n);
/* 1 when s[0..len) is a BIO tag: "O", "B-x" or "I-x" with a non-empty x. */
int ft_tag_is_bio(const char *s, size_t len);

#endif
