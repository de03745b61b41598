/* test_common.c - common/: Philox known answers, RNG helpers, safetensors round
 * trip and its error messages, atomic file writes, JSON getters. */
#include "testutil.h"

#include "fileio.h"
#include "json_util.h"
#include "keytable.h"
#include "mem.h"
#include "rng.h"
#include "safetensors.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Known-answer vectors published with Random123 (kat_vectors, philox4x32_10). */
static void test_philox_kat(void **state)
{
    (void)state;
    static const uint32_t cases[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int c = 0; c < 3; c++) {
        uint32_t out[4];
        philox4x32(cases[c], cases[c] + 4, out);
        for (int i = 0; i < 4; i++)
            assert_int_equal(out[i], cases[c][6 + i]);
    }
}

static void test_rng_properties(void **state)
{
    (void)state;
    /* Pure function of (seed, stream, counter). */
    assert_true(rng_u64(1, 2, 3) == rng_u64(1, 2, 3));
    assert_true(rng_u64(1, 2, 3) != rng_u64(1, 2, 4));
    assert_true(rng_u64(1, 2, 3) != rng_u64(1, 3, 3));
    assert_true(rng_u64(1, 2, 3) != rng_u64(2, 2, 3));
    /* Uniform mean and range, below() range and rough uniformity. */
    double sum = 0;
    int counts[10] = {0};
    for (int i = 0; i < 100000; i++) {
        float u = rng_uniform(7, 1, (uint64_t)i);
        assert_true(u >= 0.0f && u < 1.0f);
        sum += u;
        uint64_t k = rng_below(7, 2, (uint64_t)i, 10);
        assert_true(k < 10);
        counts[k]++;
    }
    assert_true(sum / 100000 > 0.495 && sum / 100000 < 0.505);
    for (int k = 0; k < 10; k++)
        assert_true(counts[k] > 9500 && counts[k] < 10500);
    struct rng r;
    rng_init(&r, 5, 6);
    double m = 0, v = 0;
    for (int i = 0; i < 100000; i++) {
        double x = rng_next_normal(&r);
        m += x;
        v += x * x;
    }
    m /= 100000;
    v = v / 100000 - m * m;
    assert_true(m > -0.02 && m < 0.02);
    assert_true(v > 0.97 && v < 1.03);
}

static void test_safetensors_roundtrip(void **state)
{
    (void)state;
    char dir[512], path[600], err[BT_ERR_LEN];
    tu_tmpdir(dir, sizeof dir, "st");
    snprintf(path, sizeof path, "%s/a.safetensors", dir);
    float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {-1, 0.5f, 7};
    struct st_out outs[2] = {{"x.weight", 2, {2, 3}, a}, {"y", 1, {3}, b}};
    assert_int_equal(st_write_f32(path, outs, 2, err), BT_OK);

    struct st_file f;
    assert_int_equal(st_open(&f, path, err), BT_OK);
    assert_int_equal(f.n, 2);
    float ra[6], rb[3];
    int64_t sa[2] = {2, 3}, sb[1] = {3}, wrong[2] = {3, 2};
    assert_int_equal(st_read_f32(&f, "x.weight", ra, 2, sa, err), BT_OK);
    assert_int_equal(st_read_f32(&f, "y", rb, 1, sb, err), BT_OK);
    assert_memory_equal(ra, a, sizeof a);
    assert_memory_equal(rb, b, sizeof b);
    assert_int_equal(st_read_f32(&f, "x.weight", ra, 2, wrong, err), BT_EFORMAT);
    assert_non_null(strstr(err, "x.weight"));
    assert_non_null(strstr(err, "[2, 3]"));
    assert_int_equal(st_read_f32(&f, "nope", ra, 2, sa, err), BT_EFORMAT);
    assert_non_null(strstr(err, "missing tensor 'nope'"));
    /* The header carries the format metadata transformers checks. */
    assert_non_null(strstr(f.buf + 8, "\"__metadata__\":{\"format\":\"pt\"}"));
    st_close(&f);

    /* A truncated file names the tensor that no longer fits. */
    char *buf;
    size_t len;
    assert_int_equal(file_read_all(path, &buf, &len, err), BT_OK);
    assert_int_equal(file_write_atomic(path, buf, len - 4, err), BT_OK);
    xfree(buf);
    assert_int_equal(st_open(&f, path, err), BT_EFORMAT);
    assert_non_null(strstr(err, "truncated"));
    /* Not a safetensors file at all. */
    assert_int_equal(file_write_atomic(path, "hello", 5, err), BT_OK);
    assert_int_equal(st_open(&f, path, err), BT_EFORMAT);
}

