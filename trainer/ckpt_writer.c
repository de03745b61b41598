/* ckpt_writer.c - see ckpt_writer.h. */
#include "ckpt_writer.h"
#include "ckpt_dir.h"
#include "fileio.h"
#include "mem.h"
#include "timer.h"

#include <stdio.h>
#include <string.h>

void ckpt_writer_init(struct ckpt_writer *w, const struct bert_model *m, const char *run_dir,
                      long keep, long permanent_every, const struct ckpt_write_opts *wo)
{
    memset(w, 0, sizeof *w);
    w->m = m;
    w->run_dir = run_dir;
    w->keep = keep;
    w->permanent_every = permanent_every;
    w->wo = *wo;
    w->saved_step = -1;
}

void ckpt_writer_free(struct ckpt_writer *w)
{
    char err[BT_ERR_LEN];
    if (w->running && ckpt_writer_wait(w, err) != BT_OK)
        fprintf(stderr, "checkpoint: %s\n", err);
    xfree(w->snap);
    memset(w, 0, sizeof *w);
}

/* Writes, commits and prunes from the snapshot; sets w->rc / w->err. */
static void save_now(struct ckpt_writer *w)
{
    double t0 = timer_now();
    size_t n = w->m->n_params;
    char tmp[4200], file[4400];
    struct ckpt_slabs s = {w->snap, w->snap + n, w->snap + 2 * n};
    w->rc = ckpt_dir_begin(w->run_dir, w->st.step, tmp, sizeof tmp, w->err);
    if (w->rc == BT_OK) {
        snprintf(file, sizeof file, "%s/%s", tmp, CKPT_FILE_NAME);
        w->rc = ckpt_state_write(file, w->m, &s, &w->recipe, &w->st, NULL, 0, NULL, &w->wo,
                                 w->err);
    }
    if (w->rc == BT_OK)
        w->rc = ckpt_dir_commit(w->run_dir, w->st.step, tmp, w->err);
    if (w->rc == BT_OK)
        w->rc = ckpt_dir_prune(w->run_dir, w->keep, w->permanent_every, w->err);
    if (w->rc == BT_OK) {
        w->saved_step = w->st.step;
        w->seconds = timer_now() - t0;
    } else {
        char ignore[BT_ERR_LEN];
        if (file_exists(tmp) && file_remove_tree(tmp, ignore) != BT_OK)
            fprintf(stderr, "checkpoint: could not remove %s\n", tmp);
    }
}

static void *thread_main(void *arg)
{
    struct ckpt_writer *w = arg;
    save_now(w);
    atomic_store(&w->finished, 1);
    return NULL;
}

int ckpt_writer_save(struct ckpt_writer *w, const float *params, const float *adam_m,
                     const float *adam_v, const struct recipe *r, const struct train_state *st,
                     int background, char *err)
{
    int rc = ckpt_writer_wait(w, err);
    if (rc != BT_OK)
        return rc;
    size_t n = w->m->n_params;
    if (!w->snap)
        w->snap = xaligned_alloc(xmul(3 * n, sizeof(float)));
    memcpy(w->snap, params, n * sizeof(float));
    memcpy(w->snap + n, adam_m, n * sizeof(float));
    memcpy(w->snap + 2 * n, adam_v, n * sizeof(float));
    w->recipe = *r;
    w->st = *st;
    w->rc = BT_OK;
    atomic_store(&w->finished, 0);
    if (background && pthread_create(&w->thread, NULL, thread_main, w) == 0) {
        w->running = 1;
        return BT_OK;
    }
    save_now(w);
    if (w->rc != BT_OK)
        snprintf(err, BT_ERR_LEN, "%s", w->err);
    return w->rc;
}

int ckpt_writer_poll(struct ckpt_writer *w, char *err)
{
    if (!w->running || !atomic_load(&w->finished))
        return BT_OK;
    return ckpt_writer_wait(w, err);
}

int ckpt_writer_wait(struct ckpt_writer *w, char *err)
{
    if (!w->running)
        return BT_OK;
    pthread_join(w->thread, NULL);
    w->running = 0;
    if (w->rc != BT_OK)
        snprintf(err, BT_ERR_LEN, "%s", w->err);
    return w->rc;
}
