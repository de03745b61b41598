/* bert-ckpt - inspect, verify and export checkpoints.
 *   bert-ckpt info PATH               metadata and tensor table
 *   bert-ckpt verify PATH [--all]     check every checksum (--all: every checkpoint of a run)
 *   bert-ckpt export-hf PATH OUT_DIR  Hugging Face config.json + model.safetensors
 *   bert-ckpt bench [--config FILE] [--level N] [--threads N] [--planes 0|1] [--dir DIR]
 * PATH is a checkpoint file, a step directory or a run directory (its newest
 * complete checkpoint). Exit 0 ok, 1 damaged or failed, 2 usage. */
#include "bert.h"
#include "checkpoint.h"
#include "ckpt_dir.h"
#include "ckpt_state.h"
#include "fileio.h"
#include "json_util.h"
#include "mem.h"
#include "ops.h"
#include "rng.h"
#include "timer.h"
#include "recipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *usage =
    "usage: bert-ckpt info PATH\n"
    "       bert-ckpt verify PATH [--all]\n"
    "       bert-ckpt export-hf PATH OUT_DIR\n"
    "       bert-ckpt bench [--config FILE] [--level N] [--threads N] [--planes 0|1] [--dir DIR]\n"
    "PATH: a checkpoint file, a checkpoint step directory, or a run directory.\n";

static int open_path(const char *path, struct ckpt_file **f, char *file, size_t n, char *err)
{
    int rc = ckpt_dir_resolve(path, file, n, err);
    return rc == BT_OK ? ckpt_file_open(f, file, err) : rc;
}

static int cmd_info(const char *path, char *err)
{
    char file[4200];
    struct ckpt_file *f;
    int rc = open_path(path, &f, file, sizeof file, err);
    if (rc != BT_OK)
        return rc;
    printf("file: %s (%.1f MB)\nmetadata:\n%s\n", file, (double)ckpt_file_size(f) / 1e6,
           ckpt_file_meta(f));
    printf("tensors (%d):\n  %-70s %-16s %-11s %10s %7s %s\n", ckpt_file_count(f), "name",
           "shape", "encoding", "bytes", "ratio", "crc32");
    uint64_t raw = 0, comp = 0;
    for (int i = 0; i < ckpt_file_count(f); i++) {
        const struct ckpt_entry *e = ckpt_file_entry(f, i);
        char shape[64];
        int k = snprintf(shape, sizeof shape, "[");
        for (int d = 0; d < e->ndim; d++)
            k += snprintf(shape + k, sizeof shape - (size_t)k, d ? ", %lld" : "%lld",
                          (long long)e->shape[d]);
        snprintf(shape + k, sizeof shape - (size_t)k, "]");
        double ratio = e->csize ? (double)(e->numel * 4) / (double)e->csize : 0;
        printf("  %-70s %-16s %-11s %10llu %6.3fx %08x\n", e->name, shape,
               e->byte_planes ? "zstd-planes" : "zstd", (unsigned long long)e->csize, ratio,
               e->crc);
        raw += e->numel * 4;
        comp += e->csize;
    }
    printf("total: %.1f MB of float32 in %.1f MB (%.3fx)\n", (double)raw / 1e6,
           (double)comp / 1e6, comp ? (double)raw / (double)comp : 0.0);
    ckpt_file_close(f);
    return BT_OK;
}

static int verify_file(const char *file, char *err)
{
    struct ckpt_file *f;
    int rc = ckpt_file_open(&f, file, err);
    if (rc == BT_OK) {
        rc = ckpt_file_verify(f, err);
        ckpt_file_close(f);
    }
    printf("%s: %s\n", file, rc == BT_OK ? "ok" : err);
    return rc;
}

