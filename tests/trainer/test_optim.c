/* test_optim.c - optimizers, schedules and recipes against values computed here
 * independently, in double, straight from the published update rules
 * (Loshchilov & Hutter's AdamW as torch implements it, Google BERT's
 * AdamWeightDecayOptimizer, NVIDIA's LAMB). */
#include "testutil.h"

#include "bert.h"
#include "fileio.h"
#include "mem.h"
#include "ops.h"
#include "optimizer.h"
#include "recipe.h"
#include "schedule.h"

#include <math.h>

/* A model with a few tensors of each kind (decayed matrices, no-decay biases). */
static void tiny_model(struct bert_model *m)
{
    struct bert_config c = {.type = MODEL_BERT, .vocab_size = 11, .hidden_size = 4,
                            .num_layers = 1, .num_heads = 2, .intermediate_size = 8,
                            .max_position_embeddings = 6, .type_vocab_size = 2,
                            .embedding_size = 4, .num_hidden_groups = 1, .inner_group_num = 1,
                            .layer_norm_eps = 1e-12f, .initializer_range = 0.5f};
    bert_init(m, &c);
    bert_init_weights(m, 1);
    tu_fill_uniform(m->grads, m->n_params, -0.3f, 0.3f, 2);
}

/* Reference update of one element; returns the new parameter. */
struct ref_state {
    double m, v;
};

static double ref_adamw(double p, double g, struct ref_state *s, long t, double lr, double b1,
                        double b2, double eps, double wd, int bias_correction)
{
    s->m = b1 * s->m + (1 - b1) * g;
    s->v = b2 * s->v + (1 - b2) * g * g;
    double mh = bias_correction ? s->m / (1 - pow(b1, (double)t)) : s->m;
    double vh = bias_correction ? s->v / (1 - pow(b2, (double)t)) : s->v;
    return p - lr * (mh / (sqrt(vh) + eps) + wd * p);
}

static void run_adamw(int bias_correction, double clip)
{
    struct bert_model m;
    tiny_model(&m);
    struct recipe r;
    recipe_defaults(&r);
    snprintf(r.optimizer, sizeof r.optimizer, "adamw");
    r.beta1 = 0.8, r.beta2 = 0.95, r.eps = 1e-6, r.weight_decay = 0.1, r.grad_clip = clip;
    r.bias_correction = bias_correction;
    struct optimizer o;
    optimizer_init(&o, &m, &r);
    size_t n = m.n_params;
    double *p = xmalloc(n * sizeof(double));
    struct ref_state *s = xcalloc(n, sizeof *s);
    for (size_t i = 0; i < n; i++)
        p[i] = m.params[i];
    for (long t = 1; t <= 3; t++) {
        double gn = grad_global_norm(&m), sq = 0;
        for (size_t i = 0; i < n; i++)
            sq += (double)m.grads[i] * m.grads[i];
        assert_float_equal(gn, sqrt(sq), 1e-9 * sqrt(sq));
        double scale = clip > 0 && gn > clip ? clip / (gn + 1e-6) : 1.0;
        for (int k = 0; k < m.n_tensors; k++) {
            const struct tensor_desc *td = &m.tensors[k];
            double wd = (td->flags & TF_NO_DECAY) ? 0.0 : 0.1;
            for (size_t i = td->offset; i < td->offset + td->numel; i++)
                p[i] = ref_adamw(p[i], m.grads[i] * scale, &s[i], t, 1e-2, 0.8, 0.95, 1e-6, wd,
                                 bias_correction);
        }
        optimizer_step(&o, &m, 1e-2, gn);
        for (size_t i = 0; i < n; i++)
            if (fabs(m.params[i] - p[i]) > 1e-6 * (1 + fabs(p[i])))
                fail_msg("adamw (bc=%d clip=%g) step %ld element %zu: %g vs %g", bias_correction,
                         clip, t, i, m.params[i], p[i]);
        tu_fill_uniform(m.grads, n, -0.3f, 0.3f, (uint64_t)(10 + t));
    }
    /* No-decay tensors must not have moved by decay: check one LayerNorm bias did
     * exactly the Adam step (covered above), and the flags exist. */
    assert_true(m.tensors[3].flags & TF_NO_DECAY);
    xfree(p);
    xfree(s);
    optimizer_free(&o);
    bert_free(&m);
}

