/* metrics.c - see metrics.h. */
#include "metrics.h"
#include "json_util.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

static int append(FILE *f, json_t *j, const char *path, char *err)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(j);
    int bad = fprintf(f, "%s\n", s) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0;
    free(s);
    if (bad)
        return bt_errf(err, BT_EIO, "%s: cannot append the metrics line", path);
    return BT_OK;
}

static json_t *num_or_null(double v)
{
    return v < 0 || !isfinite(v) ? json_null() : json_real(v);
}

int metrics_write(FILE *f, const struct step_metrics *m, const char *path, char *err)
{
    json_t *j = json_object();
    json_object_set_new(j, "step", json_integer(m->step));
    json_object_set_new(j, "loss", json_real(m->loss));
    json_object_set_new(j, "mlm_loss", json_real(m->mlm_loss));
    json_object_set_new(j, "nsp_loss", num_or_null(m->nsp_loss));
    json_object_set_new(j, "mlm_acc", json_real(m->mlm_acc));
    json_object_set_new(j, "nsp_acc", num_or_null(m->nsp_acc));
    json_object_set_new(j, "lr", json_real(m->lr));
    json_object_set_new(j, "grad_norm", json_real(m->grad_norm));
    json_object_set_new(j, "tokens_per_s", json_real(m->tokens_per_s));
    json_object_set_new(j, "samples", json_integer(m->samples));
    json_object_set_new(j, "epoch", json_integer(m->epoch));
    json_object_set_new(j, "skipped", json_integer(m->skipped));
    json_object_set_new(j, "t_step", json_real(m->t_step));
    json_object_set_new(j, "t_data", json_real(m->t_data));
    json_object_set_new(j, "t_fwd", json_real(m->t_fwd));
    json_object_set_new(j, "t_bwd", json_real(m->t_bwd));
    json_object_set_new(j, "t_comm_exposed", json_real(m->t_comm_exposed));
    json_object_set_new(j, "t_opt", json_real(m->t_opt));
    return append(f, j, path, err);
}

int metrics_write_eval(FILE *f, const struct eval_metrics *m, const char *path, char *err)
{
    json_t *j = json_object();
    json_object_set_new(j, "step", json_integer(m->step));
    json_object_set_new(j, "eval_mlm_loss", json_real(m->mlm_loss));
    json_object_set_new(j, "eval_mlm_acc", json_real(m->mlm_acc));
    json_object_set_new(j, "eval_nsp_loss", num_or_null(m->nsp_loss));
    json_object_set_new(j, "eval_nsp_acc", num_or_null(m->nsp_acc));
    json_object_set_new(j, "eval_predictions", json_integer(m->predictions));
    return append(f, j, path, err);
}

static void fmt_duration(char *buf, size_t n, double s)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, n, "?");
    else if (s < 60)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

void metrics_print(FILE *out, const struct step_metrics *m)
{
    char eta[32], nsp[64] = "";
    fmt_duration(eta, sizeof eta, m->t_step * (double)(m->total_steps - m->step));
    if (m->nsp_loss >= 0)
        snprintf(nsp, sizeof nsp, " nsp %.4f acc %.3f", m->nsp_loss, m->nsp_acc);
    fprintf(out,
            "step %ld/%ld (%.1f%%) loss %.4f | mlm %.4f acc %.3f%s | %.0f tok/s | lr %.2e | "
            "|g| %.3f | comm %.0f%% | ETA %s\n",
            m->step, m->total_steps, 100.0 * (double)m->step / (double)m->total_steps, m->loss,
            m->mlm_loss, m->mlm_acc, nsp, m->tokens_per_s, m->lr, m->grad_norm,
            m->t_step > 0 ? 100 * m->t_comm_exposed / m->t_step : 0.0, eta);
    fflush(out);
}
