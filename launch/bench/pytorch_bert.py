#!/usr/bin/python3
"""PyTorch baseline for the BERT / RoBERTa / ALBERT pre-training comparison.

A self-contained PyTorch re-implementation of the Hugging Face
BertForPreTraining (MLM + NSP), RobertaForMaskedLM (MLM) and AlbertForPreTraining
(MLM + SOP) computations, driven by an HF config.json. Parameter names equal the
HF state_dict keys (the tied decoder weight/bias appear under both names in
state_dict(), as in HF), so an HF safetensors state dict loads as is.
Needs only Debian's python3-torch and python3-numpy: always run it with
/usr/bin/python3 (the pyenv python3 on PATH has no torch).

Modes
  --check-ref DIR [DIR ...]
      DIR is a folder of /work/shared/data/reference (config.json,
      weights.safetensors, inputs.safetensors, outputs.safetensors). Runs forward
      + backward in float64 and checks loss, logits, hidden states, attention
      probabilities and every parameter gradient against the reference (max
      |ours - ref| <= 1e-6 * max(max |ref|, 1e-6), per tensor; the floor only
      matters for the attention key-bias gradients, which are analytically zero
      and hold ~1e-16 roundoff on both sides). It does so twice: with the
      MLM head on all positions (HF style) and with it on the labelled positions
      only (the --bench default; its loss and gradients must match too).
      Exit status 1 if anything is off.
  --bench --config CONFIG.json --batch B --seq T --threads N --steps S --warmup W
          [--max-pred P] [--full-vocab-mlm] [--flops] [--seed K]
      Trains with torch.optim.AdamW (lr 1e-4, weight decay 0.01 on all
      parameters) on synthetic random batches (fixed seed, attention mask all
      ones, P = round(0.15*T) masked positions per row by default, labels -100
      elsewhere, random NSP/SOP labels), dropout as in the config (train mode),
      float32. The MLM head runs on the B*P masked rows only (gather first, as in
      Google's and NVIDIA's BERT) unless --full-vocab-mlm (all B*T rows, as HF).
      Prints ONE line of JSON with means over the S timed steps after W warmup
      steps: step_time_s = fwd_bwd_time_s (zero_grad + forward + backward) +
      opt_time_s (optimizer.step); tokens_per_s = B*T / step_time_s.
  --flops
      With --bench: adds flops_per_step and gflops_per_s to the JSON line.
      Alone (with --config/--batch/--seq): prints only the FLOP count. Counting:
      2*M*N*K per matmul, forward x3 for forward+backward, attention QK^T and PV
      included, MLM transform+decoder on the rows it is evaluated on, pooler and
      NSP/SOP included; embeddings lookups, softmax, LayerNorm, GELU, loss and
      optimizer are not counted.

Examples
  /usr/bin/python3 launch/bench/pytorch_bert.py --check-ref \\
      /work/shared/data/reference/{bert,roberta,albert}-tiny
  launch/bench/with-openblas.sh /usr/bin/python3 launch/bench/pytorch_bert.py \\
      --bench --config configs/bert-small-uncased.json --batch 32 --seq 128 \\
      --threads 2 --steps 5 --warmup 2 --flops
  (with-openblas.sh: Debian's torch otherwise runs on the netlib reference BLAS
  when installed with --no-install-recommends; the JSON's "blas" says which.)
"""
import argparse
import json
import math
import os
import struct
import sys
import time

if "--threads" in sys.argv[:-1]:  # BLAS / OpenMP pools read these when torch loads
    for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_v, sys.argv[sys.argv.index("--threads") + 1])

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------
# safetensors (8-byte LE header length, JSON header, raw LE data)