static void test_adamw(void **state)
{
    (void)state;
    run_adamw(1, 0.0);  /* torch.optim.AdamW */
    run_adamw(0, 0.0);  /* Google BERT: no bias correction */
    run_adamw(1, 0.05); /* clipping by the global norm */
}

static void test_lamb(void **state)
{
    (void)state;
    struct bert_model m;
    tiny_model(&m);
    struct recipe r;
    recipe_defaults(&r);
    snprintf(r.optimizer, sizeof r.optimizer, "lamb");
    r.beta1 = 0.9, r.beta2 = 0.999, r.eps = 1e-6, r.weight_decay = 0.01, r.grad_clip = 1.0;
    struct optimizer o;
    optimizer_init(&o, &m, &r);
    size_t n = m.n_params;
    double *p = xmalloc(n * sizeof(double)), *u = xmalloc(n * sizeof(double));
    struct ref_state *s = xcalloc(n, sizeof *s);
    for (size_t i = 0; i < n; i++)
        p[i] = m.params[i];
    for (long t = 1; t <= 3; t++) {
        for (size_t i = 0; i < n; i++) /* large gradients: clipping is active */
            m.grads[i] *= 10.0f;
        double gn = grad_global_norm(&m), scale = gn > 1.0 ? 1.0 / (gn + 1e-6) : 1.0;
        double lr = 5e-3;
        for (int k = 0; k < m.n_tensors; k++) {
            const struct tensor_desc *td = &m.tensors[k];
            double wd = (td->flags & TF_NO_DECAY) ? 0.0 : 0.01, pn = 0, un = 0;
            for (size_t i = td->offset; i < td->offset + td->numel; i++) {
                double g = m.grads[i] * scale;
                s[i].m = 0.9 * s[i].m + 0.1 * g;
                s[i].v = 0.999 * s[i].v + 0.001 * g * g;
                double mh = s[i].m / (1 - pow(0.9, (double)t)), vh = s[i].v / (1 - pow(0.999, t));
                u[i] = mh / (sqrt(vh) + 1e-6) + wd * p[i];
                pn += p[i] * p[i];
                un += u[i] * u[i];
            }
            double trust = wd != 0 && pn > 0 && un > 0 ? sqrt(pn) / sqrt(un) : 1.0;
            for (size_t i = td->offset; i < td->offset + td->numel; i++)
                p[i] -= lr * trust * u[i];
        }
        optimizer_step(&o, &m, lr, gn);
        for (size_t i = 0; i < n; i++)
            if (fabs(m.params[i] - p[i]) > 1e-6 * (1 + fabs(p[i])))
                fail_msg("lamb step %ld element %zu: %g vs %g", t, i, m.params[i], p[i]);
        tu_fill_uniform(m.grads, n, -0.3f, 0.3f, (uint64_t)(20 + t));
    }
    xfree(p);
    xfree(u);
    xfree(s);
    optimizer_free(&o);
    bert_free(&m);
}

static void test_schedule(void **state)
{
    (void)state;
    struct recipe r;
    recipe_defaults(&r);
    r.lr = 1e-3, r.warmup_steps = 10, r.total_steps = 110;
    assert_float_equal(schedule_lr(&r, 0), 1e-4, 1e-12);
    assert_float_equal(schedule_lr(&r, 9), 1e-3, 1e-12);
    assert_float_equal(schedule_lr(&r, 10), 1e-3, 1e-12);
    assert_float_equal(schedule_lr(&r, 60), 5e-4, 1e-12);
    assert_float_equal(schedule_lr(&r, 110), 0.0, 1e-12);
    snprintf(r.lr_schedule, sizeof r.lr_schedule, "poly");
    r.lr_power = 0.5;
    assert_float_equal(schedule_lr(&r, 60), 1e-3 * sqrt(0.5), 1e-12);
    snprintf(r.lr_schedule, sizeof r.lr_schedule, "constant");
    assert_float_equal(schedule_lr(&r, 100), 1e-3, 1e-12);
}

