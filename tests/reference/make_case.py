#!/usr/bin/python3
"""make_case.py - writes a new reference case in the format of tests/reference/
(config.json, weights.safetensors, inputs.safetensors, outputs.safetensors) so
that bert-check-ref can be tried on cases it has never seen: other sizes, head
counts, sequence lengths that are not multiples of 8, several padded rows.

The oracle is launch/bench/pytorch_bert.py, a PyTorch re-implementation of the
HF BertForPreTraining / RobertaForMaskedLM / AlbertForPreTraining computations
that matches the shipped transformers references to about 1e-14 (its
--check-ref mode). Like those, a case is computed in float64 from float32
weights; dropout is 0.

  /usr/bin/python3 tests/reference/make_case.py --config CFG.json --out DIR
      [--batch B] [--seq T] [--pad N,N,...] [--seed K]

CFG.json: an HF config (model_type bert, roberta or albert). --pad gives the
number of pad tokens of the last rows (default "0,5": the last row has 5).
Weights are drawn wider than HF's initialisation (std 0.2, LayerNorm gains
around 1, non-zero biases) so that every term of every gradient matters.
"""
import argparse
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "launch", "bench"))
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import pytorch_bert as pb  # noqa: E402

_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


@torch.no_grad()
def draw_weights(model, gen):
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            m.weight.copy_(torch.randn(m.weight.shape, generator=gen, dtype=torch.float64) * 0.2)
        if isinstance(m, nn.Embedding) and m.padding_idx is not None:
            m.weight[m.padding_idx].zero_()
        if isinstance(m, nn.LayerNorm):
            m.weight.copy_(1 + 0.1 * torch.randn(m.weight.shape, generator=gen, dtype=torch.float64))
        if isinstance(m, (nn.Linear, nn.LayerNorm)) and m.bias is not None:
            m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen, dtype=torch.float64))
    for name, p in model.named_parameters():  # the MLM output bias is a bare parameter
        if name.endswith("predictions.bias") or name == "lm_head.bias":
            p.copy_(0.1 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    for p in model.parameters():  # the file holds float32: compute from exactly those values
        p.copy_(p.float().double())


def draw_inputs(cfg, B, T, pads, gen):
    kind, V = cfg["model_type"], cfg["vocab_size"]
    pad = cfg.get("pad_token_id", 0)
    ids = torch.randint(5, V, (B, T), generator=gen)  # ids 0-4 hold the special tokens
    mask = torch.ones(B, T, dtype=torch.int64)
    for r, n in enumerate(pads):
        row = B - len(pads) + r
        if n:
            ids[row, T - n:] = pad
            mask[row, T - n:] = 0
    types = torch.zeros(B, T, dtype=torch.int64)
    if cfg.get("type_vocab_size", 2) > 1:
        types[:, T // 2:] = 1
        types *= mask
    labels = torch.full((B, T), -100, dtype=torch.int64)
    for r in range(B):
        real = int(mask[r].sum())
        pick = torch.randperm(real - 1, generator=gen)[:max(1, real // 4)] + 1  # never [CLS]
        labels[r, pick] = torch.randint(0, V, (len(pick),), generator=gen)
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types, "labels": labels}
    if kind in ("bert", "albert"):
        inputs["nsp"] = torch.randint(0, 2, (B,), generator=gen)
    return inputs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch", type=int, default=3)
    ap.add_argument("--seq", type=int, default=13)
    ap.add_argument("--pad", default="0,5")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    cfg = pb.load_config(a.config)
    pads = [int(x) for x in a.pad.split(",") if x]
    if len(pads) > a.batch or any(n < 0 or n > a.seq - 2 for n in pads):
        ap.error("--pad: at most --batch rows, each keeping 2 real tokens")
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    model = pb.PreTrainingModel(cfg).double()
    draw_weights(model, gen)
    model.eval()
    inp = draw_inputs(cfg, a.batch, a.seq, pads, gen)

    hidden, probs = [], []
    loss, mlm, nsp, logits, nsp_logits = model(
        inp["input_ids"], inp["token_type_ids"], inp["labels"], inp.get("nsp"),
        inp["attention_mask"], full_vocab_mlm=True, hidden_out=hidden, probs_out=probs)
    loss.backward()
    out = {"loss": loss.reshape(()), "mlm_loss": mlm.reshape(()),
           "prediction_logits": logits}
    if nsp is not None:
        out["nsp_loss"] = nsp.reshape(())
        out["seq_relationship_logits"] = nsp_logits
    out.update({"hidden_states.%d" % i: h for i, h in enumerate(hidden)})
    out.update({"attentions.%d" % i: p for i, p in enumerate(probs)})
    out.update({"grad." + n: p.grad for n, p in model.named_parameters()})

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    save_safetensors(os.path.join(a.out, "weights.safetensors"),
                     {k: v.float() for k, v in model.state_dict().items()})
    save_safetensors(os.path.join(a.out, "inputs.safetensors"), inp)
    save_safetensors(os.path.join(a.out, "outputs.safetensors"), out)
    print("%s: %s L=%d H=%d heads=%d batch %d x %d, pads %s, loss %.10f" % (
        a.out, cfg["model_type"], cfg["num_hidden_layers"], cfg["hidden_size"],
        cfg["num_attention_heads"], a.batch, a.seq, pads, loss.item()))


if __name__ == "__main__":
    main()
