/* schedule.h - learning rate at optimizer update s (0-based): linear warmup
 * lr * (s+1) / warmup for s < warmup, then
 *   linear:   lr_end + (lr - lr_end) * (total - s) / (total - warmup)
 *   poly:     lr_end + (lr - lr_end) * (1 - (s - warmup) / (total - warmup))^power
 *   constant: lr. */
#ifndef BT_SCHEDULE_H
#define BT_SCHEDULE_H

#include "recipe.h"

double schedule_lr(const struct recipe *r, long s);

#endif
