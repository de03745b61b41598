/* loader.c - see loader.h. Layout: opening and validation, row building,
 * micro-batch production (positions in the global stream), the prefetch
 * thread and the public calls. */
#include "loader.h"
#include "corpus.h"
#include "fileio.h"
#include "masking.h"
#include "mem.h"
#include "nvidia_shard.h"
#include "rng.h"
#include "sampler.h"
#include "shard_dir.h"
#include "shard_reader.h"
#include "timer.h"
#include "vocab.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define SAMPLE_INDEX_SHIFT 40

struct ring_slot {
    struct batch b;
    int rc;
    char err[BT_ERR_LEN];
    int ends_step;               /* the last micro-batch of a global batch */
    struct data_state next_step; /* state after that step */
};

struct loader {
    struct loader_opts o;
    struct data_info info;
    char **paths;
    int n_paths;
    struct corpus corpus;
    int64_t *doc_tok; /* (n_docs + 1) first token of each document */
    struct nv_set nv;
    struct sampler smp;
    struct mask_params mp;
    int32_t *pool;
    uint8_t *cont_id;               /* (vocab size) token continues a word; NULL: unknown */
    int32_t *scratch, *tpos, *tlab; /* (4T), (T), (T) */
    uint8_t *tcont;                 /* (T) the row's continuation flags */
    int accum;
    /* producer: next micro-batch is number pa of the step starting at pstate */
    struct data_state pstate;
    int pa;
    /* consumer */
    struct data_state cstate;
    double wait_s;
    /* prefetch thread */
    int threaded, stop, failed;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv_data, cv_space;
    struct ring_slot ring[LOADER_PREFETCH_DEPTH];
    int head, count;
};

static const char *const obj_names[OBJ_COUNT] = {"nsp", "sop", "full-sentences", "doc-sentences"};

int objective_parse(const char *s, enum objective *out)
{
    for (int i = 0; i < OBJ_COUNT; i++) {
        if (s && strcmp(s, obj_names[i]) == 0) {
            *out = (enum objective)i;
            return BT_OK;
        }
    }
    return BT_EUSAGE;
}

const char *objective_name(enum objective o)
{
    return (o >= 0 && o < OBJ_COUNT) ? obj_names[o] : "unknown";
}

/* ---- opening -------------------------------------------------------------- */

static int check_opts(const struct loader_opts *o, char *err)
{
    if (!o->dir)
        return bt_errf(err, BT_EUSAGE, "loader: no data directory given");
    if (o->objective < 0 || o->objective >= OBJ_COUNT)
        return bt_errf(err, BT_EUSAGE, "loader: unknown objective %d", (int)o->objective);
    if (o->seq_len < 8 || o->seq_len > 65536)
        return bt_errf(err, BT_EUSAGE, "loader: seq_len %d is outside 8..65536", o->seq_len);
    if (o->max_pred < 1 || o->max_pred > o->seq_len)
        return bt_errf(err, BT_EUSAGE, "loader: max_pred %d is outside 1..seq_len (%d)",
                       o->max_pred, o->seq_len);
    if (o->masking < 0 || o->masking >= MASK_MODE_COUNT)
        return bt_errf(err, BT_EUSAGE, "loader: unknown masking mode %d", o->masking);
    if (!(o->mask_prob > 0 && o->mask_prob <= 1))
        return bt_errf(err, BT_EUSAGE, "loader: mask_prob %g is outside (0, 1]", o->mask_prob);
    if (!(o->short_seq_prob >= 0 && o->short_seq_prob <= 1))
        return bt_errf(err, BT_EUSAGE, "loader: short_seq_prob %g is outside [0, 1]",
                       o->short_seq_prob);
    if (o->world < 1 || o->rank < 0 || o->rank >= o->world)
        return bt_errf(err, BT_EUSAGE, "loader: rank %d is outside 0..world-1 (world %d)",
                       o->rank, o->world);
    if (o->micro_batch < 1 || o->global_batch < 1 ||
        o->global_batch % (o->world * o->micro_batch) != 0)
        return bt_errf(err, BT_EUSAGE,
                       "loader: global_batch %d is not a multiple of world (%d) x micro_batch (%d)",
                       o->global_batch, o->world, o->micro_batch);
    return BT_OK;
}

/* Random-replacement pool (every id of v that is not reserved) and the
 * word-continuation flags. */
