/* refcase.h - runs a Hugging Face reference case (the format of
 * shared/data/reference: config.json, weights.safetensors, inputs.safetensors,
 * outputs.safetensors) through the model and measures the max relative error
 * of the loss, the logits, the hidden states, the attention probabilities and
 * every parameter gradient. Relative error of a tensor = max |ours - ref| /
 * max |ref|. The case's dropout is forced to 0 (HF computed it without). */
#ifndef BT_REFCASE_H
#define BT_REFCASE_H

#include "check.h"

#define REFCASE_NAME_LEN 128

struct refcase_item {
    char name[REFCASE_NAME_LEN];
    double err;
};

struct refcase_report {
    char summary[256];  /* "bert, L=2 C=64 NH=4 V=512, batch 3 x 16" */
    int n;
    struct refcase_item *items;
    double worst;
    int worst_index;
};

int refcase_run(const char *dir, struct refcase_report *rep, char *err) BT_WUR;
void refcase_report_free(struct refcase_report *rep);

#endif