static int cmd_verify(const char *path, int all, char *err)
{
    char file[4200];
    if (!all || !file_is_dir(path)) {
        int rc = ckpt_dir_resolve(path, file, sizeof file, err);
        return rc == BT_OK ? verify_file(file, err) : rc;
    }
    long *steps;
    int n, rc = ckpt_dir_list(path, &steps, &n, err), bad = BT_OK;
    if (rc != BT_OK)
        return rc;
    if (n == 0)
        return bt_errf(err, BT_EUSAGE, "%s: no complete checkpoints", path);
    for (int i = 0; i < n; i++) {
        ckpt_dir_step_path(file, sizeof file, path, steps[i], 1);
        if ((rc = verify_file(file, err)) != BT_OK)
            bad = rc;
    }
    free(steps);
    if (bad != BT_OK)
        bt_errf(err, bad, "%s: at least one checkpoint is damaged", path);
    return bad;
}

static int cmd_export(const char *path, const char *out, char *err)
{
    char file[4200];
    struct ckpt_file *f;
    int rc = open_path(path, &f, file, sizeof file, err);
    if (rc != BT_OK)
        return rc;
    struct bert_config cfg;
    struct bert_model m;
    memset(&m, 0, sizeof m);
    if ((rc = ckpt_state_config(f, &cfg, err)) == BT_OK) {
        bert_init(&m, &cfg);
        rc = ckpt_state_load(f, &m, m.params, NULL, NULL, err);
    }
    /* Task-head tensors of fine-tuned models are exported under their own names. */
    int n_extra = 0;
    struct st_out *extra = xcalloc((size_t)ckpt_file_count(f) + 1, sizeof *extra);
    float **bufs = xcalloc((size_t)ckpt_file_count(f) + 1, sizeof *bufs);
    for (int i = 0; rc == BT_OK && i < ckpt_file_count(f); i++) {
        const struct ckpt_entry *e = ckpt_file_entry(f, i);
        if (!strncmp(e->name, "param/", 6) || !strncmp(e->name, "adam_", 5))
            continue;
        struct st_out *x = &extra[n_extra];
        bufs[n_extra] = xmalloc(e->numel * sizeof(float) + 1);
        x->name = e->name;
        x->ndim = e->ndim;
        for (int d = 0; d < e->ndim; d++)
            x->shape[d] = e->shape[d];
        x->data = bufs[n_extra++];
        rc = ckpt_file_read(f, i, bufs[n_extra - 1], err);
    }
    char p[4200];
    if (rc == BT_OK)
        rc = file_mkdir_p(out, err);
    if (rc == BT_OK) {
        snprintf(p, sizeof p, "%s/model.safetensors", out);
        rc = bert_save_safetensors(&m, m.params, extra, n_extra, p, err);
    }
    if (rc == BT_OK) {
        char *cfg_text = bert_config_to_json(&cfg);
        snprintf(p, sizeof p, "%s/config.json", out);
        rc = file_write_atomic(p, cfg_text, strlen(cfg_text), err);
        free(cfg_text);
    }
    if (rc == BT_OK)
        printf("exported %s to %s (config.json, model.safetensors: %d model tensors + %d "
               "task-head tensors)\n",
               file, out, m.n_tensors, n_extra);
    ckpt_file_close(f); /* after the writes: extra names point into its table */
    for (int i = 0; i < n_extra; i++)
        xfree(bufs[i]);
    xfree(bufs);
    xfree(extra);
    bert_free(&m);
    return rc;
}

/* Save and load speed of a full training state (parameters + two Adam moments)
 * of a model config, filled like a model a few hundred steps into training:
 * parameters N(0, initializer_range), first moments N(0, 1e-3), second moments
 * the square of N(0, 1e-3). */