static void tables_from_vocab(struct loader *L, const struct vocab *v)
{
    int n = vocab_size(v);
    L->pool = xmalloc(xmul((size_t)n, sizeof(int32_t)));
    L->cont_id = xmalloc((size_t)n);
    L->mp.pool_n = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!vocab_is_reserved(v, i))
            L->pool[L->mp.pool_n++] = i;
        L->cont_id[i] = (uint8_t)vocab_is_continuation(v, i);
    }
}

static int open_ours(struct loader *L, char *err)
{
    int rc = corpus_load(&L->corpus, L->paths, L->n_paths, err);
    if (rc != BT_OK)
        return rc;
    const struct shard_meta *m = &L->corpus.meta;
    if (L->o.seq_len > m->max_seq_len)
        return bt_errf(err, BT_EUSAGE, "%s: seq_len %d exceeds the shards' max_seq_len %d; "
                       "hint: re-run bert-prep with --max-seq-len %d", L->o.dir, L->o.seq_len,
                       m->max_seq_len, L->o.seq_len);
    struct vocab *v;
    rc = vocab_load_bytes(&v, L->corpus.vocab, L->corpus.vocab_len, L->paths[0], err);
    if (rc != BT_OK)
        return rc;
    if (vocab_checksum(v) != m->vocab_checksum || vocab_size(v) != m->vocab_size) {
        vocab_free(v);
        return bt_errf(err, BT_EFORMAT, "%s: the stored vocabulary does not match its checksum",
                       L->paths[0]);
    }
    tables_from_vocab(L, v);
    vocab_free(v);
    struct data_info *I = &L->info;
    I->vocab_size = m->vocab_size;
    I->lowercase = m->lowercase;
    I->pad_id = m->pad_id;
    I->unk_id = m->unk_id;
    I->cls_id = m->cls_id;
    I->sep_id = m->sep_id;
    I->mask_id = m->mask_id;
    I->vocab_checksum = m->vocab_checksum;
    I->n_docs = L->corpus.n_docs;
    I->n_sentences = L->corpus.n_sent;
    I->n_tokens = L->corpus.n_tokens;
    L->doc_tok = xmalloc(xmul((size_t)L->corpus.n_docs + 1, sizeof(int64_t)));
    for (int64_t d = 0; d <= L->corpus.n_docs; d++)
        L->doc_tok[d] = L->corpus.sent_off[L->corpus.doc_off[d]];
    struct sampler_cfg sc = {0};
    sc.kind = L->o.objective <= OBJ_SOP ? SAMPLER_PAIRS : SAMPLER_BLOCKS;
    sc.corpus = &L->corpus;
    sc.T = L->o.seq_len;
    sc.short_seq_prob = L->o.short_seq_prob;
    sc.sop = L->o.objective == OBJ_SOP;
    sc.cross_docs = L->o.objective == OBJ_FULL_SENTENCES;
    sc.seed = L->o.seed;
    return sampler_init(&L->smp, &sc, err);
}

static int open_nvidia(struct loader *L, char *err)
{
    if (L->o.objective != OBJ_NSP)
        return bt_errf(err, BT_EUSAGE, "%s: NVIDIA shards hold NSP pairs; objective '%s' needs "
                       "bert-prep shards", L->o.dir, objective_name(L->o.objective));
    int rc = nv_open(&L->nv, L->paths, L->n_paths, err);
    if (rc != BT_OK)
        return rc;
    if (L->o.seq_len < L->nv.T)
        return bt_errf(err, BT_EUSAGE, "%s: the shards hold sequences of %d tokens; seq_len %d "
                       "is too small", L->paths[0], L->nv.T, L->o.seq_len);
    if (L->o.static_masks && L->nv.P > L->o.max_pred)
        return bt_errf(err, BT_EUSAGE, "%s: the shards store up to %d predictions per row; "
                       "max_pred %d is too small for static masks", L->paths[0], L->nv.P,
                       L->o.max_pred);
    struct data_info *I = &L->info;
    char vpath[4200];
    snprintf(vpath, sizeof vpath, "%s/vocab.txt", L->o.dir);
    if (file_exists(vpath)) {
        struct vocab *v;
        if ((rc = vocab_load(&v, vpath, err)) != BT_OK)
            return rc;
        I->vocab_size = vocab_size(v);
        I->pad_id = vocab_special_id(v, VOCAB_PAD);
        I->unk_id = vocab_special_id(v, VOCAB_UNK);
        I->cls_id = vocab_special_id(v, VOCAB_CLS);
        I->sep_id = vocab_special_id(v, VOCAB_SEP);
        I->mask_id = vocab_special_id(v, VOCAB_MASK);
        I->vocab_checksum = vocab_checksum(v);
        tables_from_vocab(L, v);
        vocab_free(v);
    } else { /* bert-base-uncased layout */
        I->vocab_size = 30522;
        I->pad_id = 0;
        I->unk_id = 100;
        I->cls_id = 101;
        I->sep_id = 102;
        I->mask_id = 103;
        if (L->o.masking != MASK_TOKEN && !L->o.static_masks)
            return bt_errf(err, BT_EUSAGE, "%s: %s masking needs the vocabulary to find words; "
                           "put the shards' vocab.txt into the data directory", L->o.dir,
                           mask_mode_name((enum mask_mode)L->o.masking));
        L->pool = xmalloc(xmul(30522 - 999, sizeof(int32_t)));
        L->mp.pool_n = 0;
        for (int32_t i = 999; i < 30522; i++)
            L->pool[L->mp.pool_n++] = i;
    }
    I->lowercase = 1;
    I->nvidia = 1;
    struct sampler_cfg sc = {0};
    sc.kind = SAMPLER_NVIDIA;
    sc.nv = &L->nv;
    sc.T = L->o.seq_len;
    sc.vocab_size = I->vocab_size;
    sc.seed = L->o.seed;
    return sampler_init(&L->smp, &sc, err);
}

