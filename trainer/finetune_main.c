/* bert-finetune - fine-tunes a BERT / RoBERTa / ALBERT encoder on a downstream
 * task (sequence classification, token classification, extractive QA).
 *   mpirun -np N bert-finetune --task seq-cls|token-cls|qa --model DIR
 *          --train FILE --eval FILE --out DIR [--recipe FILE] [--vocab FILE]
 *          [--set key=value]...
 * Every rank checks the command line, recipe, model and data before any work;
 * when one fails, all exit with its code (2 usage / bad input, 1 runtime) and
 * one line on stderr names the file, line or key. See docs/finetuning.md. */
#include "comm.h"
#include "finetune.h"
#include "log.h"
#include "ops.h"

#include <stdio.h>
#include <string.h>

static const char *usage =
    "usage: bert-finetune --task seq-cls|token-cls|qa --model MODEL_DIR|CONFIG.json\n"
    "                     --train FILE --eval FILE --out DIR [--recipe RECIPE.json]\n"
    "                     [--vocab VOCAB.txt] [--set key=value]...\n"
    "Data: seq-cls GLUE-style TSV, token-cls CoNLL (token<TAB>BIO tag), qa SQuAD v1.1 JSON.\n"
    "Run under mpirun -np N for data parallelism. See docs/finetuning.md.\n";

int ft_parse_args(struct ft_args *a, int argc, char **argv, char *err)
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
        if (!strcmp(o, "--task"))
            a->task_name = v;
        else if (!strcmp(o, "--model"))
            a->model = v;
        else if (!strcmp(o, "--train"))
            a->train = v;
        else if (!strcmp(o, "--eval"))
            a->eval = v;
        else if (!strcmp(o, "--out"))
            a->out = v;
        else if (!strcmp(o, "--recipe"))
            a->recipe = v;
        else if (!strcmp(o, "--vocab"))
            a->vocab = v;
        else if (!strcmp(o, "--set") && a->n_sets < FT_MAX_SETS)
            a->sets[a->n_sets++] = argv[i];
        else
            return bt_errf(err, BT_EUSAGE, "unknown option '%s'\n%s", o, usage);
    }
    if (!a->task_name || !a->model || !a->train || !a->eval || !a->out)
        return bt_errf(err, BT_EUSAGE,
                       "--task, --model, --train, --eval and --out are required\n%s", usage);
    int task = ft_task_parse(a->task_name);
    if (task < 0)
        return bt_errf(err, BT_EUSAGE, "--task '%s' is not one of seq-cls, token-cls, qa",
                       a->task_name);
    a->task = (enum ft_task)task;
    return BT_OK;
}

int main(int argc, char **argv)
{
    comm_init(&argc, &argv);
    ops_init();
    static struct finetuner t;
    t.rank = comm_rank();
    t.world = comm_size();
    char err[BT_ERR_LEN] = "";
    int rc = ft_parse_args(&t.args, argc, argv, err);
    if (rc == BT_OK)
        rc = ft_setup(&t, err);
    int rank0_failed;
    int all = comm_agree_status(rc, &rank0_failed);
    if (all != BT_OK) {
        if (rc != BT_OK && (t.rank == 0 || !rank0_failed))
            fprintf(stderr, "bert-finetune: %s\n", err);
        ft_teardown(&t);
        ops_shutdown();
        comm_finalize();
        return bt_exit_code(all);
    }
    rc = ft_run(&t, err);
    if (rc != BT_OK) {
        fprintf(stderr, "[rank %d] bert-finetune: %s\n", t.rank, err);
        comm_abort(bt_exit_code(rc));
    }
    ft_teardown(&t);
    ops_shutdown();
    comm_finalize();
    return 0;
}
