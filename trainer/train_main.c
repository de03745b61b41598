/* bert-train - data-parallel BERT / RoBERTa / ALBERT pre-training.
 *   mpirun -np N bert-train --model CONFIG.json --data DIR --run-dir DIR
 *          [--recipe RECIPE.json] [--eval-data DIR] [--set key=value]...
 * Every rank checks the command line, configs and data before any work starts;
 * if any rank finds a problem, all exit with its code (2 usage/config, 1
 * runtime) and rank 0 (or the rank that saw it) prints one line. */
#include "comm.h"
#include "fileio.h"
#include "log.h"
#include "mem.h"
#include "ops.h"
#include "signals.h"
#include "timer.h"
#include "train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *usage =
    "usage: bert-train --model CONFIG.json --data DIR --run-dir DIR [--recipe RECIPE.json]\n"
    "                  [--eval-data DIR] [--set key=value]...\n"
    "Run under mpirun -np N for data parallelism. See docs/user-guide.md.\n";

int train_parse_args(struct train_args *a, int argc, char **argv, char *err)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "-h") || !strcmp(o, "--help"))
            return bt_errf(err, BT_EUSAGE, "%s", usage);
        if (!v)
            return bt_errf(err, BT_EUSAGE, "option '%s' needs a value (or is unknown)\n%s", o,
                           usage);
        i++;
        if (!strcmp(o, "--model"))
            a->model = v;
        else if (!strcmp(o, "--data"))
            a->data = v;
        else if (!strcmp(o, "--run-dir"))
            a->run_dir = v;
        else if (!strcmp(o, "--recipe"))
            a->recipe = v;
        else if (!strcmp(o, "--eval-data"))
            a->eval_data = v;
        else if (!strcmp(o, "--set") && a->n_sets < TRAIN_MAX_SETS)
            a->sets[a->n_sets++] = argv[i];
        else
            return bt_errf(err, BT_EUSAGE, "unknown option '%s'\n%s", o, usage);
    }
    if (!a->model || !a->data || !a->run_dir)
        return bt_errf(err, BT_EUSAGE, "--model, --data and --run-dir are required\n%s", usage);
    return BT_OK;
}

int main(int argc, char **argv)
{
    comm_init(&argc, &argv);
    ops_init();
    struct trainer t;
    memset(&t, 0, sizeof t);
    t.rank = comm_rank();
    t.world = comm_size();
    char err[BT_ERR_LEN] = "";
    int rc = train_parse_args(&t.args, argc, argv, err);
    if (rc == BT_OK)
        rc = train_setup(&t, err);
    int rank0_failed, all = comm_agree_status(rc, &rank0_failed);
    if (all == BT_OK) {
        rc = train_init_state(&t, err);
        all = comm_agree_status(rc, &rank0_failed);
    }
    if (all != BT_OK) {
        /* Rank 0 speaks for failures every rank sees; another rank only for its own. */
        if (rc != BT_OK && (t.rank == 0 || !rank0_failed))
            fprintf(stderr, "bert-train: %s\n", err);
        train_teardown(&t);
        ops_shutdown();
        comm_finalize();
        return bt_exit_code(all);
    }
    signals_install();
    int stopped = 0;
    rc = train_run(&t, &stopped, err);
    if (rc != BT_OK) {
        fprintf(stderr, "[rank %d] bert-train: %s\n", t.rank, err);
        comm_abort(bt_exit_code(rc));
    }
    train_teardown(&t);
    ops_shutdown();
    comm_finalize();
    return stopped ? TRAIN_EXIT_PREEMPTED : 0;
}