/* ---- rows ----------------------------------------------------------------- */

/* First index i in sorted v[0..n) with v[i] > x (n if none). */
static int64_t first_above(const int64_t *v, int64_t n, int64_t x)
{
    int64_t a = 0, b = n;
    while (a < b) {
        int64_t mid = a + (b - a) / 2;
        if (v[mid] <= x)
            a = mid + 1;
        else
            b = mid;
    }
    return a;
}

/* Writes corpus tokens [lo, lo+n) to out, with [SEP] before every document
 * start strictly after lo when seps is set; returns positions written. With
 * cont (whole-word masking) also their continuation flags: from the
 * vocabulary, except that a sentence's first token starts a word and an
 * inserted [SEP] is no word. */
static int put_tokens(const struct loader *L, int32_t *out, uint8_t *cont, int64_t lo, int64_t n,
                      int seps)
{
    const int32_t *tok = L->corpus.tokens;
    if (!seps && !cont) {
        memcpy(out, tok + lo, (size_t)n * sizeof(int32_t));
        return (int)n;
    }
    const int64_t *so = L->corpus.sent_off;
    int64_t d = first_above(L->doc_tok, L->corpus.n_docs, lo); /* next document start > lo */
    int64_t s = first_above(so, L->corpus.n_sent, lo - 1);     /* next sentence start >= lo */
    int k = 0;
    for (int64_t t = lo; t < lo + n; t++) {
        if (seps && d < L->corpus.n_docs && t == L->doc_tok[d]) {
            if (cont)
                cont[k] = 0;
            out[k++] = L->info.sep_id;
            d++;
        }
        if (cont) {
            while (s < L->corpus.n_sent && so[s] < t)
                s++;
            cont[k] = (s < L->corpus.n_sent && so[s] == t) ? 0 : L->cont_id[tok[t]];
        }
        out[k++] = tok[t];
    }
    return k;
}

