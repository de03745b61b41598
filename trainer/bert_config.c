/* bert_config.c - see bert_config.h. */
#include "bert_config.h"
#include "activation.h"
#include "json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *model_type_name(enum model_type t)
{
    static const char *const names[MODEL_COUNT] = {"bert", "roberta", "albert"};
    return (unsigned)t < MODEL_COUNT ? names[t] : "?";
}

static int get_int(const json_t *j, const char *key, int required, int dflt, int min, int *out,
                   const char *where, char *err)
{
    long long v = dflt;
    int rc = jsonu_get_int(j, key, required, &v, where, err);
    if (rc < 0)
        return rc;
    if (v < min || v > 1000000000LL)
        return bt_errf(err, BT_EUSAGE, "%s: key '%s' is %lld, expected an integer >= %d", where,
                       key, v, min);
    *out = (int)v;
    return BT_OK;
}

static int get_prob(const json_t *j, const char *key, double dflt, double *out, const char *where,
                    char *err)
{
    double v = dflt;
    int rc = jsonu_get_num(j, key, 0, &v, where, err);
    if (rc < 0)
        return rc;
    if (v < 0 || v >= 1)
        return bt_errf(err, BT_EUSAGE, "%s: key '%s' is %g, expected a probability in [0, 1)",
                       where, key, v);
    *out = v;
    return BT_OK;
}

int bert_config_from_json(struct bert_config *c, const void *json, const char *where, char *err)
{
    const json_t *j = json;
    memset(c, 0, sizeof *c);
    if (!json_is_object(j))
        return bt_errf(err, BT_EUSAGE, "%s: expected a JSON object", where);
    const char *mt;
    int rc = jsonu_get_str(j, "model_type", 1, &mt, where, err);
    if (rc != BT_OK)
        return rc;
    c->type = MODEL_COUNT;
    for (int t = 0; t < MODEL_COUNT; t++)
        if (!strcmp(mt, model_type_name((enum model_type)t)))
            c->type = (enum model_type)t;
    if (c->type == MODEL_COUNT)
        return bt_errf(err, BT_EUSAGE,
                       "%s: model_type '%s' is not supported (expected bert, roberta or albert)",
                       where, mt);
    int albert = c->type == MODEL_ALBERT;
    if ((rc = get_int(j, "vocab_size", 1, 0, 1, &c->vocab_size, where, err)) ||
        (rc = get_int(j, "hidden_size", 1, 0, 1, &c->hidden_size, where, err)) ||
        (rc = get_int(j, "num_hidden_layers", 1, 0, 1, &c->num_layers, where, err)) ||
        (rc = get_int(j, "num_attention_heads", 1, 0, 1, &c->num_heads, where, err)) ||
        (rc = get_int(j, "intermediate_size", 1, 0, 1, &c->intermediate_size, where, err)) ||
        (rc = get_int(j, "max_position_embeddings", 0, 512, 1, &c->max_position_embeddings,
                      where, err)) ||
        (rc = get_int(j, "type_vocab_size", 0, 2, 1, &c->type_vocab_size, where, err)) ||
        (rc = get_int(j, "pad_token_id", 0, c->type == MODEL_ROBERTA ? 1 : 0, 0,
                      &c->pad_token_id, where, err)) ||
        (rc = get_int(j, "embedding_size", 0, albert ? 128 : 1, 1, &c->embedding_size, where,
                      err)) ||
        (rc = get_int(j, "num_hidden_groups", 0, 1, 1, &c->num_hidden_groups, where, err)) ||
        (rc = get_int(j, "inner_group_num", 0, 1, 1, &c->inner_group_num, where, err)) ||
        (rc = get_prob(j, "hidden_dropout_prob", albert ? 0.0 : 0.1, &c->hidden_dropout, where,
                       err)) ||
        (rc = get_prob(j, "attention_probs_dropout_prob", albert ? 0.0 : 0.1, &c->attn_dropout,
                       where, err)) ||
        (rc = get_prob(j, "classifier_dropout_prob", 0.1, &c->classifier_dropout, where, err)))
        return rc;
    if (!albert) {
        c->embedding_size = c->hidden_size;
        c->num_hidden_groups = c->num_layers;
        c->inner_group_num = 1;
    }
    const char *act;
    if ((rc = jsonu_get_str(j, "hidden_act", 1, &act, where, err)) != BT_OK)
        return rc;
    c->act = act_parse(act);
    if (c->act < 0)
        return bt_errf(err, BT_EUSAGE,
                       "%s: hidden_act '%s' is not supported (expected gelu, gelu_new, "
                       "gelu_pytorch_tanh or relu)",
                       where, act);
    double eps = 1e-12, init = 0.02;
    if ((rc = jsonu_get_num(j, "layer_norm_eps", 0, &eps, where, err)) < 0 ||
        (rc = jsonu_get_num(j, "initializer_range", 0, &init, where, err)) < 0)
        return rc;
    if (!(eps > 0 && eps < 1))
        return bt_errf(err, BT_EUSAGE, "%s: layer_norm_eps %g must be in (0, 1)", where, eps);
    c->layer_norm_eps = eps;
    c->initializer_range = init;
    const char *pet;
    if ((rc = jsonu_get_str(j, "position_embedding_type", 0, &pet, where, err)) < 0)
        return rc;
    if (rc == BT_OK && strcmp(pet, "absolute"))
        return bt_errf(err, BT_EUSAGE,
                       "%s: position_embedding_type '%s' is not supported (expected absolute)",
                       where, pet);
    if (c->hidden_size % c->num_heads)
        return bt_errf(err, BT_EUSAGE,
                       "%s: hidden_size %d is not divisible by num_attention_heads %d", where,
                       c->hidden_size, c->num_heads);
    if (albert && c->num_layers % c->num_hidden_groups)
        return bt_errf(err, BT_EUSAGE,
                       "%s: num_hidden_layers %d is not divisible by num_hidden_groups %d", where,
                       c->num_layers, c->num_hidden_groups);
    if (c->pad_token_id >= c->vocab_size)
        return bt_errf(err, BT_EUSAGE, "%s: pad_token_id %d is outside the vocabulary (%d)",
                       where, c->pad_token_id, c->vocab_size);
    if (c->type == MODEL_ROBERTA && c->max_position_embeddings <= c->pad_token_id + 1)
        return bt_errf(err, BT_EUSAGE,
                       "%s: max_position_embeddings %d leaves no positions after the padding "
                       "offset %d",
                       where, c->max_position_embeddings, c->pad_token_id + 1);
    return BT_OK;
}

