/* ckpt_state.h - what a checkpoint holds for training and for models, on top of
 * the file format of checkpoint.h.
 *   tensors: "param/<name>" for every tensor of the model's table (fused Q/K/V as
 *   one tensor), "adam_m/<name>" and "adam_v/<name>" for training checkpoints,
 *   and task-head tensors under their own names for fine-tuned models;
 *   metadata: {"format": "bertc-checkpoint", "kind": "train"|"model",
 *   "model_config": HF config.json object, "recipe": {...}, "step", "samples",
 *   "skipped", "data_state": {"epoch", "sample"}, "optimizer": {"kind", "t"},
 *   "seed", "world_size", "threads", "build": {"git", "matmul"}, "created",
 *   "extra": {...}}. */
#ifndef BT_CKPT_STATE_H
#define BT_CKPT_STATE_H

#include "bert.h"
#include "checkpoint.h"
#include "optimizer.h"
#include "recipe.h"

struct train_state {
    long step, skipped, opt_t;
    long long samples;
    int64_t data_epoch, data_sample;
    int world, threads;
};

/* The slabs to save: params (required), adam_m / adam_v (NULL for a model). */
struct ckpt_slabs {
    const float *params, *adam_m, *adam_v;
};

/* Writes one checkpoint file. recipe and st may be NULL (model-only). */
int ckpt_state_write(const char *path, const struct bert_model *m, const struct ckpt_slabs *s,
                     const struct recipe *recipe, const struct train_state *st,
                     const struct ckpt_tensor *extra, int n_extra, const char *extra_meta_json,
                     const struct ckpt_write_opts *o, char *err) BT_WUR;

/* Reads the model config stored in an open checkpoint. */
int ckpt_state_config(struct ckpt_file *f, struct bert_config *cfg, char *err) BT_WUR;
/* Reads the training state and recipe of a training checkpoint. */
int ckpt_state_train(struct ckpt_file *f, struct train_state *st, struct recipe *r,
                     char *err) BT_WUR;
/* Loads parameters (and, when m_out/v_out are non-NULL, the Adam moments) into
 * slabs laid out like m's table. Errors name the tensor and both shapes. */
int ckpt_state_load(struct ckpt_file *f, const struct bert_model *m, float *params, float *m_out,
                    float *v_out, char *err) BT_WUR;
/* Describes how two configs differ in shape ("" when they agree). */
void ckpt_config_diff(const struct bert_config *a, const struct bert_config *b, char *out,
                      size_t n);

#endif