static int fill_row(struct loader *L, const struct example_ref *ex, int64_t e, int64_t idx,
                    struct batch *b, int i, char *err)
{
    const int T = L->o.seq_len;
    int32_t *ids = b->input_ids + (size_t)i * T, *tt = b->token_type_ids + (size_t)i * T;
    int32_t *am = b->attention_mask + (size_t)i * T;
    const struct data_info *I = &L->info;
    int n = 0, first_len = 0, nsp = -1, static_preds = 0;
    uint8_t *cont = L->o.masking != MASK_TOKEN && L->cont_id ? L->tcont : NULL;
    if (cont)
        memset(cont, 0, (size_t)T);
    if (ex->pair) {
        const struct pair_ex *p = ex->pair;
        int swap = L->o.objective == OBJ_SOP && p->label;
        int64_t lo1 = swap ? p->b_lo : p->a_lo, lo2 = swap ? p->a_lo : p->b_lo;
        int n1 = swap ? p->b_len : p->a_len, n2 = swap ? p->a_len : p->b_len;
        ids[n++] = I->cls_id;
        n += put_tokens(L, ids + n, cont ? cont + n : NULL, lo1, n1, 0);
        ids[n++] = I->sep_id;
        first_len = n;
        n += put_tokens(L, ids + n, cont ? cont + n : NULL, lo2, n2, 0);
        ids[n++] = I->sep_id;
        nsp = p->label;
    } else if (ex->block) {
        ids[n++] = I->cls_id;
        n += put_tokens(L, ids + n, cont ? cont + n : NULL, ex->block->lo, ex->block->len,
                        L->o.objective == OBJ_FULL_SENTENCES);
        ids[n++] = I->sep_id;
        first_len = n;
    } else {
        const struct nv_file *x = ex->nv;
        size_t r = (size_t)ex->nv_row;
        const int8_t *m = x->input_mask + r * (size_t)x->T, *sg = x->segment_ids + r * (size_t)x->T;
        memcpy(ids, x->input_ids + r * (size_t)x->T, (size_t)x->T * sizeof(int32_t));
        for (int t = 0; t < x->T; t++) {
            n += m[t];
            tt[t] = sg[t];
        }
        int np = nv_row_npred(x, ex->nv_row);
        const int32_t *pp = x->mlm_pos + r * (size_t)x->P, *pl = x->mlm_ids + r * (size_t)x->P;
        for (int k = 0; k < np; k++) {
            if (pp[k] >= n)
                return bt_errf(err, BT_EFORMAT, "NVIDIA shard row %lld: masked position %d is "
                               "in the padding", (long long)r, (int)pp[k]);
            if (L->o.static_masks) {
                b->pred_pos[b->n_pred + k] = i * T + pp[k];
                b->pred_label[b->n_pred + k] = pl[k];
            } else {
                ids[pp[k]] = pl[k]; /* put the original id back */
            }
        }
        static_preds = L->o.static_masks ? np : -1;
        nsp = x->nsp[r];
        if (cont)
            for (int t = 0; t < n; t++)
                cont[t] = L->cont_id[ids[t]];
    }
    if (!ex->nv)
        for (int t = 0; t < n; t++)
            tt[t] = t < first_len ? 0 : 1;
    for (int t = 0; t < n; t++)
        am[t] = 1;
    for (int t = n; t < T; t++) {
        ids[t] = I->pad_id;
        tt[t] = 0;
        am[t] = 0;
    }
    if (static_preds >= 0 && ex->nv) {
        b->n_pred += static_preds;
    } else {
        int k = masking_apply(&L->mp, L->o.seed,
                              rng_stream(MASKING_TAG, (uint64_t)e, (uint64_t)idx), ids, n,
                              cont, L->tpos, L->tlab, L->scratch);
        for (int j = 0; j < k; j++) {
            b->pred_pos[b->n_pred + j] = i * T + L->tpos[j];
            b->pred_label[b->n_pred + j] = L->tlab[j];
        }
        b->n_pred += k;
    }
    b->nsp_labels[i] = nsp;
    b->sample_index[i] = (e << SAMPLE_INDEX_SHIFT) + idx;
    b->n_tokens += n;
    return BT_OK;
}

/* ---- production ------------------------------------------------------------ */

/* (epoch, index) of the sample `off` positions after st. */
static int advance(struct loader *L, struct data_state st, int64_t off, struct data_state *out,
                   char *err)
{
    int64_t e = st.epoch, idx = st.sample + off, n;
    for (;;) {
        int rc = sampler_epoch_size(&L->smp, e, &n, err);
        if (rc != BT_OK)
            return rc;
        if (idx < n)
            break;
        idx -= n;
        e++;
    }
    if (idx >= ((int64_t)1 << SAMPLE_INDEX_SHIFT))
        return bt_errf(err, BT_ERUNTIME, "epoch index %lld too large", (long long)idx);
    out->epoch = e;
    out->sample = idx;
    return BT_OK;
}

