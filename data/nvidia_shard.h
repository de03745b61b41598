/* nvidia_shard.h - NVIDIA DeepLearningExamples BERT pre-training shards
 * (create_pretraining_data.py, HDF5; shared/docs/prior-art.md (b1)), read as a
 * second data source. Datasets per file, N rows:
 *   input_ids [N,T] int (statically masked), input_mask [N,T] 0/1,
 *   segment_ids [N,T] 0/1, masked_lm_positions [N,P] (0-padded, ascending),
 *   masked_lm_ids [N,P] (original ids, 0-padded), next_sentence_labels [N]
 *   (0 = is next, 1 = random).
 * Any integer on-disk type is accepted (i4, or i2 of the MLPerf "fixed"
 * variant). The number of valid predictions of a row is the index of the first
 * 0 in masked_lm_positions (position 0 is [CLS], never masked). Variable-length
 * (MLPerf varlength/packed) files are refused. Files are opened once to read
 * shapes; a file's rows are read whole when the loader needs them. */
#ifndef BT_NVIDIA_SHARD_H
#define BT_NVIDIA_SHARD_H

#include "check.h"

#include <stdint.h>

struct nv_set {
    int n_files;
    char *const *paths; /* borrowed */
    int64_t *rows;   /* (n_files) rows per file */
    int64_t total_rows;
    int T, P;        /* sequence length and prediction width (same in all files) */
};

struct nv_file {
    int64_t rows;
    int T, P;
    int32_t *input_ids;   /* (rows, T) */
    int8_t *input_mask;   /* (rows, T) */
    int8_t *segment_ids;  /* (rows, T) */
    int32_t *mlm_pos;     /* (rows, P) */
    int32_t *mlm_ids;     /* (rows, P) */
    int8_t *nsp;          /* (rows) */
};

int nv_open(struct nv_set *s, char *const *paths, int n, char *err) BT_WUR;
void nv_close(struct nv_set *s);
/* Reads all rows of file f and checks them (ids in [0, vocab_size), masks 0/1,
 * positions < T). */
int nv_load_file(const struct nv_set *s, int f, int vocab_size, struct nv_file *out,
                 char *err) BT_WUR;
void nv_file_free(struct nv_file *x);
/* Valid predictions of row r (first 0 position after index 0 ends the list). */
int nv_row_npred(const struct nv_file *x, int64_t r);

#endif