static void test_recipe(void **state)
{
    (void)state;
    char dir[512], path[600], err[BT_ERR_LEN];
    struct recipe r;
    tu_tmpdir(dir, sizeof dir, "recipe");
    snprintf(path, sizeof path, "%s/r.json", dir);
    const char *ok = "{\"_comment\": \"x\", \"lr\": 0.002, \"optimizer\": \"lamb\", "
                     "\"global_batch_size\": 64, \"micro_batch_size\": 8}";
    assert_int_equal(file_write_atomic(path, ok, strlen(ok), err), BT_OK);
    char *sets[2] = {"lr=3e-4", "bias_correction=false"};
    assert_int_equal(recipe_load(&r, path, sets, 2, err), BT_OK);
    assert_float_equal(r.lr, 3e-4, 1e-15);
    assert_string_equal(r.optimizer, "lamb");
    assert_int_equal(r.global_batch_size, 64);
    assert_int_equal(r.bias_correction, 0);
    char *bad_key[1] = {"learning_rate=1"};
    assert_int_equal(recipe_load(&r, path, bad_key, 1, err), BT_EUSAGE);
    assert_non_null(strstr(err, "unknown recipe key 'learning_rate'"));
    char *bad_val[1] = {"optimizer=sgd"};
    assert_int_equal(recipe_load(&r, path, bad_val, 1, err), BT_EUSAGE);
    assert_non_null(strstr(err, "optimizer 'sgd' is not one of adamw|lamb"));
    char *bad_num[1] = {"seq_len=12x"};
    assert_int_equal(recipe_load(&r, path, bad_num, 1, err), BT_EUSAGE);
    char *bad_div[1] = {"micro_batch_size=7"};
    assert_int_equal(recipe_load(&r, path, bad_div, 1, err), BT_EUSAGE);
    assert_non_null(strstr(err, "not divisible"));
    const char *unknown = "{\"lr\": 0.1, \"warmup\": 5}";
    assert_int_equal(file_write_atomic(path, unknown, strlen(unknown), err), BT_OK);
    assert_int_equal(recipe_load(&r, path, NULL, 0, err), BT_EUSAGE);
    assert_non_null(strstr(err, "r.json: unknown recipe key 'warmup'"));
    const char *type = "{\"seq_len\": \"128\"}";
    assert_int_equal(file_write_atomic(path, type, strlen(type), err), BT_OK);
    assert_int_equal(recipe_load(&r, path, NULL, 0, err), BT_EUSAGE);
    assert_non_null(strstr(err, "seq_len must be a number, got string"));
    /* Every shipped recipe parses. */
    const char *shipped[] = {"configs/recipe-bert-phase1.json", "configs/recipe-bert-phase2.json",
                             "configs/recipe-roberta.json", "configs/recipe-albert.json",
                             "configs/recipe-smoke.json"};
    for (size_t i = 0; i < sizeof shipped / sizeof *shipped; i++) {
        tu_src_path(path, sizeof path, shipped[i]);
        if (recipe_load(&r, path, NULL, 0, err) != BT_OK)
            fail_msg("%s", err);
    }
    /* Safe and unsafe differences. */
    struct recipe a, b;
    recipe_defaults(&a);
    b = a;
    b.total_steps = 5000;
    b.log_every = 1;
    char changed[256], unsafe[256];
    assert_int_equal(recipe_diff(&a, &b, changed, unsafe, sizeof changed), 1);
    assert_string_equal(changed, "total_steps, log_every");
    assert_string_equal(unsafe, "");
    b.lr = 1;
    assert_int_equal(recipe_diff(&a, &b, changed, unsafe, sizeof changed), 0);
    assert_string_equal(changed, "total_steps, lr, log_every");
    assert_string_equal(unsafe, "lr");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adamw),
        cmocka_unit_test(test_lamb),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_recipe),
    };
    ops_init();
    int rc = cmocka_run_group_tests_name("optimizers", tests, NULL, NULL);
    ops_shutdown();
    return rc;
}