int bert_config_load(struct bert_config *c, const char *path, char *err)
{
    json_t *j = jsonu_load_file(path, err);
    if (!j)
        return BT_EUSAGE;
    int rc = bert_config_from_json(c, j, path, err);
    json_decref(j);
    return rc;
}

char *bert_config_to_json(const struct bert_config *c)
{
    static const char *const arch[MODEL_COUNT] = {"BertForPreTraining", "RobertaForMaskedLM",
                                                  "AlbertForPreTraining"};
    json_t *j = json_object();
    json_object_set_new(j, "architectures", json_pack("[s]", arch[c->type]));
    json_object_set_new(j, "model_type", json_string(model_type_name(c->type)));
    json_object_set_new(j, "vocab_size", json_integer(c->vocab_size));
    json_object_set_new(j, "hidden_size", json_integer(c->hidden_size));
    json_object_set_new(j, "num_hidden_layers", json_integer(c->num_layers));
    json_object_set_new(j, "num_attention_heads", json_integer(c->num_heads));
    json_object_set_new(j, "intermediate_size", json_integer(c->intermediate_size));
    json_object_set_new(j, "hidden_act", json_string(act_name((enum act_kind)c->act)));
    json_object_set_new(j, "hidden_dropout_prob", json_real(c->hidden_dropout));
    json_object_set_new(j, "attention_probs_dropout_prob", json_real(c->attn_dropout));
    json_object_set_new(j, "max_position_embeddings", json_integer(c->max_position_embeddings));
    json_object_set_new(j, "type_vocab_size", json_integer(c->type_vocab_size));
    json_object_set_new(j, "initializer_range", json_real(c->initializer_range));
    json_object_set_new(j, "layer_norm_eps", json_real(c->layer_norm_eps));
    json_object_set_new(j, "pad_token_id", json_integer(c->pad_token_id));
    json_object_set_new(j, "position_embedding_type", json_string("absolute"));
    if (c->type == MODEL_ROBERTA) {
        json_object_set_new(j, "bos_token_id", json_integer(0));
        json_object_set_new(j, "eos_token_id", json_integer(2));
    }
    if (c->type == MODEL_ALBERT) {
        json_object_set_new(j, "embedding_size", json_integer(c->embedding_size));
        json_object_set_new(j, "num_hidden_groups", json_integer(c->num_hidden_groups));
        json_object_set_new(j, "inner_group_num", json_integer(c->inner_group_num));
        json_object_set_new(j, "classifier_dropout_prob", json_real(c->classifier_dropout));
    }
    json_object_set_new(j, "tie_word_embeddings", json_true());
    /* 15 significant digits print config values as written (0.1, not 0.1000...01). */
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    json_decref(j);
    return s;
}

int bert_config_unique_layers(const struct bert_config *c)
{
    return c->type == MODEL_ALBERT ? c->num_hidden_groups * c->inner_group_num : c->num_layers;
}

int bert_config_has_pooler(const struct bert_config *c)
{
    return c->type != MODEL_ROBERTA;
}

int bert_config_has_nsp(const struct bert_config *c)
{
    return c->type != MODEL_ROBERTA;
}

int bert_config_position_offset(const struct bert_config *c)
{
    return c->type == MODEL_ROBERTA ? c->pad_token_id + 1 : 0;
}
