/* ft_model.h - where bert-finetune and bert-attention get their encoder from,
 * and how bert-finetune writes the fine-tuned model.
 *
 * Inputs (--model PATH):
 *   - a Hugging Face model directory: config.json + model.safetensors (the
 *     names of BertForPreTraining / BertModel / RobertaForMaskedLM /
 *     AlbertForPreTraining / ...; a missing "bert." / "roberta." / "albert."
 *     prefix is accepted). Every embedding and encoder tensor must be present;
 *     the pooler and the pre-training heads may be missing (the pooler is then
 *     initialised randomly, as transformers does). Task-head tensors with the
 *     names of ft_heads.h are loaded when present with the right shape.
 *     vocab.txt and tokenizer_config.json's do_lower_case are picked up from
 *     the directory; finetune.json (written by bert-finetune) gives the task
 *     and label set of an already fine-tuned model;
 *   - a config.json file alone: random initialisation (for tests and
 *     baselines; the vocabulary must then be given with --vocab);
 *   - our checkpoint (trainer/checkpoint.h): a bert-train run directory (its
 *     newest complete checkpoint), a step directory or a model.ckpt file,
 *     loaded with ckpt_load_model; a checkpoint written by bert-finetune also
 *     carries the head tensors and, in its metadata's "extra", the task and
 *     label set; vocab.txt beside the file is used when present.
 * Outputs: our checkpoint (ft_model_save_ckpt), and/or an HF directory as
 * transformers' save_pretrained writes it for
 * Bert/Roberta/AlbertFor{SequenceClassification, TokenClassification,
 * QuestionAnswering}: config.json (architectures, id2label, label2id),
 * model.safetensors (base model + task head; the pooler only for sequence
 * classification), vocab.txt, and our finetune.json. Written into a temporary
 * directory that is renamed into place. */
#ifndef BT_FT_MODEL_H
#define BT_FT_MODEL_H

#include "bert.h"
#include "ft_heads.h"
#include "ft_labels.h"
#include "vocab.h"

#define FT_PATH_LEN 4096

enum ft_model_kind { FT_MODEL_HF_DIR, FT_MODEL_CONFIG, FT_MODEL_CKPT, FT_MODEL_KIND_COUNT };

struct ft_model_src {
    enum ft_model_kind kind;
    char path[FT_PATH_LEN];
    char weights[2 * FT_PATH_LEN + 64]; /* model.safetensors of an HF directory */
    char vocab[2 * FT_PATH_LEN + 64];   /* vocab.txt found beside the weights, or "" */
    int lowercase;              /* do_lower_case of tokenizer_config.json, -1 unknown */
    char task[32];              /* from finetune.json, or "" */
    struct ft_labels labels;    /* from finetune.json (n = 0 when absent) */
    int missing_pooler;         /* the pooler was initialised randomly */
};

/* Resolves path, reads the configuration, bert_init()s m, initialises every
 * parameter from seed and overwrites it with the stored weights. Errors about
 * the input (not a model, no weights, a missing tensor, bad config) are
 * BT_EUSAGE naming the path. */
int ft_model_load(struct ft_model_src *src, const char *path, struct bert_model *m,
                  uint64_t seed, char *err) BT_WUR;
void ft_model_src_free(struct ft_model_src *src);
/* Loads the head's tensors stored with the model, when present with the head's
 * shapes; *loaded gets how many were. */
int ft_model_load_head(const struct ft_model_src *src, struct ft_head *h, int *loaded,
                       char *err) BT_WUR;

struct ft_save_info {
    enum ft_task task;
    const struct ft_labels *labels;
    const struct vocab *vocab;
    int lowercase;
    const char *recipe_json;    /* resolved fine-tuning recipe */
};

/* Writes our model-only checkpoint dir/model.ckpt + dir/DONE (ckpt_save_model)
 * with the head tensors under their HF names and {task, labels, lowercase,
 * recipe} as extra metadata, plus dir/vocab.txt; bert-ckpt export-hf exports it. */
int ft_model_save_ckpt(const char *dir, const struct bert_model *m, const struct ft_head *h,
                       const struct ft_save_info *info, char *err) BT_WUR;
/* Writes the HF directory `dir` (replacing an existing one). */
int ft_model_save_hf(const char *dir, const struct bert_model *m, const struct ft_head *h,
                     const struct ft_save_info *info, char *err) BT_WUR;
/* "BertForSequenceClassification" etc. */
const char *ft_model_arch_name(enum model_type t, enum ft_task task);

#endif
