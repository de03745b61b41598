/* flops.c - see flops.h. */
#include "flops.h"

double bert_flops_forward(const struct bert_config *c, int B, int T, int n_pred)
{
    double N = (double)B * T, C = c->hidden_size, F = c->intermediate_size;
    double E = c->embedding_size, V = c->vocab_size, M = n_pred;
    double layers = (double)c->num_layers * c->inner_group_num;
    double per_layer = 2 * N * (3 * C * C + C * C + 2 * C * F) + 2 * 2 * N * T * C;
    double f = layers * per_layer;
    if (c->type == MODEL_ALBERT)
        f += 2 * N * E * C;
    f += 2 * M * (C * E + E * V);
    if (bert_config_has_nsp(c))
        f += 2 * (double)B * (C * C + 2 * C);
    return f;
}

double bert_flops_step(const struct bert_config *c, int B, int T, int n_pred)
{
    return 3 * bert_flops_forward(c, B, T, n_pred);
}
