/* bert_config.h - the model configuration, read from a Hugging Face config.json
 * with HF's own keys (model_type picks BERT / RoBERTa / ALBERT; HF's extra keys
 * such as "architectures" are accepted and ignored). Missing optional keys take
 * HF's defaults; a missing required key, a wrong type, an unknown hidden_act or a
 * hidden size not divisible by the head count is a BT_EUSAGE error naming the
 * file and key. */
#ifndef BT_BERT_CONFIG_H
#define BT_BERT_CONFIG_H

#include "check.h"

enum model_type { MODEL_BERT, MODEL_ROBERTA, MODEL_ALBERT, MODEL_COUNT };

struct bert_config {
    enum model_type type;
    int vocab_size;              /* V */
    int hidden_size;             /* C */
    int num_layers;              /* L: layer applications (ALBERT: shared parameters) */
    int num_heads;               /* NH */
    int intermediate_size;       /* F */
    int max_position_embeddings; /* P */
    int type_vocab_size;
    int embedding_size;          /* E: ALBERT's factorised embedding; C otherwise */
    int num_hidden_groups;       /* ALBERT */
    int inner_group_num;         /* ALBERT */
    int act;                     /* enum act_kind */
    double hidden_dropout, attn_dropout, classifier_dropout; /* as written in config.json */
    double layer_norm_eps;
    double initializer_range;
    int pad_token_id;
};

int bert_config_load(struct bert_config *c, const char *path, char *err) BT_WUR;
/* Same from an already parsed JSON object (jansson json_t *), `where` names it. */
int bert_config_from_json(struct bert_config *c, const void *json, const char *where,
                          char *err) BT_WUR;
/* HF config.json text for this configuration (malloc'd, caller frees). */
char *bert_config_to_json(const struct bert_config *c);
const char *model_type_name(enum model_type t);
/* Number of distinct encoder layers with their own parameters. */
int bert_config_unique_layers(const struct bert_config *c);
int bert_config_has_pooler(const struct bert_config *c);
int bert_config_has_nsp(const struct bert_config *c);
/* Position id of the first token (RoBERTa: pad_token_id + 1, else 0). */
int bert_config_position_offset(const struct bert_config *c);

#endif