static int produce(struct loader *L, struct batch *b, int *ends_step, struct data_state *next,
                   char *err)
{
    const struct loader_opts *o = &L->o;
    b->rows = o->micro_batch;
    b->n_pred = 0;
    b->n_tokens = 0;
    int64_t base = (int64_t)o->rank * (o->global_batch / o->world) +
                   (int64_t)L->pa * o->micro_batch;
    for (int i = 0; i < o->micro_batch; i++) {
        struct data_state at = {0, 0};
        struct example_ref ex;
        int rc = advance(L, L->pstate, base + i, &at, err);
        if (rc == BT_OK)
            rc = sampler_get(&L->smp, at.epoch, at.sample, &ex, err);
        if (rc == BT_OK)
            rc = fill_row(L, &ex, at.epoch, at.sample, b, i, err);
        if (rc != BT_OK)
            return rc;
    }
    *ends_step = ++L->pa == L->accum;
    if (*ends_step) {
        int rc = advance(L, L->pstate, o->global_batch, next, err);
        if (rc != BT_OK)
            return rc;
        L->pstate = *next;
        L->pa = 0;
    }
    return BT_OK;
}

static void *producer_main(void *arg)
{
    struct loader *L = arg;
    pthread_mutex_lock(&L->mu);
    for (;;) {
        while (!L->stop && !L->failed && L->count == LOADER_PREFETCH_DEPTH)
            pthread_cond_wait(&L->cv_space, &L->mu);
        if (L->stop || L->failed)
            break;
        struct ring_slot *s = &L->ring[(L->head + L->count) % LOADER_PREFETCH_DEPTH];
        pthread_mutex_unlock(&L->mu); /* the slot is invisible to the consumer until count++ */
        s->rc = produce(L, &s->b, &s->ends_step, &s->next_step, s->err);
        pthread_mutex_lock(&L->mu);
        L->failed = s->rc != BT_OK;
        L->count++;
        pthread_cond_signal(&L->cv_data);
    }
    pthread_mutex_unlock(&L->mu);
    return NULL;
}

static int start_thread(struct loader *L, char *err)
{
    L->stop = L->failed = 0;
    L->head = L->count = 0;
    if (pthread_create(&L->th, NULL, producer_main, L) != 0)
        return bt_errf(err, BT_ERUNTIME, "loader: cannot start the prefetch thread");
    L->threaded = 1;
    return BT_OK;
}

static void stop_thread(struct loader *L)
{
    if (!L->threaded)
        return;
    pthread_mutex_lock(&L->mu);
    L->stop = 1;
    pthread_cond_broadcast(&L->cv_space);
    pthread_mutex_unlock(&L->mu);
    pthread_join(L->th, NULL);
    L->threaded = 0;
}

/* ---- public calls ------------------------------------------------------------ */

int loader_open(struct loader **out, const struct loader_opts *o, char *err)
{
    *out = NULL;
    int rc = check_opts(o, err);
    if (rc != BT_OK)
        return rc;
    struct loader *L = xcalloc(1, sizeof *L);
    L->o = *o;
    L->accum = o->global_batch / (o->world * o->micro_batch);
    pthread_mutex_init(&L->mu, NULL);
    pthread_cond_init(&L->cv_data, NULL);
    pthread_cond_init(&L->cv_space, NULL);
    rc = shard_dir_list(o->dir, &L->paths, &L->n_paths, err);
    enum shard_kind kind = SHARD_KIND_OURS;
    if (rc == BT_OK)
        rc = shard_probe(L->paths[0], &kind, err);
    if (rc == BT_OK)
        rc = kind == SHARD_KIND_OURS ? open_ours(L, err) : open_nvidia(L, err);
    if (rc == BT_OK) {
        L->mp.prob = o->mask_prob;
        L->mp.max_pred = o->max_pred;
        L->mp.mask_id = L->info.mask_id;
        int32_t sp[5] = {L->info.pad_id, L->info.unk_id, L->info.cls_id, L->info.sep_id,
                         L->info.mask_id};
        memcpy(L->mp.special, sp, sizeof sp);
        L->mp.pool = L->pool;
        L->mp.mode = (enum mask_mode)o->masking;
        L->mp.max_ngram = MASKING_MAX_NGRAM;
        L->scratch = xmalloc(xmul(4 * (size_t)o->seq_len, sizeof(int32_t)));
        L->tcont = xmalloc((size_t)o->seq_len);
        L->tpos = xmalloc(xmul((size_t)o->seq_len, sizeof(int32_t)));
        L->tlab = xmalloc(xmul((size_t)o->seq_len, sizeof(int32_t)));
        rc = sampler_epoch_size(&L->smp, 0, &L->info.epoch_size, err);
    }
    if (rc == BT_OK && o->prefetch) {
        for (int i = 0; i < LOADER_PREFETCH_DEPTH; i++)
            batch_alloc(&L->ring[i].b, o->micro_batch, o->seq_len, o->max_pred);
        rc = start_thread(L, err);
    }
    if (rc != BT_OK) {
        loader_close(L);
        return rc;
    }
    *out = L;
    return BT_OK;
}

