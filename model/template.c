/*
 * template.c - the FIM template table, and rendering and parsing of the
 * prompts it describes.
 *
 * This is the only place that knows a model family's sentinel tokens,
 * their order, the SentencePiece leading-space rule and the family's stop
 * strings (facts in fim-protocols.md §6).  The `openai` backend renders a
 * prompt from a row; `trawic serve` parses a raw prompt back into prefix
 * and suffix with the same row.  Nothing here talks to a server or knows
 * about tokens: a template is text, and a server that tokenizes a
 * sentinel's text as its special token is the server's business.
 *
 * BOS is never part of the text: every server path that takes a string
 * prompt (vLLM, TGI, llama.cpp /v1/completions) lets the tokenizer add
 * the model's BOS, so writing "<s>" (CodeLlama's string form) would give
 * the model two.  The `bos` column stays for a family that needs text
 * there, and is "" in every row today.
 */
#include <ctype.h>
#include <string.h>

#include "common/error.h"
#include "model/template.h"

/* Stop strings, most important first: a server that caps the number of
 * stop sequences (TGI defaults to 4, OpenAI's hosted API allows 4) should
 * keep the kind's own stop and the head of this list. */
static const char *const stops_santacoder[] = {
	"<|endoftext|>", "<fim-prefix>", "<fim-suffix>", "<fim-middle>", NULL
};
static const char *const stops_starcoder[] = {
	"<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<fim_pad>", NULL
};
static const char *const stops_starcoder2[] = {
	"<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>",
	"<fim_pad>", NULL
};
/* "<EOT>" also matches the " <EOT>" that decoding ▁<EOT> produces. */
static const char *const stops_codellama[] = { "<EOT>", "</s>", NULL };
static const char *const stops_deepseek[] = {
	"<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",	/* <｜end▁of▁sentence｜> */
	"<|EOT|>",
	"<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>",
	"<\xef\xbd\x9c" "fim\xe2\x96\x81" "hole\xef\xbd\x9c>",
	"<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>",
	NULL
};
static const char *const stops_deepseek_v2[] = {
	"<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",
	"<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>",
	"<\xef\xbd\x9c" "fim\xe2\x96\x81" "hole\xef\xbd\x9c>",
	"<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>",
	NULL
};
static const char *const stops_qwen25[] = {
	"<|endoftext|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<|im_end|>",
	"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", NULL
};
static const char *const stops_codeqwen[] = {
	"<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", NULL
};
static const char *const stops_codestral[] = { "</s>", "[PREFIX]", "[SUFFIX]", NULL };
static const char *const stops_codegemma[] = {
	"<|file_separator|>", "<eos>", "<end_of_turn>",
	"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", NULL
};
static const char *const stops_granite[] = {
	"<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>", NULL
};
static const char *const stops_stablecode[] = {
	"<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", NULL
};

#define DS_BEGIN "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>"	/* <｜fim▁begin｜> */
#define DS_HOLE "<\xef\xbd\x9c" "fim\xe2\x96\x81" "hole\xef\xbd\x9c>"	/* <｜fim▁hole｜> */
#define DS_END "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>"	/* <｜fim▁end｜> */

/*
 * Aliases are substrings of model ids (Hugging Face names, Ollama tags,
 * GGUF file names), compared case-insensitively with '_' read as '-';
 * the longest matching alias wins, so "starcoder2" beats "starcoder" and
 * "deepseek-coder-v2" beats "deepseek-coder" whatever the row order.
 * Qwen3-Coder is left out on purpose: its FIM tokens are unverified
 * (fim-protocols.md §6.1), and a wrong guess would be silent.
 */
