/* ckpt_writer.h - saves training checkpoints of a run directory, in the
 * background when asked: the parameters and Adam moments are copied into a
 * snapshot (the only work that holds training up), then a thread compresses,
 * writes, commits (ckpt_dir.h) and prunes. One save at a time: a new save first
 * waits for the previous one. Only rank 0 uses it. */
#ifndef BT_CKPT_WRITER_H
#define BT_CKPT_WRITER_H

#include "ckpt_state.h"

#include <pthread.h>
#include <stdatomic.h>

struct ckpt_writer {
    const struct bert_model *m;
    const char *run_dir;
    long keep, permanent_every;
    struct ckpt_write_opts wo;
    float *snap;           /* params, adam_m, adam_v: 3 * n_params floats */
    struct recipe recipe;
    struct train_state st;
    pthread_t thread;
    int running;
    atomic_int finished;   /* set by the thread when its save is over */
    int rc;
    char err[BT_ERR_LEN];
    double seconds;        /* duration of the last completed save */
    long saved_step;       /* step of the last completed save, -1 if none */
};

void ckpt_writer_init(struct ckpt_writer *w, const struct bert_model *m, const char *run_dir,
                      long keep, long permanent_every, const struct ckpt_write_opts *wo);
void ckpt_writer_free(struct ckpt_writer *w);
/* Saves step st->step; background = 1 returns after the snapshot. */
int ckpt_writer_save(struct ckpt_writer *w, const float *params, const float *adam_m,
                     const float *adam_v, const struct recipe *r, const struct train_state *st,
                     int background, char *err) BT_WUR;
/* Status of a finished background save (BT_OK while one is still running). */
int ckpt_writer_poll(struct ckpt_writer *w, char *err) BT_WUR;
/* Waits for a background save; returns its status. */
int ckpt_writer_wait(struct ckpt_writer *w, char *err) BT_WUR;

#endif