const struct data_info *loader_info(const struct loader *L)
{
    return &L->info;
}

int loader_seek(struct loader *L, struct data_state st, char *err)
{
    if (st.epoch < 0 || st.sample < 0)
        return bt_errf(err, BT_EUSAGE, "loader: cannot seek to epoch %lld sample %lld",
                       (long long)st.epoch, (long long)st.sample);
    stop_thread(L);
    struct data_state norm;
    int rc = advance(L, st, 0, &norm, err);
    if (rc != BT_OK)
        return rc;
    L->pstate = L->cstate = norm;
    L->pa = 0;
    return L->o.prefetch ? start_thread(L, err) : BT_OK;
}

int loader_next(struct loader *L, struct batch *b, char *err)
{
    if (b->B != L->o.micro_batch || b->T != L->o.seq_len || b->max_pred != L->o.max_pred)
        return bt_errf(err, BT_EUSAGE, "loader_next: batch shape %dx%d/%d, expected %dx%d/%d",
                       b->B, b->T, b->max_pred, L->o.micro_batch, L->o.seq_len, L->o.max_pred);
    double t0 = timer_now();
    if (!L->o.prefetch) {
        int ends;
        struct data_state next;
        int rc = produce(L, b, &ends, &next, err);
        if (rc == BT_OK && ends)
            L->cstate = next;
        L->wait_s += timer_now() - t0;
        return rc;
    }
    if (!L->threaded)
        return bt_errf(err, BT_ERUNTIME, "loader: the prefetch thread is not running");
    pthread_mutex_lock(&L->mu);
    while (L->count == 0)
        pthread_cond_wait(&L->cv_data, &L->mu);
    L->wait_s += timer_now() - t0;
    struct ring_slot *s = &L->ring[L->head];
    pthread_mutex_unlock(&L->mu);
    if (s->rc != BT_OK) /* keep the failed slot: later calls report the same error */
        return bt_errf(err, s->rc, "%s", s->err);
    batch_copy(b, &s->b);
    if (s->ends_step)
        L->cstate = s->next_step;
    pthread_mutex_lock(&L->mu);
    L->head = (L->head + 1) % LOADER_PREFETCH_DEPTH;
    L->count--;
    pthread_cond_signal(&L->cv_space);
    pthread_mutex_unlock(&L->mu);
    return BT_OK;
}

struct data_state loader_state(const struct loader *L)
{
    return L->cstate;
}

double loader_wait_seconds(const struct loader *L)
{
    return L->wait_s;
}

void loader_close(struct loader *L)
{
    if (!L)
        return;
    stop_thread(L);
    for (int i = 0; i < LOADER_PREFETCH_DEPTH; i++)
        if (L->ring[i].b.input_ids)
            batch_free(&L->ring[i].b);
    sampler_free(&L->smp);
    corpus_free(&L->corpus);
    nv_close(&L->nv);
    if (L->paths)
        shard_dir_free(L->paths, L->n_paths);
    xfree(L->doc_tok);
    xfree(L->pool);
    xfree(L->cont_id);
    xfree(L->tcont);
    xfree(L->scratch);
    xfree(L->tpos);
    xfree(L->tlab);
    pthread_cond_destroy(&L->cv_data);
    pthread_cond_destroy(&L->cv_space);
    pthread_mutex_destroy(&L->mu);
    xfree(L);
}

int loader_epoch_size(struct loader *L, int64_t e, int64_t *n, char *err)
{
    if (L->threaded)
        return bt_errf(err, BT_EUSAGE, "loader_epoch_size needs prefetch = 0");
    return sampler_epoch_size(&L->smp, e, n, err);
}

int64_t loader_forced_random(const struct loader *L)
{
    return L->smp.epoch0_forced;
}

int loader_example(struct loader *L, int64_t e, int64_t idx, struct batch *b, int i, char *err)
{
    if (L->threaded)
        return bt_errf(err, BT_EUSAGE, "loader_example needs prefetch = 0");
    struct example_ref ex;
    int rc = sampler_get(&L->smp, e, idx, &ex, err);
    return rc == BT_OK ? fill_row(L, &ex, e, idx, b, i, err) : rc;
}
