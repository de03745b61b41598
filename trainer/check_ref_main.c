/* bert-check-ref - runs Hugging Face reference cases through the model and
 * reports the max relative error of the loss, logits, hidden states, attention
 * probabilities and every gradient. Exit 0 only when all are within tolerance.
 *   bert-check-ref [--tol X] [--backend dnnl|ref] [--quiet] CASE_DIR... */
#include "log.h"
#include "ops.h"
#include "refcase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *usage =
    "usage: bert-check-ref [--tol X] [--backend dnnl|ref] [--quiet] CASE_DIR...\n"
    "  CASE_DIR holds config.json, weights.safetensors, inputs.safetensors and\n"
    "  outputs.safetensors (the format of shared/data/reference/). Default tolerance 1e-4.\n";

int main(int argc, char **argv)
{
    double tol = 1e-4;
    int quiet = 0, n_cases = 0, failed = 0;
    enum ops_backend backend = OPS_BACKEND_DNNL;
    const char *cases[256];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tol") && i + 1 < argc) {
            char *end;
            tol = strtod(argv[++i], &end);
            if (*end || !(tol > 0))
                bt_die("bert-check-ref", BT_EUSAGE, "--tol expects a positive number");
        } else if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "ref"))
                backend = OPS_BACKEND_REF;
            else if (strcmp(argv[i], "dnnl"))
                bt_die("bert-check-ref", BT_EUSAGE, "--backend expects dnnl or ref");
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "bert-check-ref: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        } else if (n_cases < 256) {
            cases[n_cases++] = argv[i];
        }
    }
    if (n_cases == 0) {
        fputs(usage, stderr);
        return 2;
    }
    ops_init();
    ops_set_backend(backend);
    for (int c = 0; c < n_cases; c++) {
        char err[BT_ERR_LEN];
        struct refcase_report rep;
        int rc = refcase_run(cases[c], &rep, err);
        if (rc != BT_OK)
            bt_die("bert-check-ref", rc, err);
        printf("case %s: %s, %s\n", cases[c], rep.summary, ops_backend_name());
        for (int i = 0; i < rep.n; i++)
            if (!quiet || rep.items[i].err > tol)
                printf("  %-72s %9.2e %s\n", rep.items[i].name, rep.items[i].err,
                       rep.items[i].err <= tol ? "ok" : "FAIL");
        int ok = rep.worst <= tol;
        printf("%s: %d checks, worst %.2e (%s), tolerance %.0e\n", ok ? "PASS" : "FAIL", rep.n,
               rep.worst, rep.items[rep.worst_index].name, tol);
        failed += !ok;
        refcase_report_free(&rep);
    }
    ops_shutdown();
    return failed ? 1 : 0;
}
