/* train_setup.c - everything before the first step and the tear-down: configs,
 * cross-checks between model, recipe and data, the loaders, the model (rank 0
 * initialises, everyone receives its parameters), the optimizer and the
 * activation arenas. */
#include "comm.h"
#include "fileio.h"
#include "log.h"
#include "masking.h"
#include "mem.h"
#include "ops.h"
#include "timer.h"
#include "train.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int open_loader(struct trainer *t, struct loader **L, const char *dir, uint64_t seed,
                       int global_batch, int prefetch, char *err)
{
    struct loader_opts o = {.dir = dir,
                            .seq_len = (int)t->rc.seq_len,
                            .max_pred = (int)t->rc.max_pred,
                            .mask_prob = t->rc.mask_prob,
                            .short_seq_prob = t->rc.short_seq_prob,
                            .objective = t->objective,
                            .seed = seed,
                            .rank = t->rank,
                            .world = t->world,
                            .global_batch = global_batch,
                            .micro_batch = (int)t->rc.micro_batch_size,
                            .static_masks = 0,
                            .masking = MASK_TOKEN,
                            .prefetch = prefetch};
    enum mask_mode mm;
    if (mask_mode_parse(t->rc.masking, &mm) == BT_OK) /* the recipe checked the spelling */
        o.masking = (int)mm;
    int rc = loader_open(L, &o, err);
    if (rc != BT_OK)
        return rc;
    const struct data_info *di = loader_info(*L);
    if (di->vocab_size != t->cfg.vocab_size)
        return bt_errf(err, BT_EUSAGE,
                       "%s: shards were built with a vocabulary of %d tokens but %s has "
                       "vocab_size %d",
                       dir, di->vocab_size, t->args.model, t->cfg.vocab_size);
    if (t->cfg.type == MODEL_ROBERTA && di->pad_id != t->cfg.pad_token_id)
        return bt_errf(err, BT_EUSAGE,
                       "%s: the shards pad with id %d but %s has pad_token_id %d (RoBERTa's "
                       "positions depend on it)",
                       dir, di->pad_id, t->args.model, t->cfg.pad_token_id);
    return BT_OK;
}

static int check_combination(struct trainer *t, char *err)
{
    const struct bert_config *c = &t->cfg;
    const struct recipe *r = &t->rc;
    int need = (int)r->seq_len + bert_config_position_offset(c);
    if (need > c->max_position_embeddings)
        return bt_errf(err, BT_EUSAGE,
                       "seq_len %ld needs %d positions but %s has max_position_embeddings %d",
                       r->seq_len, need, t->args.model, c->max_position_embeddings);
    if (r->global_batch_size % ((long)t->world * r->micro_batch_size))
        return bt_errf(err, BT_EUSAGE,
                       "global_batch_size %ld is not divisible by %d ranks x micro_batch_size %ld",
                       r->global_batch_size, t->world, r->micro_batch_size);
    if (!bert_config_has_nsp(c) && (t->objective == OBJ_NSP || t->objective == OBJ_SOP))
        return bt_errf(err, BT_EUSAGE,
                       "objective %s needs a sentence-pair head, which %s (%s) does not have; "
                       "use full-sentences or doc-sentences",
                       r->objective, t->args.model, model_type_name(c->type));
    return BT_OK;
}

static int prepare_run_dir(struct trainer *t, char *err)
{
    int rc = file_mkdir_p(t->args.run_dir, err);
    if (rc != BT_OK)
        return rc;
    if (access(t->args.run_dir, W_OK) != 0)
        return bt_errf(err, BT_EIO, "%s: run directory is not writable: %s", t->args.run_dir,
                       strerror(errno));
    snprintf(t->metrics_path, sizeof t->metrics_path, "%s/metrics.jsonl", t->args.run_dir);
    return BT_OK;
}

