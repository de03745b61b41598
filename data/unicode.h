/* unicode.h - the Unicode facts the tokenizers need, answered from utf8proc
 * (unicode.c is the only file that includes utf8proc.h).
 *
 * Character classes follow Hugging Face's BasicTokenizer helpers:
 *   UNI_DROP   NUL, U+FFFD and every category C* except \t \n \r (_is_control)
 *   UNI_SPACE  ' ' \t \n \r, category Zs (_is_whitespace), plus U+2028/U+2029,
 *              which survive cleaning and on which Python's str.split() splits
 *   UNI_PUNCT  ASCII 33-47, 58-64, 91-96, 123-126 and categories P* (_is_punctuation)
 *   UNI_CJK    the CJK ideograph blocks of _is_chinese_char
 *   UNI_MN     category Mn (removed by accent stripping)
 * Normalisation works on code point arrays; the caller owns the buffers. */
#ifndef BT_UNICODE_H
#define BT_UNICODE_H

#include <stddef.h>
#include <stdint.h>

enum {
    UNI_DROP = 1 << 0,
    UNI_SPACE = 1 << 1,
    UNI_PUNCT = 1 << 2,
    UNI_CJK = 1 << 3,
    UNI_MN = 1 << 4,
};

/* Class bits of a code point (0 for ordinary letters, digits, symbols...). */
unsigned uni_class(int32_t cp);

/* Python's str.isspace() for one character (category Zs or bidirectional
 * class WS, B, S): what str.strip() removes when deciding a line is blank. */
int uni_is_pyspace(int32_t cp);

/* Decodes one well-formed UTF-8 sequence at s[0..n) (Unicode table 3-7:
 * no overlongs, no surrogates, <= U+10FFFF). Returns the code point and sets
 * *adv to its length, or returns -1 with *adv = 1 for an ill-formed byte. */
int32_t uni_decode(const unsigned char *s, size_t n, size_t *adv);
/* Writes the UTF-8 form of cp (valid scalar value) to out; returns 1..4. */
size_t uni_encode(int32_t cp, unsigned char out[4]);

/* Full lowercase mapping of Python's str.lower() for one character: writes 1
 * or 2 code points (U+0130 -> "i" U+0307) and returns the count. */
int uni_lower(int32_t cp, int32_t out[2]);

/* Canonical decomposition with canonical ordering (NFD) of in[0..n) into out.
 * Returns the length of the result; out is valid only when that is <= cap. */
size_t uni_nfd(const int32_t *in, size_t n, int32_t *out, size_t cap);
/* NFC: NFD followed by canonical composition; same buffer contract. */
size_t uni_nfc(const int32_t *in, size_t n, int32_t *out, size_t cap);

/* Classes of GPT-2's pre-tokenizer regex (byte-level BPE, bpe.h), as Python's
 * `regex` module answers them: \p{L} (categories L*), \p{N} (N*), \s (the
 * Unicode White_Space property), anything else. */
enum uni_bpe_class { UNI_BPE_OTHER, UNI_BPE_LETTER, UNI_BPE_NUMBER, UNI_BPE_SPACE };
enum uni_bpe_class uni_bpe_class(int32_t cp);

/* Version string of the Unicode data in use (for messages and docs). */
const char *uni_version(void);

#endif
