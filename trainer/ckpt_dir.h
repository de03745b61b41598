/* ckpt_dir.h - checkpoints of a run directory:
 *   RUN_DIR/checkpoints/step_00000100/model.ckpt   the checkpoint file
 *   RUN_DIR/checkpoints/step_00000100/DONE         completion marker (JSON)
 * A step directory is written as .step_XXXXXXXX.tmp, fsynced, renamed, and only
 * then gets its DONE marker (written atomically); without DONE it does not count.
 * Pruning keeps the newest `keep` complete checkpoints plus the permanent ones
 * (step divisible by permanent_every) and never removes the newest complete one. */
#ifndef BT_CKPT_DIR_H
#define BT_CKPT_DIR_H

#include "check.h"

#include <stddef.h>

#define CKPT_FILE_NAME "model.ckpt"

/* Complete checkpoints (with DONE) in ascending step order; free *steps. */
int ckpt_dir_list(const char *run_dir, long **steps, int *n, char *err) BT_WUR;
/* RUN_DIR/checkpoints/step_XXXXXXXX (and .../model.ckpt when file is set). */
void ckpt_dir_step_path(char *out, size_t n, const char *run_dir, long step, int file);
/* Creates a fresh temporary step directory; returns its path in tmp. */
int ckpt_dir_begin(const char *run_dir, long step, char *tmp, size_t n, char *err) BT_WUR;
/* Renames the temporary directory to its final name, fsyncs, writes DONE. */
int ckpt_dir_commit(const char *run_dir, long step, const char *tmp, char *err) BT_WUR;
/* Removes checkpoints beyond the newest `keep` (permanent ones stay). */
int ckpt_dir_prune(const char *run_dir, long keep, long permanent_every, char *err) BT_WUR;
/* Removes leftover temporary directories of interrupted writers. */
int ckpt_dir_clean_tmp(const char *run_dir, char *err) BT_WUR;
/* Resolves PATH given to tools: a checkpoint file, a step directory, or a run
 * directory (newest complete checkpoint) into the checkpoint file's path. */
int ckpt_dir_resolve(const char *path, char *file, size_t n, char *err) BT_WUR;

#endif
