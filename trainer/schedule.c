/* schedule.c - see schedule.h. */
#include "schedule.h"

#include <math.h>
#include <string.h>

double schedule_lr(const struct recipe *r, long s)
{
    if (s < r->warmup_steps)
        return r->lr * (double)(s + 1) / (double)r->warmup_steps;
    if (!strcmp(r->lr_schedule, "constant") || r->total_steps <= r->warmup_steps)
        return r->lr;
    double frac = (double)(s - r->warmup_steps) / (double)(r->total_steps - r->warmup_steps);
    if (frac > 1)
        frac = 1;
    double shape = !strcmp(r->lr_schedule, "poly") ? pow(1.0 - frac, r->lr_power) : 1.0 - frac;
    return r->lr_end + (r->lr - r->lr_end) * shape;
}