static void print_configuration(const struct trainer *t)
{
    const struct bert_config *c = &t->cfg;
    const struct data_info *di = loader_info(t->loader);
    char *rj = recipe_to_json(&t->rc);
    printf("bert-train: %s model from %s: L=%d C=%d NH=%d F=%d E=%d V=%d, %zu parameters\n",
           model_type_name(c->type), t->args.model, c->num_layers, c->hidden_size, c->num_heads,
           c->intermediate_size, c->embedding_size, c->vocab_size, t->m.n_params);
    printf("  data %s: %lld documents, %lld tokens, %lld examples per epoch (%s)\n",
           t->args.data, (long long)di->n_docs, (long long)di->n_tokens,
           (long long)di->epoch_size, di->nvidia ? "NVIDIA shards" : "bert-prep shards");
    printf("  %d rank(s) x %d thread(s), micro-batch %ld, accumulation %d, global batch %ld, "
           "matmuls on %s\n",
           t->world, t->threads, t->rc.micro_batch_size, t->accum, t->rc.global_batch_size,
           ops_backend_name());
    printf("  dropout hidden %.2f attention %.2f, activations %.2f GiB per rank\n",
           c->hidden_dropout, c->attn_dropout, (double)bert_acts_bytes(t->acts) / (1 << 30));
    printf("  recipe (resolved):\n%s\n", rj);
    fflush(stdout);
    free(rj);
}

int train_setup(struct trainer *t, char *err)
{
    int rc = bert_config_load(&t->cfg, t->args.model, err);
    if (rc == BT_OK)
        rc = recipe_load(&t->rc, t->args.recipe, t->args.sets, t->args.n_sets, err);
    if (rc == BT_OK)
        rc = objective_parse(t->rc.objective, &t->objective);
    if (rc != BT_OK)
        return rc;
    if (t->rc.dropout >= 0)
        t->cfg.hidden_dropout = t->cfg.attn_dropout = t->rc.dropout;
    if ((rc = check_combination(t, err)) != BT_OK)
        return rc;
    t->accum = (int)(t->rc.global_batch_size / ((long)t->world * t->rc.micro_batch_size));
    t->threads = ops_max_threads();
    rc = open_loader(t, &t->loader, t->args.data, (uint64_t)t->rc.seed,
                     (int)t->rc.global_batch_size, 1, err);
    if (rc == BT_OK && t->args.eval_data)
        rc = open_loader(t, &t->eval_loader, t->args.eval_data, (uint64_t)t->rc.seed + 1,
                         t->world * (int)t->rc.micro_batch_size, 0, err);
    if (rc == BT_OK)
        rc = prepare_run_dir(t, err);
    return rc;
}

int train_init_state(struct trainer *t, char *err)
{
    bert_init(&t->m, &t->cfg);
    optimizer_init(&t->opt, &t->m, &t->rc);
    grad_sync_init(&t->gs, &t->m, t->world, strcmp(t->rc.grad_sync, "blocking") != 0);
    int rc = train_resume(t, err);
    if (rc != BT_OK)
        return rc;
    t->acts = bert_acts_alloc(&t->m, (int)t->rc.micro_batch_size, (int)t->rc.seq_len,
                              (int)t->rc.max_pred);
    t->mb = xcalloc((size_t)t->accum, sizeof *t->mb);
    for (int a = 0; a < t->accum; a++)
        batch_alloc(&t->mb[a], (int)t->rc.micro_batch_size, (int)t->rc.seq_len,
                    (int)t->rc.max_pred);
    if (t->rank == 0) {
        struct ckpt_write_opts wo = {.threads = 1, .level = 1, .byte_planes = 1};
        ckpt_writer_init(&t->writer, &t->m, t->args.run_dir, t->rc.keep_checkpoints,
                         t->rc.permanent_every, &wo);
        print_configuration(t);
    }
    return BT_OK;
}

void train_teardown(struct trainer *t)
{
    if (t->rank == 0 && t->writer.m)
        ckpt_writer_free(&t->writer);
    if (t->metrics)
        fclose(t->metrics);
    if (t->loader)
        loader_close(t->loader);
    if (t->eval_loader)
        loader_close(t->eval_loader);
    for (int a = 0; t->mb && a < t->accum; a++)
        batch_free(&t->mb[a]);
    xfree(t->mb);
    bert_acts_free(t->acts);
    if (t->m.params) {
        grad_sync_free(&t->gs);
        optimizer_free(&t->opt);
    }
    bert_free(&t->m);
    memset(t, 0, sizeof *t);
}