static const trw_template table[] = {
	{ "santacoder", "santacoder", "",
	  "<fim-prefix>", "<fim-suffix>", "<fim-middle>", TRW_FIM_PSM, 0, stops_santacoder },
	{ "starcoder", "starcoder", "",
	  "<fim_prefix>", "<fim_suffix>", "<fim_middle>", TRW_FIM_PSM, 0, stops_starcoder },
	{ "starcoder2", "starcoder2", "",
	  "<fim_prefix>", "<fim_suffix>", "<fim_middle>", TRW_FIM_PSM, 0, stops_starcoder2 },
	/* Meta's string form is "<s><PRE> {prefix} <SUF>{suffix} <MID>": the
	 * spaces before <SUF> and <MID> belong to the sentinels (▁<SUF>), the
	 * one after <PRE> is the prefix's SentencePiece dummy space. */
	{ "codellama", "codellama code-llama", "",
	  "<PRE>", " <SUF>", " <MID>", TRW_FIM_PSM, 1, stops_codellama },
	{ "deepseek-coder", "deepseek-coder", "",
	  DS_BEGIN, DS_HOLE, DS_END, TRW_FIM_PSM, 0, stops_deepseek },
	{ "deepseek-coder-v2", "deepseek-coder-v2", "",
	  DS_BEGIN, DS_HOLE, DS_END, TRW_FIM_PSM, 0, stops_deepseek_v2 },
	{ "qwen2.5-coder", "qwen2.5-coder qwen2-5-coder", "",
	  "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", TRW_FIM_PSM, 0, stops_qwen25 },
	{ "codeqwen1.5", "codeqwen", "",
	  "<fim_prefix>", "<fim_suffix>", "<fim_middle>", TRW_FIM_PSM, 0, stops_codeqwen },
	/* Suffix first and no middle token: the model continues the prefix. */
	{ "codestral", "codestral", "",
	  "[PREFIX]", "[SUFFIX]", "", TRW_FIM_SPM, 1, stops_codestral },
	{ "codegemma", "codegemma", "",
	  "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", TRW_FIM_PSM, 0, stops_codegemma },
	/* IBM's ids are "granite-3b-code-base", Ollama's "granite-code:3b". */
	{ "granite-code", "granite-code granite-3b-code granite-8b-code granite-20b-code "
	  "granite-34b-code", "",
	  "<fim_prefix>", "<fim_suffix>", "<fim_middle>", TRW_FIM_PSM, 0, stops_granite },
	{ "stable-code", "stable-code stablecode", "",
	  "<fim_prefix>", "<fim_suffix>", "<fim_middle>", TRW_FIM_PSM, 0, stops_stablecode },
};

#define NROWS (sizeof(table) / sizeof(table[0]))

const trw_template *trw_template_table(size_t *count)
{
	if (count)
		*count = NROWS;
	return table;
}

const trw_template *trw_template_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < NROWS; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

static int fold(int c)
{
	return c == '_' ? '-' : tolower((unsigned char)c);
}

/* Does `hay` contain `needle[0:n]`, folded? */
static int contains_folded(const char *hay, const char *needle, size_t n)
{
	size_t hlen = strlen(hay);

	if (n == 0 || n > hlen)
		return 0;
	for (size_t i = 0; i + n <= hlen; i++) {
		size_t k = 0;

		while (k < n && fold(hay[i + k]) == fold(needle[k]))
			k++;
		if (k == n)
			return 1;
	}
	return 0;
}

const trw_template *trw_template_guess(const char *model_id)
{
	const trw_template *best = NULL;
	size_t best_len = 0;

	if (model_id == NULL)
		return NULL;
	for (size_t i = 0; i < NROWS; i++) {
		const char *a = table[i].aliases;

		while (*a) {
			size_t n = strcspn(a, " ");

			/* Strictly longer: on a tie the earlier row wins. */
			if (n > best_len && contains_folded(model_id, a, n)) {
				best = &table[i];
				best_len = n;
			}
			a += n;
			while (*a == ' ')
				a++;
		}
	}
	return best;
}

int trw_template_render(const trw_template *t, const char *prefix, size_t prefix_len,
    const char *suffix, size_t suffix_len, trw_buf *out)
{
	int error;

	if (t == NULL || out == NULL || (prefix == NULL && prefix_len) ||
	    (suffix == NULL && suffix_len))
		return trw_error_set(TRW_EINVALID, "template render: bad arguments");
	if ((error = trw_buf_puts(out, t->bos)) < 0)
		goto done;
	if (t->order == TRW_FIM_PSM) {
		if ((error = trw_buf_puts(out, t->pre)) < 0 ||
		    (t->space_before_prefix && (error = trw_buf_put(out, " ", 1)) < 0) ||
		    (error = trw_buf_put(out, prefix, prefix_len)) < 0 ||
		    (error = trw_buf_puts(out, t->suf)) < 0 ||
		    (error = trw_buf_put(out, suffix, suffix_len)) < 0)
			goto done;
	} else {
		if ((error = trw_buf_puts(out, t->suf)) < 0 ||
		    (error = trw_buf_put(out, suffix, suffix_len)) < 0 ||
		    (error = trw_buf_puts(out, t->pre)) < 0 ||
		    (t->space_before_prefix && (error = trw_buf_put(out, " ", 1)) < 0) ||
		    (error = trw_buf_put(out, prefix, prefix_len)) < 0)
			goto done;
	}
	error = trw_buf_puts(out, t->mid);
done:
	return error;
}

