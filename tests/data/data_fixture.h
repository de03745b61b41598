/* data_fixture.h - helpers for the data/ tests: fixture paths, a synthetic
 * text corpus written from a fixed word list (every word is one WordPiece of
 * bert-base-uncased), running bert-prep into a temporary directory, and
 * writing small NVIDIA-format shards with the HDF5 C API. */
#ifndef BT_DATA_FIXTURE_H
#define BT_DATA_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

/* Absolute path of tests/data/fixtures/<name>. */
void df_fixture(char *out, size_t n, const char *name);

/* The tokenizer a golden row names in its "vocab" field. */
struct tokenizer;
typedef const struct tokenizer *(*df_pick_tokenizer)(void *ctx, const char *vocab);
/* Tokenizes every row of fixtures/<name> (JSON lines with vocab, src, text,
 * ids) with the tokenizer pick(ctx, vocab) returns and fails the test, naming
 * the row's src and printing the ids, at the first row whose ids differ.
 * Returns the rows checked; *counted gets the rows whose vocab is count_vocab. */
int df_check_golden(const char *name, df_pick_tokenizer pick, void *ctx,
                    const char *count_vocab, int *counted);

/* Writes a corpus of n_docs documents; document d has 1 + (h % max_sent)
 * sentences of min_words..max_words words (h a hash of (seed, d, s)); blank
 * lines between documents. Returns the number of sentences written. */
int64_t df_write_corpus(const char *path, int n_docs, int max_sent, int min_words,
                        int max_words, uint64_t seed);

/* Runs bert-prep (uncased fixture vocab) on one input into out_dir; fails the
 * test on error. */
void df_prep(const char *input, const char *out_dir, int shards, int max_seq_len, int threads);

/* Writes an NVIDIA-schema shard: rows examples of length T with P prediction
 * slots, ids in [999, 30522), real lengths varying, static masks applied to
 * input_ids (the original ids go to masked_lm_ids). orig_ids (rows*T) receives
 * the unmasked ids when not NULL. */
void df_write_nvidia(const char *path, int rows, int T, int P, uint64_t seed, int32_t *orig_ids);

#endif