static void test_json_getters(void **state)
{
    (void)state;
    char err[BT_ERR_LEN];
    const char *text = "{\"a\": 3, \"b\": 2.5, \"c\": \"x\", \"d\": true}";
    json_t *j = jsonu_loads(text, strlen(text), "t.json", err);
    assert_non_null(j);
    long long i;
    double d;
    const char *s;
    int bo;
    assert_int_equal(jsonu_get_int(j, "a", 1, &i, "t.json", err), BT_OK);
    assert_int_equal(i, 3);
    assert_int_equal(jsonu_get_num(j, "a", 1, &d, "t.json", err), BT_OK);
    assert_int_equal(jsonu_get_int(j, "b", 1, &i, "t.json", err), BT_EUSAGE);
    assert_non_null(strstr(err, "'b' must be an integer"));
    assert_int_equal(jsonu_get_str(j, "c", 1, &s, "t.json", err), BT_OK);
    assert_string_equal(s, "x");
    assert_int_equal(jsonu_get_bool(j, "d", 1, &bo, "t.json", err), BT_OK);
    assert_int_equal(jsonu_get_int(j, "zz", 0, &i, "t.json", err), 1);
    assert_int_equal(jsonu_get_int(j, "zz", 1, &i, "t.json", err), BT_EUSAGE);
    assert_non_null(strstr(err, "missing required key 'zz'"));
    json_decref(j);
    assert_null(jsonu_loads("{\"a\": }", 7, "bad.json", err));
    assert_non_null(strstr(err, "bad.json"));
}

struct kt_demo {
    long n;
    double x;
    int on;
    char mode[8], name[8];
};

static void test_keytable(void **state)
{
    (void)state;
    static const struct kt_key keys[] = {
        {"n", KT_INT, offsetof(struct kt_demo, n), 4, 1, 10, NULL, NULL, 0},
        {"x", KT_NUM, offsetof(struct kt_demo, x), 0.5, 0, 1, NULL, NULL, 1},
        {"on", KT_BOOL, offsetof(struct kt_demo, on), 1, 0, 1, NULL, NULL, 0},
        {"mode", KT_STR, offsetof(struct kt_demo, mode), 0, 0, 0, "a", "a|bb", 0},
        {"name", KT_STR, offsetof(struct kt_demo, name), 0, 0, 0, "", NULL, 0},
    };
    const struct kt_table t = {keys, 5, 8, "demo"};
    char dir[512], path[600], err[BT_ERR_LEN];
    struct kt_demo a, b;
    kt_defaults(&t, &a);
    assert_int_equal(a.n, 4);
    assert_true(a.x == 0.5 && a.on == 1 && !strcmp(a.mode, "a") && !strcmp(a.name, ""));
    tu_tmpdir(dir, sizeof dir, "kt");
    snprintf(path, sizeof path, "%s/kt.json", dir);
    const char *text = "{\"_comment\": 1, \"n\": 7, \"mode\": \"bb\", \"on\": false}";
    assert_int_equal(file_write_atomic(path, text, strlen(text), err), BT_OK);
    char *sets[] = {"x=0.25", "name=free"};
    assert_int_equal(kt_load(&t, &b, path, sets, 2, err), BT_OK);
    assert_true(b.n == 7 && b.x == 0.25 && b.on == 0 && !strcmp(b.mode, "bb") &&
                !strcmp(b.name, "free"));
    assert_true(kt_differs(&keys[0], &a, &b) && !kt_differs(&keys[0], &b, &b));
    assert_true(kt_differs(&keys[3], &a, &b));
    char *js = kt_to_json(&t, &b);
    assert_non_null(strstr(js, "\"mode\": \"bb\""));
    free(js);
    /* Each error names the key and what was expected. */
    assert_int_equal(kt_set(&t, &b, "n=2.5", err), BT_EUSAGE);
    assert_non_null(strstr(err, "n must be an integer"));
    assert_int_equal(kt_set(&t, &b, "n=11", err), BT_EUSAGE);
    assert_non_null(strstr(err, "outside [1, 10]"));
    assert_int_equal(kt_set(&t, &b, "mode=c", err), BT_EUSAGE);
    assert_non_null(strstr(err, "not one of a|bb"));
    assert_int_equal(kt_set(&t, &b, "name=eightchr", err), BT_EUSAGE);
    assert_non_null(strstr(err, "longer than 7 bytes"));
    assert_int_equal(kt_set(&t, &b, "on=maybe", err), BT_EUSAGE);
    assert_int_equal(kt_set(&t, &b, "zz=1", err), BT_EUSAGE);
    assert_non_null(strstr(err, "unknown demo key 'zz'"));
    assert_int_equal(kt_set(&t, &b, "x", err), BT_EUSAGE);
    text = "{\"x\": \"high\"}";
    assert_int_equal(file_write_atomic(path, text, strlen(text), err), BT_OK);
    assert_int_equal(kt_load(&t, &b, path, NULL, 0, err), BT_EUSAGE);
    assert_non_null(strstr(err, "x must be a number, got string"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_kat),
        cmocka_unit_test(test_rng_properties),
        cmocka_unit_test(test_safetensors_roundtrip),
        cmocka_unit_test(test_json_getters),
        cmocka_unit_test(test_keytable),
    };
    return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