_ST_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16,
              "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8,
              "U8": np.uint8, "BOOL": np.bool_}


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        if info["dtype"] == "BF16":  # upper half of a float32
            u = np.frombuffer(data[a:b], dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(data[a:b], dtype=np.dtype(_ST_DTYPES[info["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


# ----------------------------------------------------------------------------
# model

def activation(name):
    if name == "gelu":  # erf form
        return F.gelu
    if name in ("gelu_new", "gelu_pytorch_tanh"):  # tanh form
        return lambda x: F.gelu(x, approximate="tanh")
    if name == "relu":
        return F.relu
    raise ValueError("unsupported hidden_act %r" % name)


def container(**children):
    """An nn.Module that only holds named children (gives the HF key prefixes)."""
    m = nn.Module()
    for name, child in children.items():
        setattr(m, name, child)
    return m


def qkv(H):
    return dict(query=nn.Linear(H, H), key=nn.Linear(H, H), value=nn.Linear(H, H))


class Embeddings(nn.Module):
    """word + position + token type, LayerNorm, dropout (width E for ALBERT)."""

    def __init__(self, cfg, width):
        super().__init__()
        self.pad = pad = cfg.get("pad_token_id", 0)
        self.roberta = cfg["model_type"] == "roberta"
        self.word_embeddings = nn.Embedding(cfg["vocab_size"], width, padding_idx=pad)
        self.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], width,
                                                padding_idx=pad if self.roberta else None)
        self.token_type_embeddings = nn.Embedding(cfg.get("type_vocab_size", 2), width)
        self.LayerNorm = nn.LayerNorm(width, eps=cfg.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(cfg.get("hidden_dropout_prob", 0.1))

    def forward(self, input_ids, token_type_ids):
        if self.roberta:  # real tokens count from pad+1, pads get pad
            real = (input_ids != self.pad).long()
            pos = torch.cumsum(real, dim=1) * real + self.pad
        else:
            pos = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = (self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
             + self.position_embeddings(pos))
        return self.dropout(self.LayerNorm(x))


def self_attention(x, p, heads, add_mask, dropout, probs_out):
    """Multi-head scaled dot-product attention; p holds the query/key/value Linears."""
    B, T, H = x.shape
    d = H // heads
    q, k, v = (lin(x).view(B, T, heads, d).transpose(1, 2) for lin in (p.query, p.key, p.value))
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
    if add_mask is not None:
        scores = scores + add_mask
    probs = torch.softmax(scores, dim=-1)
    if probs_out is not None:
        probs_out.append(probs)
    return torch.matmul(dropout(probs), v).transpose(1, 2).reshape(B, T, H)


class Layer(nn.Module):
    """HF BertLayer (post-LayerNorm): x = LN(x + drop(dense(attn(x))));
    x = LN(x + drop(dense(act(dense(x)))))."""

    def __init__(self, cfg):
        super().__init__()
        H, I, eps = cfg["hidden_size"], cfg["intermediate_size"], cfg.get("layer_norm_eps", 1e-12)
        self.heads, self.act = cfg["num_attention_heads"], activation(cfg["hidden_act"])
        self.attn_dropout = nn.Dropout(cfg.get("attention_probs_dropout_prob", 0.1))
        self.dropout = nn.Dropout(cfg.get("hidden_dropout_prob", 0.1))
        self.attention = container(self=container(**qkv(H)), output=container(
            dense=nn.Linear(H, H), LayerNorm=nn.LayerNorm(H, eps=eps)))
        self.intermediate = container(dense=nn.Linear(H, I))
        self.output = container(dense=nn.Linear(I, H), LayerNorm=nn.LayerNorm(H, eps=eps))

    def forward(self, x, add_mask, probs_out=None):
        at, out = self.attention, self.output
        ctx = self_attention(x, at.self, self.heads, add_mask, self.attn_dropout, probs_out)
        a = at.output.LayerNorm(self.dropout(at.output.dense(ctx)) + x)
        h = self.act(self.intermediate.dense(a))
        return out.LayerNorm(self.dropout(out.dense(h)) + a)


class AlbertLayer(nn.Module):
    """HF AlbertLayer: same computation as Layer, ALBERT's names; HF applies no
    dropout to the FFN output here."""

    def __init__(self, cfg):
        super().__init__()
        H, I, eps = cfg["hidden_size"], cfg["intermediate_size"], cfg.get("layer_norm_eps", 1e-12)
        self.heads, self.act = cfg["num_attention_heads"], activation(cfg["hidden_act"])
        self.full_layer_layer_norm = nn.LayerNorm(H, eps=eps)
        self.attention = container(**qkv(H), dense=nn.Linear(H, H), LayerNorm=nn.LayerNorm(H, eps=eps),
                                   attention_dropout=nn.Dropout(cfg.get("attention_probs_dropout_prob", 0.0)),
                                   output_dropout=nn.Dropout(cfg.get("hidden_dropout_prob", 0.0)))
        self.ffn, self.ffn_output = nn.Linear(H, I), nn.Linear(I, H)

    def forward(self, x, add_mask, probs_out=None):
        at = self.attention
        ctx = self_attention(x, at, self.heads, add_mask, at.attention_dropout, probs_out)
        a = at.LayerNorm(x + at.output_dropout(at.dense(ctx)))
        return self.full_layer_layer_norm(self.ffn_output(self.act(self.ffn(a))) + a)


class Encoder(nn.Module):
    """BertModel / RobertaModel (no pooler) / AlbertModel: embeddings, layers, pooler."""

    def __init__(self, cfg):
        super().__init__()
        H, L = cfg["hidden_size"], cfg["num_hidden_layers"]
        self.albert = cfg["model_type"] == "albert"
        if self.albert:
            E, self.G = cfg["embedding_size"], cfg.get("num_hidden_groups", 1)
            self.embeddings = Embeddings(cfg, E)
            groups = [container(albert_layers=nn.ModuleList(
                AlbertLayer(cfg) for _ in range(cfg.get("inner_group_num", 1)))) for _ in range(self.G)]
            self.encoder = container(embedding_hidden_mapping_in=nn.Linear(E, H),
                                     albert_layer_groups=nn.ModuleList(groups))
            self.pooler = nn.Linear(H, H)
            groups = self.encoder.albert_layer_groups  # layer i uses group i // (L/G)
            self.layers = [list(groups[i // (L // self.G)].albert_layers) for i in range(L)]
        else:
            self.embeddings = Embeddings(cfg, H)
            self.encoder = container(layer=nn.ModuleList(Layer(cfg) for _ in range(L)))
            if cfg["model_type"] == "bert":
                self.pooler = container(dense=nn.Linear(H, H))
            self.layers = [[layer] for layer in self.encoder.layer]

    def forward(self, input_ids, token_type_ids, add_mask, hidden_out=None, probs_out=None):
        x = self.embeddings(input_ids, token_type_ids)
        if self.albert:
            x = self.encoder.embedding_hidden_mapping_in(x)
        if hidden_out is not None:
            hidden_out.append(x)
        for sublayers in self.layers:
            for layer in sublayers:
                x = layer(x, add_mask, probs_out)
            if hidden_out is not None:
                hidden_out.append(x)
        pooler = getattr(self, "pooler", None)
        if pooler is None:
            return x, None
        return x, torch.tanh((pooler if self.albert else pooler.dense)(x[:, 0]))


class MLMHead(nn.Module):
    """dense + act + LayerNorm, then the decoder tied to the word embeddings + bias.
    HF names: bert transform.dense / transform.LayerNorm; roberta dense / layer_norm;
    albert dense / LayerNorm (width E)."""

    def __init__(self, cfg, word_embeddings):
        super().__init__()
        kind, H, V = cfg["model_type"], cfg["hidden_size"], cfg["vocab_size"]
        E = cfg["embedding_size"] if kind == "albert" else H
        self.bias = nn.Parameter(torch.zeros(V))  # registered before decoder: owns the name
        dense, norm = nn.Linear(H, E), nn.LayerNorm(E, eps=cfg.get("layer_norm_eps", 1e-12))
        if kind == "bert":
            self.transform = container(dense=dense, LayerNorm=norm)
        else:
            self.dense = dense
            setattr(self, "layer_norm" if kind == "roberta" else "LayerNorm", norm)
        self._dense_norm = (dense, norm)  # plain tuple: not registered twice
        self.act = activation(cfg["hidden_act"])
        self.decoder = nn.Linear(E, V)
        self.decoder.weight = word_embeddings.weight  # tied, as in HF
        self.decoder.bias = self.bias

    def forward(self, x):
        dense, norm = self._dense_norm
        return self.decoder(norm(self.act(dense(x))))


class PreTrainingModel(nn.Module):
    """BertForPreTraining / RobertaForMaskedLM / AlbertForPreTraining."""

    def __init__(self, cfg):
        super().__init__()
        self.kind = kind = cfg["model_type"]
        H = cfg["hidden_size"]
        if kind not in ("bert", "roberta", "albert"):
            raise ValueError("unsupported model_type %r" % kind)
        setattr(self, kind, Encoder(cfg))
        head = MLMHead(cfg, getattr(self, kind).embeddings.word_embeddings)
        if kind == "bert":
            self.cls = container(predictions=head, seq_relationship=nn.Linear(H, 2))
        elif kind == "roberta":
            self.lm_head = head
        else:
            self.predictions = head
            self.sop_classifier = container(
                dropout=nn.Dropout(cfg.get("classifier_dropout_prob", 0.1)), classifier=nn.Linear(H, 2))
        self.head = [head]  # unregistered alias
        self.init_weights(cfg.get("initializer_range", 0.02))

    @torch.no_grad()
    def init_weights(self, std):  # HF _init_weights
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.normal_(0.0, std)
            if isinstance(m, nn.Embedding) and m.padding_idx is not None:
                m.weight[m.padding_idx].zero_()
            if isinstance(m, nn.LayerNorm):
                m.weight.fill_(1.0)
            if isinstance(m, (nn.Linear, nn.LayerNorm)) and m.bias is not None:
                m.bias.zero_()

    def forward(self, input_ids, token_type_ids, labels, nsp_labels=None, attention_mask=None,
                full_vocab_mlm=True, hidden_out=None, probs_out=None):
        """Returns (loss, mlm_loss, nsp_loss, mlm_logits, nsp_logits). mlm_logits are
        [B,T,V] with full_vocab_mlm, else [n_labelled, V] (rows with label != -100)."""
        add_mask = None  # additive mask; None means all positions attended
        dtype = self.get_parameter(self.kind + ".embeddings.LayerNorm.weight").dtype
        if attention_mask is not None:
            add_mask = (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
        head = self.head[0]
        seq, pooled = getattr(self, self.kind)(input_ids, token_type_ids, add_mask, hidden_out, probs_out)
        if full_vocab_mlm:
            logits = head(seq)
            mlm_loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1),
                                       ignore_index=-100)
        else:  # gather the labelled rows first
            sel = labels.view(-1) != -100
            logits = head(seq.reshape(-1, seq.shape[-1])[sel])
            mlm_loss = F.cross_entropy(logits, labels.view(-1)[sel])
        nsp_logits = nsp_loss = None
        if self.kind == "bert":
            nsp_logits = self.cls.seq_relationship(pooled)
        elif self.kind == "albert":
            nsp_logits = self.sop_classifier.classifier(self.sop_classifier.dropout(pooled))
        loss = mlm_loss
        if nsp_logits is not None and nsp_labels is not None:
            nsp_loss = F.cross_entropy(nsp_logits, nsp_labels)
            loss = loss + nsp_loss
        return loss, mlm_loss, nsp_loss, logits, nsp_logits


def load_config(path):
    with open(path) as f:
        return json.load(f)


def load_hf_state_dict(model, sd):
    """Loads an HF state dict; the tied decoder keys may be present or absent."""
    own = model.state_dict()
    missing = [k for k in own if k not in sd and ".decoder." not in k]
    unexpected = [k for k in sd if k not in own and not k.endswith("position_ids")]
    if missing or unexpected:
        raise KeyError("state dict mismatch: missing %s unexpected %s" % (missing, unexpected))
    with torch.no_grad():
        for k, t in own.items():
            if k in sd and ".decoder." not in k:
                t.copy_(sd[k].to(t.dtype))
    for k in own:  # tied copies in the file must agree with their owners
        if ".decoder." in k and k in sd and not torch.equal(sd[k].to(own[k].dtype), own[k]):
            raise ValueError("%s in the file differs from the tensor it is tied to" % k)


# ----------------------------------------------------------------------------
# --check-ref

def check_ref(folder, tol=1e-6, floor=1e-6):
    """Per tensor: max|ours - ref| <= tol * max(max|ref|, floor). The floor only
    matters for attention key-bias gradients, which are analytically zero (softmax
    is invariant to a per-row shift) and hold ~1e-16 roundoff on both sides."""
    torch.manual_seed(0)
    cfg = load_config(folder + "/config.json")
    model = PreTrainingModel(cfg).double()
    load_hf_state_dict(model, load_safetensors(folder + "/weights.safetensors"))
    model.eval()  # dropout is 0 in the references anyway
    inp = load_safetensors(folder + "/inputs.safetensors")
    ref = load_safetensors(folder + "/outputs.safetensors")
    ok, worst = True, {}

    def cmp(name, ours, theirs):
        nonlocal ok
        ours, theirs = ours.detach().double(), theirs.double()
        if tuple(ours.shape) != tuple(theirs.shape):
            ours = ours.reshape(theirs.shape)
        err = (ours - theirs).abs().max().item()
        rel = err / max(theirs.abs().max().item(), floor)
        if rel > tol:
            ok = False
            print("  MISMATCH %-60s rel %.3e abs %.3e" % (name, rel, err))
        base = name.split("] ")[-1]
        kind = base.split(".")[0] if base.startswith(("grad.", "hidden_states.", "attentions.")) else base
        if kind == "grad" and base.endswith("key.bias"):
            kind = "grad key.bias (zero)"
        if rel >= worst.get(kind, (-1.0, ""))[0]:
            worst[kind] = (rel, name)

    names = [n for n, _ in model.named_parameters()]
    grads_in_ref = sorted(k[5:] for k in ref if k.startswith("grad."))
    if sorted(names) != grads_in_ref:
        print("  parameter names differ from the reference's gradient names")
        ok = False
    for full in (True, False):
        model.zero_grad(set_to_none=True)
        hidden, probs = [], []
        loss, mlm, nsp, logits, nsp_logits = model(
            inp["input_ids"], inp["token_type_ids"], inp["labels"], inp.get("nsp"),
            inp["attention_mask"], full_vocab_mlm=full, hidden_out=hidden, probs_out=probs)
        loss.backward()
        tag = "" if full else "[masked-only] "
        cmp(tag + "loss", loss, ref["loss"])
        cmp(tag + "mlm_loss", mlm, ref["mlm_loss"])
        if "nsp_loss" in ref:
            cmp(tag + "nsp_loss", nsp, ref["nsp_loss"])
            cmp(tag + "seq_relationship_logits", nsp_logits, ref["seq_relationship_logits"])
        if full:
            cmp("prediction_logits", logits, ref["prediction_logits"])
            for i, h in enumerate(hidden):
                cmp("hidden_states.%d" % i, h, ref["hidden_states.%d" % i])
            for i, p in enumerate(probs):
                cmp("attentions.%d" % i, p, ref["attentions.%d" % i])
            if len(hidden) + len(probs) != sum(k.startswith(("hidden_states.", "attentions.")) for k in ref):
                print("  hidden state / attention count differs")
                ok = False
        else:
            sel = inp["labels"].view(-1) != -100
            cmp("[masked-only] prediction_logits", logits,
                ref["prediction_logits"].reshape(-1, logits.shape[-1])[sel])
        for n, p in model.named_parameters():
            cmp(tag + "grad." + n, p.grad, ref["grad." + n])
    print("%s %s: loss %.12f (ref %.12f), %d parameter gradients; max rel error per kind:" % (
        "PASS" if ok else "FAIL", folder.rstrip("/").split("/")[-1], loss.item(),
        ref["loss"].item(), len(names)))
    for kind, (rel, name) in sorted(worst.items()):
        print("    %-24s %.2e  (%s)" % (kind, rel, name))
    return ok


# ----------------------------------------------------------------------------
# --flops and --bench

def loaded_blas():
    """Real paths of the BLAS libraries mapped into this process (Linux)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.split()[-1].rsplit("/", 1)[-1]}
    except OSError:
        return "unknown"
    return " ".join(sorted(os.path.realpath(p) for p in libs)) or "none (torch's own gemm)"


def flops_per_step(cfg, B, T, mlm_rows):
    """Forward matmul FLOPs x3 (forward + backward)."""
    H, I, L, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    N = B * T
    E = cfg["embedding_size"] if cfg["model_type"] == "albert" else H
    per_layer = 2 * N * H * (4 * H + 2 * I) + 2 * 2 * B * T * T * H  # QKV,out,FFN + QK^T,PV
    fwd = L * per_layer
    if cfg["model_type"] == "albert":
        fwd += 2 * N * E * H  # embedding_hidden_mapping_in
    fwd += 2 * mlm_rows * (H * E + E * V)  # MLM transform + decoder
    if cfg["model_type"] != "roberta":
        fwd += 2 * B * H * H + 2 * B * H * 2  # pooler + NSP/SOP
    return 3 * fwd


def synthetic_batch(gen, cfg, B, T, P):
    V = cfg["vocab_size"]
    lo = 5 if V > 10 else 0  # keep clear of pad/special ids
    ids = torch.randint(lo, V, (B, T), generator=gen)
    split = torch.randint(1, T, (B, 1), generator=gen)
    tt = (torch.arange(T)[None, :] >= split).long()
    if cfg.get("type_vocab_size", 2) < 2:
        tt.zero_()
    labels = torch.full((B, T), -100, dtype=torch.long)
    pos = torch.argsort(torch.rand(B, T, generator=gen), dim=1)[:, :P]
    labels.scatter_(1, pos, torch.randint(lo, V, (B, P), generator=gen))
    nsp = torch.randint(0, 2, (B,), generator=gen)
    return ids, tt, labels, nsp


def bench(args):
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    B, T = args.batch, args.seq
    P = args.max_pred if args.max_pred is not None else int(round(0.15 * T))
    torch.manual_seed(args.seed)
    model = PreTrainingModel(cfg).float().train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    gen = torch.Generator().manual_seed(args.seed + 1)
    fb, op, cpu = [], [], []
    for step in range(args.warmup + args.steps):
        ids, tt, labels, nsp = synthetic_batch(gen, cfg, B, T, P)
        c0, t0 = time.process_time(), time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(ids, tt, labels, nsp, None, full_vocab_mlm=args.full_vocab_mlm)[0]
        loss.backward()
        t1 = time.perf_counter()
        opt.step()
        t2, c2 = time.perf_counter(), time.process_time()
        if not math.isfinite(loss.item()):
            raise SystemExit("non-finite loss at step %d" % step)
        if step >= args.warmup:
            fb.append(t1 - t0)
            op.append(t2 - t1)
            cpu.append(c2 - c0)
    fwd_bwd, opt_t = sum(fb) / len(fb), sum(op) / len(op)
    step_t = fwd_bwd + opt_t
    out = {"impl": "pytorch", "torch": torch.__version__, "threads": args.threads,
           "batch": B, "seq": T, "steps": args.steps, "tokens_per_s": B * T / step_t,
           "step_time_s": step_t, "fwd_bwd_time_s": fwd_bwd, "opt_time_s": opt_t,
           "config": args.config, "model_type": cfg["model_type"], "max_pred": P,
           "mlm": "full-vocab" if args.full_vocab_mlm else "masked-only", "warmup": args.warmup,
           "params": sum(p.numel() for p in model.parameters()), "final_loss": loss.item(),
           "blas": loaded_blas(),
           # CPU s / wall s: well below threads means shared cores (OpenMP spin-waits count as CPU)
           "cpu_utilization": sum(cpu) / len(cpu) / step_t, "step_times_s": [a + b for a, b in zip(fb, op)]}
    if args.flops:
        fl = flops_per_step(cfg, B, T, B * T if args.full_vocab_mlm else B * P)
        out["flops_per_step"] = fl
        out["gflops_per_s"] = fl / step_t / 1e9
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__[__doc__.index("Modes"):])
    ap.add_argument("--check-ref", nargs="+", metavar="DIR")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--flops", action="store_true")
    ap.add_argument("--config")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--max-pred", type=int, default=None)
    ap.add_argument("--full-vocab-mlm", action="store_true")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    if args.check_ref:
        torch.set_num_threads(args.threads)
        results = [check_ref(d) for d in args.check_ref]
        sys.exit(0 if all(results) else 1)
    if not args.config:
        ap.error("--config is required for --bench / --flops")
    if args.bench:
        if args.steps < 1:
            ap.error("--steps must be >= 1")
        bench(args)
    elif args.flops:
        cfg = load_config(args.config)
        P = args.max_pred if args.max_pred is not None else int(round(0.15 * args.seq))
        rows = args.batch * (args.seq if args.full_vocab_mlm else P)
        print(json.dumps({"config": args.config, "batch": args.batch, "seq": args.seq,
                          "mlm_rows": rows, "flops_per_step": flops_per_step(cfg, args.batch, args.seq, rows)}))
    else:
        ap.error("choose --check-ref, --bench or --flops")


if __name__ == "__main__":
    main()
