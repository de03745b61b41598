/* prep.h - bert-prep's main job: raw text files to a directory of shards.
 *
 * Input: UTF-8 text, one sentence or paragraph per line, a blank line (only
 * whitespace) between documents; the end of each file also ends a document.
 * Lines are tokenized in parallel (pthreads, contiguous line ranges per thread,
 * results merged in input order, so the output does not depend on the thread
 * count). A line with no tokens is skipped; a line with more than
 * max_seq_len - 2 tokens is split into consecutive sentences of at most that
 * many tokens (with split_sentences, lines are first cut into sentences by
 * sentence_split.h). Documents are spread over the shards in input order, balanced by
 * token count. The shards are written into "OUTPUT.tmp.<pid>" next to OUTPUT,
 * which is renamed to OUTPUT only when all shards are complete; on failure it
 * is removed. OUTPUT must not exist yet. */
#ifndef BT_PREP_H
#define BT_PREP_H

#include "check.h"

#include <stdint.h>

struct prep_opts {
    const char *vocab_path;
    const char *tokenizer;   /* "wordpiece", "bpe" or NULL (from the vocabulary's format) */
    const char *merges_path; /* BPE: NULL = merges.txt beside the vocabulary */
    const char *const *inputs;
    int n_inputs;
    const char *output;
    int shards;      /* >= 1 */
    int max_seq_len; /* 8..65536, default 512 */
    int lowercase;   /* WordPiece: 1 uncased, 0 cased (--no-lowercase); BPE never lowercases */
    int threads;     /* tokenizer threads, >= 1 */
    int quiet;       /* 1: no progress or summary on stderr */
    int split_sentences; /* 1: split lines into sentences (sentence_split.h) */
    size_t block_bytes; /* read block size (0: 8 MiB) */
};

struct prep_stats {
    int64_t input_bytes, invalid_utf8_bytes, lines;
    int64_t docs, sentences, tokens, split_lines, unk_tokens;
    double seconds;
};

int prep_run(const struct prep_opts *o, struct prep_stats *st, char *err) BT_WUR;

#endif