static int cmd_bench(int argc, char **argv, char *err)
{
    const char *config = "configs/bert-base-uncased.json", *dir = "/tmp";
    int levels[2] = {1, 3}, threads = 2, only_planes = -1;
    for (int i = 0; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--config"))
            config = argv[i + 1];
        else if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--level"))
            levels[0] = levels[1] = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--planes"))
            only_planes = atoi(argv[i + 1]);
        else
            return bt_errf(err, BT_EUSAGE, "bench: unknown option '%s'", argv[i]);
    }
    struct bert_config cfg;
    int rc = bert_config_load(&cfg, config, err);
    if (rc != BT_OK)
        return rc;
    struct bert_model m;
    bert_init(&m, &cfg);
    bert_init_weights(&m, 1);
    size_t n = m.n_params;
    float *am = xaligned_alloc(n * sizeof(float)), *av = xaligned_alloc(n * sizeof(float));
    float *back = xaligned_alloc(n * sizeof(float));
    struct rng r;
    rng_init(&r, 7, 1);
    for (size_t i = 0; i < n; i++) {
        double g = 1e-3 * rng_next_normal(&r);
        am[i] = (float)g;
        av[i] = (float)(g * g);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/bert-ckpt-bench.%d.ckpt", dir, (int)getpid());
    double mb = 3.0 * (double)n * 4 / 1e6;
    printf("model %s: %zu parameters, training state %.1f MB (parameters + 2 moments)\n", config,
           n, mb);
    printf("%-7s %-6s %-8s %10s %10s %10s %8s\n", "planes", "level", "threads", "size MB",
           "save MB/s", "load MB/s", "ratio");
    struct recipe rec;
    recipe_defaults(&rec);
    struct train_state st = {.step = 1, .world = 1, .threads = threads};
    struct ckpt_slabs slabs = {m.params, am, av};
    for (int planes = 0; planes < 2 && rc == BT_OK; planes++) {
        if (only_planes >= 0 && planes != only_planes)
            continue;
        for (int li = 0; li < 2 && rc == BT_OK; li++) {
            if (li == 1 && levels[1] == levels[0])
                break;
            struct ckpt_write_opts o = {.threads = threads, .level = levels[li],
                                        .byte_planes = planes};
            double t0 = timer_now();
            rc = ckpt_state_write(path, &m, &slabs, &rec, &st, NULL, 0, NULL, &o, err);
            double t1 = timer_now();
            struct ckpt_file *f = NULL;
            if (rc == BT_OK)
                rc = ckpt_file_open(&f, path, err);
            if (rc == BT_OK) {
                rc = ckpt_state_load(f, &m, back, am, av, err);
                double t2 = timer_now();
                double size = (double)ckpt_file_size(f) / 1e6;
                printf("%-7s %-6d %-8d %10.1f %10.1f %10.1f %7.3fx\n", planes ? "yes" : "no",
                       levels[li], threads, size, mb / (t1 - t0), mb / (t2 - t1), mb / size);
                ckpt_file_close(f);
                if (rc == BT_OK && memcmp(back, m.params, n * sizeof(float)))
                    rc = bt_errf(err, BT_ERUNTIME, "bench: the loaded parameters differ");
            }
            remove(path);
        }
    }
    xfree(am);
    xfree(av);
    xfree(back);
    bert_free(&m);
    return rc;
}

int main(int argc, char **argv)
{
    char err[BT_ERR_LEN] = "";
    int rc;
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    ops_init();
    const char *cmd = argv[1];
    if (!strcmp(cmd, "info") && argc == 3)
        rc = cmd_info(argv[2], err);
    else if (!strcmp(cmd, "verify") && (argc == 3 || (argc == 4 && !strcmp(argv[3], "--all"))))
        rc = cmd_verify(argv[2], argc == 4, err);
    else if (!strcmp(cmd, "export-hf") && argc == 4)
        rc = cmd_export(argv[2], argv[3], err);
    else if (!strcmp(cmd, "bench"))
        rc = cmd_bench(argc - 2, argv + 2, err);
    else if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        fputs(usage, stdout);
        return 0;
    } else {
        fputs(usage, stderr);
        return 2;
    }
    ops_shutdown();
    if (rc != BT_OK)
        bt_die("bert-ckpt", rc, err);
    return 0;
}
