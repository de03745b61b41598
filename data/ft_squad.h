/* ft_squad.h - SQuAD v1.1 JSON for extractive question answering.
 *   {"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question",
 *     "answers": [{"answer_start", "text"}, ...]}]}]}], "version"}
 * answer_start counts Unicode code points of the decoded context (Python str
 * indexing); the reader converts it to a byte range of the UTF-8 context and
 * checks that the context holds the answer text there. Errors name the file
 * and, for a bad answer, the line:column of its question id in the file:
 *   "dev.json:1:20571: question '5733be28...' answer 1: answer_start 515 points
 *    at 'Saint Bern', expected 'Saint Bernadette Soubirous'". */
#ifndef BT_FT_SQUAD_H
#define BT_FT_SQUAD_H

#include "check.h"

#include <stddef.h>

struct ft_squad_answer {
    char *text;             /* owned */
    size_t start, end;      /* byte range in the context */
    long char_start;        /* answer_start as given (code points) */
};

struct ft_squad_question {
    char *id, *question;    /* owned */
    int ctx;                /* index of the context */
    int n_ans;
    struct ft_squad_answer *ans; /* (n_ans) owned */
};

struct ft_squad_set {
    char *path;
    int n_ctx;
    char **ctx;             /* (n_ctx) owned, NUL-terminated UTF-8 */
    size_t *ctx_len;        /* (n_ctx) bytes */
    int n_q;
    struct ft_squad_question *q; /* (n_q) */
};

/* Reads path. Every question must have at least one answer (training and
 * evaluation both need them). */
int ft_squad_read(struct ft_squad_set *s, const char *path, char *err) BT_WUR;
void ft_squad_set_free(struct ft_squad_set *s);
/* Byte offset of code point index cp in s[0..len), or (size_t)-1 past the end. */
size_t ft_utf8_offset(const char *s, size_t len, long cp);

#endif
