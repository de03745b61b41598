/* unicode.c - see unicode.h. The only file that includes utf8proc.h.
 * ASCII is answered from a table built on first use; everything else asks
 * utf8proc's property tables. */
#include "unicode.h"

#include <utf8proc.h>

/* Class bits for code points 0..127, computed from the same rules as the
 * general case (kept as a literal so there is no lazy initialisation). */
static unsigned ascii_class(int32_t cp)
{
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r')
        return UNI_SPACE;
    if (cp < 32 || cp == 127)
        return UNI_DROP;
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
        (cp >= 123 && cp <= 126))
        return UNI_PUNCT;
    return 0;
}

static int is_cjk(int32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

unsigned uni_class(int32_t cp)
{
    if (cp < 128)
        return cp < 0 ? UNI_DROP : ascii_class(cp);
    if (cp == 0xFFFD)
        return UNI_DROP;
    if (cp == 0x2028 || cp == 0x2029)
        return UNI_SPACE;
    unsigned c = 0;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
        return UNI_DROP;
    case UTF8PROC_CATEGORY_ZS:
        return UNI_SPACE;
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        c |= UNI_PUNCT;
        break;
    case UTF8PROC_CATEGORY_MN:
        c |= UNI_MN;
        break;
    default:
        break;
    }
    if (is_cjk(cp))
        c |= UNI_CJK;
    return c;
}

int uni_is_pyspace(int32_t cp)
{
    if (cp < 128)
        return cp == ' ' || (cp >= 9 && cp <= 13) || (cp >= 0x1c && cp <= 0x1f);
    if (utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS)
        return 1;
    int b = utf8proc_get_property(cp)->bidi_class;
    return b == UTF8PROC_BIDI_CLASS_WS || b == UTF8PROC_BIDI_CLASS_B || b == UTF8PROC_BIDI_CLASS_S;
}

static int is_white_space(int32_t cp)
{
    if (cp < 0x80)
        return cp == ' ' || (cp >= 9 && cp <= 13);
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

enum uni_bpe_class uni_bpe_class(int32_t cp)
{
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
            return UNI_BPE_LETTER;
        if (cp >= '0' && cp <= '9')
            return UNI_BPE_NUMBER;
        return is_white_space(cp) ? UNI_BPE_SPACE : UNI_BPE_OTHER;
    }
    if (is_white_space(cp))
        return UNI_BPE_SPACE;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return UNI_BPE_LETTER;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return UNI_BPE_NUMBER;
    default:
        return UNI_BPE_OTHER;
    }
}

int32_t uni_decode(const unsigned char *s, size_t n, size_t *adv)
{
    *adv = 1;
    unsigned b0 = s[0];
    if (b0 < 0x80)
        return (int32_t)b0;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    int32_t cp;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        cp = (int32_t)(b0 & 0x1F);
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        cp = (int32_t)(b0 & 0x0F);
        if (b0 == 0xE0)
            lo = 0xA0;
        else if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        cp = (int32_t)(b0 & 0x07);
        if (b0 == 0xF0)
            lo = 0x90;
        else if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        return -1;
    }
    if (n < len)
        return -1;
    for (size_t i = 1; i < len; i++) {
        unsigned b = s[i];
        if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF))
            return -1;
        cp = (cp << 6) | (int32_t)(b & 0x3F);
    }
    *adv = len;
    return cp;
}

size_t uni_encode(int32_t cp, unsigned char out[4])
{
    return (size_t)utf8proc_encode_char(cp, out);
}

int uni_lower(int32_t cp, int32_t out[2])
{
    if (cp < 128) {
        out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        return 1;
    }
    if (cp == 0x130) { /* the only unconditional multi-character lowercase */
        out[0] = 'i';
        out[1] = 0x307;
        return 2;
    }
    out[0] = utf8proc_tolower(cp);
    return 1;
}

/* Decomposes each code point canonically and sorts runs of non-starters by
 * combining class (stable), which is NFD. */
size_t uni_nfd(const int32_t *in, size_t n, int32_t *out, size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t tmp[32];
        int bc = 0;
        utf8proc_ssize_t k = utf8proc_decompose_char(in[i], tmp, 32, UTF8PROC_DECOMPOSE, &bc);
        if (k < 0 || k > 32) { /* not expected for valid scalars; keep the character */
            tmp[0] = in[i];
            k = 1;
        }
        for (utf8proc_ssize_t j = 0; j < k; j++, len++)
            if (len < cap)
                out[len] = tmp[j];
    }
    if (len > cap)
        return len;
    for (size_t i = 1; i < len; i++) { /* insertion sort inside non-starter runs */
        int32_t c = out[i];
        int cc = utf8proc_get_property(c)->combining_class;
        if (cc == 0)
            continue;
        size_t j = i;
        while (j > 0) {
            int pc = utf8proc_get_property(out[j - 1])->combining_class;
            if (pc == 0 || pc <= cc)
                break;
            out[j] = out[j - 1];
            j--;
        }
        out[j] = c;
    }
    return len;
}

size_t uni_nfc(const int32_t *in, size_t n, int32_t *out, size_t cap)
{
    size_t len = uni_nfd(in, n, out, cap);
    if (len > cap || len == 0)
        return len;
    utf8proc_ssize_t k = utf8proc_normalize_utf32(out, (utf8proc_ssize_t)len,
                                                  UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    return k < 0 ? len : (size_t)k;
}

const char *uni_version(void)
{
    return utf8proc_unicode_version();
}