static const char *find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0 || nlen > hlen)
		return NULL;
	for (const char *p = hay; (size_t)(hay + hlen - p) >= nlen; p++) {
		p = memchr(p, needle[0], (size_t)(hay + hlen - p) - nlen + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, needle, nlen) == 0)
			return p;
	}
	return NULL;
}

/*
 * A prompt has three fixed parts and two free ones:
 *   PSM  head = bos pre [" "]   body = P sep S   sep = suf         tail = mid
 *   SPM  head = bos suf         body = S sep P   sep = pre [" "]   tail = mid
 * Head and tail are matched by position; the body is split at the FIRST
 * occurrence of the separator.  That is how the model reads the prompt too
 * (once it has seen the separator it is in the other part), and it makes
 * parse(render(P, S)) == (P, S) whenever the part before the separator
 * does not itself contain the separator text; in every case
 * render(parse(x)) == x.  The first-occurrence rule needs no more than
 * that because no sentinel has a border (a proper prefix that is also a
 * suffix), so an occurrence cannot straddle the end of the first part.
 */
int trw_template_parse(const trw_template *t, const char *prompt, size_t len,
    const char **prefix, size_t *prefix_len, const char **suffix, size_t *suffix_len)
{
	const char *first = t && t->order == TRW_FIM_PSM ? t->pre : t ? t->suf : NULL;
	size_t blen, flen, mlen, hlen;
	const char *body, *sep_at;
	char sep[64];
	size_t seplen;

	if (t == NULL || (prompt == NULL && len) || !prefix || !prefix_len || !suffix ||
	    !suffix_len)
		return trw_error_set(TRW_EINVALID, "template parse: bad arguments");
	blen = strlen(t->bos);
	flen = strlen(first);
	mlen = strlen(t->mid);
	hlen = blen + flen + (t->order == TRW_FIM_PSM && t->space_before_prefix ? 1 : 0);
	if (len < hlen + mlen || memcmp(prompt, t->bos, blen) != 0 ||
	    memcmp(prompt + blen, first, flen) != 0 ||
	    (hlen > blen + flen && prompt[blen + flen] != ' '))
		return trw_error_set(TRW_EINVALID, "prompt does not start like a %s FIM prompt",
		    t->name);
	if (mlen && memcmp(prompt + len - mlen, t->mid, mlen) != 0)
		return trw_error_set(TRW_EINVALID, "prompt does not end with the %s middle token",
		    t->name);

	if (t->order == TRW_FIM_PSM) {
		seplen = strlen(t->suf);
		if (seplen >= sizeof(sep))
			return trw_error_set(TRW_EINVALID, "template %s: sentinel too long", t->name);
		memcpy(sep, t->suf, seplen);
	} else {
		seplen = strlen(t->pre);
		if (seplen + 1 >= sizeof(sep))
			return trw_error_set(TRW_EINVALID, "template %s: sentinel too long", t->name);
		memcpy(sep, t->pre, seplen);
		if (t->space_before_prefix)
			sep[seplen++] = ' ';
	}
	body = prompt + hlen;
	blen = len - hlen - mlen;
	if ((sep_at = find(body, blen, sep, seplen)) == NULL)
		return trw_error_set(TRW_EINVALID, "prompt has no %s separator token", t->name);

	if (t->order == TRW_FIM_PSM) {
		*prefix = body;
		*prefix_len = (size_t)(sep_at - body);
		*suffix = sep_at + seplen;
		*suffix_len = (size_t)(body + blen - *suffix);
	} else {
		*suffix = body;
		*suffix_len = (size_t)(sep_at - body);
		*prefix = sep_at + seplen;
		*prefix_len = (size_t)(body + blen - *prefix);
	}
	return 0;
}
