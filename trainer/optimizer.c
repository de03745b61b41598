/* optimizer.c - see optimizer.h. */
#include "optimizer.h"
#include "mem.h"
#include "optim.h"
#include "reduce.h"

#include <math.h>
#include <string.h>

void optimizer_init(struct optimizer *o, const struct bert_model *m, const struct recipe *r)
{
    memset(o, 0, sizeof *o);
    o->kind = strcmp(r->optimizer, "lamb") ? OPT_ADAMW : OPT_LAMB;
    o->beta1 = (float)r->beta1;
    o->beta2 = (float)r->beta2;
    o->eps = (float)r->eps;
    o->weight_decay = (float)r->weight_decay;
    o->grad_clip = (float)r->grad_clip;
    o->bias_correction = o->kind == OPT_LAMB ? 1 : r->bias_correction;
    o->n = m->n_params;
    o->m = xaligned_alloc(xmul(o->n, sizeof(float)));
    o->v = xaligned_alloc(xmul(o->n, sizeof(float)));
    if (o->kind == OPT_LAMB) {
        size_t big = 0;
        for (int i = 0; i < m->n_tensors; i++)
            big = m->tensors[i].numel > big ? m->tensors[i].numel : big;
        o->u = xaligned_alloc(xmul(big, sizeof(float)));
    }
}

void optimizer_free(struct optimizer *o)
{
    xfree(o->m);
    xfree(o->v);
    xfree(o->u);
    memset(o, 0, sizeof *o);
}

double grad_global_norm(const struct bert_model *m)
{
    return sqrt(reduce_sumsq(m->grads, m->n_params));
}

void optimizer_step(struct optimizer *o, struct bert_model *m, double lr, double grad_norm)
{
    o->t++;
    float gscale = 1.0f;
    if (o->grad_clip > 0 && grad_norm > o->grad_clip)
        gscale = (float)(o->grad_clip / (grad_norm + 1e-6));
    struct adam_hparams h = {.lr = (float)lr, .beta1 = o->beta1, .beta2 = o->beta2,
                             .eps = o->eps, .bc1 = 1.0f, .bc2 = 1.0f};
    if (o->bias_correction) {
        h.bc1 = (float)(1.0 - pow(o->beta1, (double)o->t));
        h.bc2 = (float)(1.0 - pow(o->beta2, (double)o->t));
    }
    for (int i = 0; i < m->n_tensors; i++) {
        const struct tensor_desc *t = &m->tensors[i];
        size_t off = t->offset;
        h.wd = (t->flags & TF_NO_DECAY) ? 0.0f : o->weight_decay;
        if (o->kind == OPT_ADAMW) {
            adamw_update(m->params + off, m->grads + off, o->m + off, o->v + off, t->numel, gscale,
                         &h);
            continue;
        }
        double p_sq, u_sq;
        lamb_direction(o->u, m->params + off, m->grads + off, o->m + off, o->v + off, t->numel,
                       gscale, &h, &p_sq, &u_sq);
        double trust = 1.0;
        if (h.wd != 0.0f && p_sq > 0 && u_sq > 0)
            trust = sqrt(p_sq) / sqrt(u_sq);
        axpy_update(m->params + off, o->u, t->numel, (float)(lr * trust));
    }
}
