/*
 * ref.c - the embedded reference model: an n-gram fill-in-the-middle model
 * that trawic builds from repositories, so that the whole pipeline runs
 * offline against a model whose training set is known exactly.
 *
 * Tokenizer.  Stateless and byte-exact: a token is a run of whitespace, an
 * identifier ([A-Za-z_$0-9] and every byte >= 0x80, so UTF-8 letters stay
 * whole), a number, a multi-character operator from a short list ("""
 * ''' ** // == != <= >= -> => := :: && || += ..., the C comment markers)
 * or any other single byte.  Strings and comments are not special: their
 * contents fall into words, spaces and punctuation like the rest of the
 * code.  Tokens are
 * at most 128 bytes (cut at a UTF-8 character boundary).  Because no token
 * but whitespace contains whitespace, the position where a whitespace run
 * starts is always a token boundary; the model therefore tokenizes only
 * the last few hundred bytes of a prefix, from such a point, and gets the
 * same tokens the whole file would give.
 *
 * Index.  The corpus is one stream of token ids (files separated by an
 * end-of-text token, id 0; ids are ranked by frequency, so "smallest id"
 * means "most frequent token").  The build sorts the stream's positions by
 * their next N tokens (LSD radix sort) and reads every context of 1..N-1
 * tokens and its followers off the sorted order.  A context of k tokens
 * is stored only when its most recent k-1 tokens (the next shorter
 * context) have two followers or more: otherwise its only follower is
 * already known from the shorter context, and the longer one would repeat
 * it (this halves the table without changing any greedy decision).
 * Stored contexts go into an open-addressed hash table of 8-byte slots (a
 * 29-bit fingerprint and the length; a position in the stream for a
 * context seen once, or an index into a table of (position, count,
 * follower list)); a lookup is verified against the stream, so hash
 * collisions never give a wrong answer.  Follower lists
 * hold (token, count) pairs by decreasing count; a list of more than 16
 * keeps only its best 16 so, followed by all its pairs by token (to find
 * any follower's count).  The file is written once, atomically, and memory-mapped
 * read-only; every number in it is a little-endian fixed-width integer at
 * an explicit offset, and the header carries the SHA-256 of the payload,
 * checked at open; the model's identity is the SHA-256 of the header (so
 * of the whole file).  The same specs at the same revisions give the same
 * file, byte for byte (nothing time-dependent is stored).
 *
 * File layout (version 1): a 320-byte header, then sections at 64-byte
 * aligned offsets:
 *   0 magic "TRWREF1\0"   8 u32 version   12 u32 header size   16 u32 order
 *   20 u32 flags (0)      24 u64 file size   32 u64 stream tokens
 *   40 u64 vocabulary     48 u64 files       56 u64 corpus bytes
 *   64 u64 contexts       72 u64 slots       80 u64 records     88 u64 list words
 *   96 u64 vocabulary hash slots             104 reserved
 *   112 ten sections, each (u64 offset, u64 size): token offsets (u32, V+1),
 *       token bytes, token flags (u8), vocabulary hash (u32 id+1),
 *       unigram counts (u32), stream (u32), context slots (u32 key, u32
 *       value), records (u32 position, count, list), follower lists (u32),
 *       provenance (JSON text)
 *   272 SHA-256 of bytes [320, file size)    304 reserved (zero)
 *
 * Decoding.  Greedy: the most frequent follower of the longest stored
 * context that ends the text so far (the prefix's last N-1 tokens, then
 * what was generated; found by a binary search on the length, since a
 * context is stored only if all shorter ones are), backing off to shorter
 * contexts when no follower may be used.  The suffix is used twice.  For
 * the first token, which decides what the middle is, the model takes the
 * most frequent few followers and prefers the one after which the
 * training data runs on into the suffix's first tokens the longest (each
 * step checked against the longest stored context), then the most
 * frequent; later ties go to a follower the training data shows followed
 * by the suffix's first token, then to the smallest id.  And generation
 * ends before the suffix's first token.  The first token is never the end
 * of text, the suffix's first token, or a token the stop rule would cut to
 * nothing (a name starts with an identifier token): the masked middle is
 * never empty.  Generation also ends at the end of text, at the stop rule
 * (the text is cut there) or at the budget (default 128 tokens).
 * Log-probabilities are Witten-Bell interpolated over every stored context
 * length, down to an add-one unigram: a normalized distribution, so each
 * value is <= 0.  With temperature > 0 the token is drawn (seeded by
 * decoding.seed, so still reproducible) from the best followers of the
 * longest context, counts raised to 1/temperature, cut to top_p.
 *
 * Not done here: windows (the probe cuts them), caching (the engine), and
 * any notion of which language a file is in: the tokenizer is the same for
 * all of them.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/util.h"
#include "model/ref.h"

#define REF_MAGIC	"TRWREF1"	/* with its NUL, 8 bytes */
#define REF_VERSION	1
#define HDR_SIZE	320
#define HDR_SECTIONS	112
#define HDR_DIGEST	272
#define ALIGN		64
#define MAX_ORDER	8
#define TOK_MAX		128
#define SEP		0u		/* end of text between files */
#define UNK		0xffffffffu	/* a query token the corpus never had */
#define EXT_FLAG	0x80000000u
#define NO_LIST		0xffffffffu
#define LONG_LIST	16		/* longer lists: the best 16, then all by token */
#define MAX_TIES	8
#define MAX_BRIDGE	8		/* first-token candidates checked against the suffix */
#define DEFAULT_BUDGET	128
#define MAX_BUDGET	4096
#define NOMINAL_CONTEXT	2048
#define MAX_STREAM	0x7ffffff0u

/* token flags */
#define F_IDENT	1	/* only identifier bytes: may continue a name */
#define F_NL	2	/* contains a newline */

enum {
	S_VOFF, S_VBYTES, S_VFLAGS, S_VHASH, S_UNI, S_STREAM, S_SLOTS, S_EXT,
	S_FOL, S_META, S__COUNT
};

static const char *const section_names[S__COUNT] = {
	"token offsets", "token bytes", "token flags", "vocabulary hash",
	"unigram counts", "stream", "context slots", "records",
	"follower lists", "provenance"
};

struct trw_refmodel {
	unsigned char *map;
	size_t size;
	unsigned order;
	uint64_t n, V, ncontexts, nslots, next, nfolw, vslots, files, corpus_bytes;
	const uint32_t *voff;
	const unsigned char *vbytes;
	const unsigned char *vflags;
	const uint32_t *vhash;
	const uint32_t *uni;
	const uint32_t *T;
	const uint32_t *slots;
	const uint32_t *ext;
	const uint32_t *fol;
	const char *meta;
	size_t meta_len;
	char identity[64];
};

/* ---- tokenizer ------------------------------------------------------- */

enum { C_WS = 1, C_ID = 2, C_DIG = 4 };

static unsigned char cls[256];

static void cls_init(void)
{
	for (int c = 0; c < 256; c++) {
		unsigned char v = 0;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
			v = C_WS;
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		    c == '$' || c >= 0x80)
			v = C_ID;
		else if (c >= '0' && c <= '9')
			v = C_DIG;
		cls[c] = v;
	}
}

static pthread_once_t cls_once = PTHREAD_ONCE_INIT;

static size_t op_len(const unsigned char *s, size_t n)
{
	unsigned char a = s[0], b = n > 1 ? s[1] : 0, c = n > 2 ? s[2] : 0;

	switch (a) {
	case '"': case '\'':
		return b == a && c == a ? 3 : 1;
	case '*':
		if (b == '*')
			return c == '=' ? 3 : 2;
		return b == '=' || b == '/' ? 2 : 1;
	case '/':
		if (b == '/')
			return c == '=' ? 3 : 2;
		return b == '=' || b == '*' ? 2 : 1;
	case '<': case '>':
		if (b == a)
			return c == '=' ? 3 : 2;
		return b == '=' ? 2 : 1;
	case '.':
		return b == '.' && c == '.' ? 3 : 1;
	case '=':
		if (b == '=')
			return c == '=' ? 3 : 2;
		return b == '>' ? 2 : 1;
	case '!':
		if (b == '=')
			return c == '=' ? 3 : 2;
		return 1;
	case '-':
		return b == '>' || b == '=' || b == '-' ? 2 : 1;
	case '+':
		return b == '=' || b == '+' ? 2 : 1;
	case '&': case '|':
		return b == '=' || b == a ? 2 : 1;
	case '%': case '^':
		return b == '=' ? 2 : 1;
	case ':':
		return b == '=' || b == ':' ? 2 : 1;
	default:
		return 1;
	}
}

static size_t token_len(const unsigned char *s, size_t n)
{
	unsigned char k = cls[s[0]];
	size_t i = 1;

	if (k == C_WS) {
		while (i < n && cls[s[i]] == C_WS)
			i++;
	} else if (k == C_ID) {
		while (i < n && (cls[s[i]] & (C_ID | C_DIG)))
			i++;
	} else if (k == C_DIG) {
		int hex = n > 1 && (s[1] == 'x' || s[1] == 'X') && s[0] == '0';

		while (i < n) {
			unsigned char c = s[i];

			if (cls[c] & (C_ID | C_DIG))
				i++;
			else if (c == '.' && i + 1 < n && cls[s[i + 1]] == C_DIG)
				i += 2;
			else if ((c == '+' || c == '-') && !hex && (s[i - 1] == 'e' || s[i - 1] == 'E') &&
			    i + 1 < n && cls[s[i + 1]] == C_DIG)
				i += 2;
			else
				break;
		}
	} else {
		return op_len(s, n);
	}
	if (i > TOK_MAX) {
		/* cut long runs, never inside a UTF-8 character */
		i = TOK_MAX;
		while (i > 1 && (s[i] & 0xc0) == 0x80)
			i--;
	}
	return i;
}

size_t trw_refmodel__token_len(const char *text, size_t len)
{
	pthread_once(&cls_once, cls_init);
	if (!text || len == 0)
		return 0;
	return token_len((const unsigned char *)text, len);
}

static unsigned token_flags(const unsigned char *s, size_t len)
{
	unsigned f = F_IDENT;

	for (size_t i = 0; i < len; i++) {
		if (!(cls[s[i]] & (C_ID | C_DIG)))
			f &= ~(unsigned)F_IDENT;
		if (s[i] == '\n')
			f |= F_NL;
	}
	return len ? f : 0;
}

/* ---- hashing ---------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t bytes_hash(const unsigned char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return mix64(h ^ len);
}

/* A context is hashed from its most recent token backwards, so the hashes
 * of all the contexts that end at one point come from one pass. */
#define CTX_SEED 0x2545f4914f6cdd1dull

static inline uint64_t ctx_round(uint64_t s, uint32_t tok)
{
	s ^= tok;
	s *= 0x9e3779b97f4a7c15ull;
	return s ^ (s >> 32);
}

static inline uint64_t ctx_final(uint64_t s, unsigned k)
{
	return mix64(s + k);
}

static inline uint32_t slot_key(uint64_t h, unsigned k)
{
	return ((uint32_t)(h >> 32) & ~7u) | k;
}

static inline uint64_t slot_index(uint64_t h, uint64_t nslots)
{
	return ((h & 0xffffffffull) * nslots) >> 32;
}

/* ---- little-endian helpers --------------------------------------------- */

static inline uint32_t rd32(const uint32_t *p)
{
	return le32toh(*p);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- build: vocabulary and stream --------------------------------------- */

typedef struct vtok {
	uint64_t off;		/* into the arena */
	uint32_t hash;
	uint32_t len;
	uint32_t count;
} vtok;

typedef struct builder {
	uint32_t *vslots;	/* provisional id + 1 */
	size_t vmask;
	vtok *toks;
	size_t ntoks, ctoks;
	unsigned char *arena;
	size_t alen, acap;
	uint32_t *T;
	size_t n, cap;
	uint64_t files, bytes;
	trw_buf sources, filelist;
	int error;
} builder;

/*
 * The build's big arrays are read and written at random (positions sorted
 * by what follows them): on huge pages they cost far fewer TLB misses and
 * page faults.  Zero-filled, like calloc.
 */
typedef struct big {
	void *p;
	size_t size;
} big;

#define BIG_PAGE (2u << 20)

static void *big_alloc(big *b, size_t size)
{
	b->size = (size + BIG_PAGE - 1) / BIG_PAGE * BIG_PAGE;
	if (b->size == 0)
		b->size = BIG_PAGE;
	b->p = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->p == MAP_FAILED) {
		b->p = NULL;
		trw_error_oom();
		return NULL;
	}
#ifdef MADV_HUGEPAGE
	madvise(b->p, b->size, MADV_HUGEPAGE);	/* advice only: fine if refused */
#endif
	return b->p;
}

static void big_free(big *b)
{
	if (b->p)
		munmap(b->p, b->size);
	b->p = NULL;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 1024;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if ((q = realloc(*p, c * elem)) == NULL)
		return trw_error_oom();
	*p = q;
	*cap = c;
	return 0;
}

static int vocab_rehash(builder *b, size_t nslots)
{
	uint32_t *s = calloc(nslots, sizeof(*s));

	if (!s)
		return trw_error_oom();
	for (size_t id = 1; id < b->ntoks; id++) {
		size_t i = b->toks[id].hash & (nslots - 1);

		while (s[i])
			i = (i + 1) & (nslots - 1);
		s[i] = (uint32_t)id + 1;
	}
	free(b->vslots);
	b->vslots = s;
	b->vmask = nslots - 1;
	return 0;
}

static int intern(builder *b, const unsigned char *s, size_t len, uint32_t *out)
{
	uint64_t h = bytes_hash(s, len);
	size_t i = (uint32_t)h & b->vmask;
	int error;

	for (;;) {
		uint32_t v = b->vslots[i];
		vtok *t;

		if (!v)
			break;
		t = &b->toks[v - 1];
		if (t->hash == (uint32_t)h && t->len == len && memcmp(b->arena + t->off, s, len) == 0) {
			t->count++;
			*out = v - 1;
			return 0;
		}
		i = (i + 1) & b->vmask;
	}
	if ((error = grow((void **)&b->toks, &b->ctoks, b->ntoks + 1, sizeof(vtok))) < 0 ||
	    (error = grow((void **)&b->arena, &b->acap, b->alen + len, 1)) < 0)
		return error;
	memcpy(b->arena + b->alen, s, len);
	b->toks[b->ntoks] = (vtok){ b->alen, (uint32_t)h, (uint32_t)len, 1 };
	b->alen += len;
	b->vslots[i] = (uint32_t)b->ntoks + 1;
	*out = (uint32_t)b->ntoks++;
	if (b->ntoks * 2 > b->vmask + 1)
		return vocab_rehash(b, (b->vmask + 1) * 2);
	return 0;
}

static int push_token(builder *b, uint32_t id)
{
	int error;

	if (b->n >= MAX_STREAM)
		return trw_error_set(TRW_EINVALID, "corpus too large for a reference model "
		    "(more than %u tokens)", MAX_STREAM);
	if ((error = grow((void **)&b->T, &b->cap, b->n + 1, sizeof(uint32_t))) < 0)
		return error;
	b->T[b->n++] = id;
	return 0;
}

/* JSON string into a buffer; bytes of a path that is not UTF-8 are written
 * as \u00XX (lossy, but the file stays valid JSON). */
static int json_put(trw_buf *o, const char *s, size_t len)
{
	int utf8 = trw_utf8_valid(s, len), error;

	if ((error = trw_buf_put(o, "\"", 1)) < 0)
		return error;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			error = trw_buf_printf(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
			error = trw_buf_printf(o, "\\u%04x", c);
		else
			error = trw_buf_put(o, s + i, 1);
		if (error < 0)
			return error;
	}
	return trw_buf_put(o, "\"", 1);
}

typedef struct walk {
	builder *b;
	uint64_t files;
} walk;

static int on_file(const trw_file *file, void *payload)
{
	walk *w = payload;
	builder *b = w->b;
	const unsigned char *s = (const unsigned char *)file->bytes;
	size_t len = (size_t)file->size, i = 0;
	uint32_t id;
	int error;

	if (file->skipped != TRW_SKIP_NONE || !file->bytes)
		return 0;
	while (i < len) {
		size_t l = token_len(s + i, len - i);

		if ((error = intern(b, s + i, l, &id)) < 0 || (error = push_token(b, id)) < 0)
			goto fail;
		i += l;
	}
	if ((error = push_token(b, SEP)) < 0)
		goto fail;
	b->toks[SEP].count++;
	if ((error = trw_buf_puts(&b->filelist, b->files ? ",{\"path\":" : "{\"path\":")) < 0 ||
	    (error = json_put(&b->filelist, file->path, strlen(file->path))) < 0 ||
	    (error = trw_buf_printf(&b->filelist, ",\"blob\":\"%s\"}", file->blob)) < 0)
		goto fail;
	b->files++;
	b->bytes += len;
	w->files++;
	return 0;
fail:
	b->error = error;
	return 1;
}

/* ---- build: index ------------------------------------------------------- */

typedef struct rec {
	uint64_t h;
	uint32_t val;
	uint32_t k;
} rec;

typedef struct index_build {
	big mT, msa, mmask, mslots;
	unsigned order;
	uint32_t *T;		/* final ids */
	size_t n, V;
	uint32_t *uni;
	uint32_t *sa;
	unsigned char *mask;	/* bit k: the k-token context at this position has >= 2 followers */
	rec *recs;
	size_t nrecs, crecs;
	uint32_t *ext;
	size_t next3, cext;	/* in words */
	uint32_t *fol;
	size_t nfol, cfol;
	uint32_t *slots;
	size_t nslots;
} index_build;

static int cmp_vocab(const void *a, const void *b, void *arg)
{
	const builder *bd = arg;
	const vtok *x = &bd->toks[*(const uint32_t *)a], *y = &bd->toks[*(const uint32_t *)b];
	size_t l = x->len < y->len ? x->len : y->len;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if ((c = memcmp(bd->arena + x->off, bd->arena + y->off, l)) != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static inline uint32_t key_at(const uint32_t *T, size_t n, size_t p, unsigned j)
{
	return p + j < n ? T[p + j] : SEP;
}

/* Positions sorted by their next `order` tokens: LSD radix sort, one
 * stable counting pass per token.  Each pass's histogram is the unigram
 * histogram shifted, so it costs no extra read of the stream. */
static int sort_positions(index_build *ib)
{
	size_t n = ib->n, V = ib->V;
	uint32_t *tmp = NULL, *cnt = NULL;
	big mtmp = { NULL, 0 };
	int error = 0;

	ib->sa = big_alloc(&ib->msa, n * sizeof(uint32_t));
	tmp = big_alloc(&mtmp, n * sizeof(uint32_t));
	cnt = malloc(V * sizeof(uint32_t));
	if (!ib->sa || !tmp || !cnt) {
		error = trw_error_oom();
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		ib->sa[i] = (uint32_t)i;
	for (int j = (int)ib->order - 1; j >= 0; j--) {
		size_t jj = (size_t)j < n ? (size_t)j : n;
		uint32_t sum = 0;
		uint32_t *t;

		memcpy(cnt, ib->uni, V * sizeof(uint32_t));
		for (size_t q = 0; q < jj; q++)
			cnt[ib->T[q]]--;
		cnt[SEP] += (uint32_t)jj;
		for (size_t v = 0; v < V; v++) {
			uint32_t c = cnt[v];

			cnt[v] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++) {
			uint32_t p = ib->sa[i];

			/* a gather from the whole stream: ask for it early */
			if (i + 32 < n)
				__builtin_prefetch(ib->T + ib->sa[i + 32] + j);
			tmp[cnt[key_at(ib->T, n, p, (unsigned)j)]++] = p;
		}
		t = ib->sa;
		ib->sa = tmp;
		tmp = t;
		{
			big bt = ib->msa;

			ib->msa = mtmp;
			mtmp = bt;
		}
	}
done:
	big_free(&mtmp);
	free(cnt);
	return error;
}

/* The context group open at one level while the sorted rows are walked. */
typedef struct group {
	size_t count;		/* rows so far */
	uint32_t pos;		/* the first row's position in the stream */
	int keep;		/* valid and not redundant: emit it */
	uint64_t h;		/* its hash, when kept */
	uint32_t *pairs;	/* (follower, count) by increasing follower, when kept */
	size_t np, cap;
	uint32_t nfol;		/* distinct followers (first walk) */
	size_t lo;		/* first row (first walk) */
} group;

static int add_rec(index_build *ib, uint64_t h, unsigned k, uint32_t val)
{
	int error;

	if ((error = grow((void **)&ib->recs, &ib->crecs, ib->nrecs + 1, sizeof(rec))) < 0)
		return error;
	ib->recs[ib->nrecs++] = (rec){ h, val, k };
	return 0;
}

/* Emit a kept context: a position for one seen once, else a record with
 * its count and, when it has several followers, its follower list. */
static int emit_group(index_build *ib, const group *g, unsigned k)
{
	size_t nfol = g->np, ntop;
	uint32_t val, *top;
	int error;

	if (g->count == 1)
		return add_rec(ib, g->h, k, g->pos);
	if ((error = grow((void **)&ib->ext, &ib->cext, ib->next3 + 3, sizeof(uint32_t))) < 0)
		return error;
	val = EXT_FLAG | (uint32_t)(ib->next3 / 3);
	ib->ext[ib->next3++] = g->pos;
	ib->ext[ib->next3++] = (uint32_t)g->count;
	if (nfol == 1) {
		ib->ext[ib->next3++] = NO_LIST;
		return add_rec(ib, g->h, k, val);
	}
	ib->ext[ib->next3++] = (uint32_t)ib->nfol;
	if ((error = grow((void **)&ib->fol, &ib->cfol, ib->nfol + 1 + 2 * LONG_LIST + 2 * nfol,
	    sizeof(uint32_t))) < 0)
		return error;
	ib->fol[ib->nfol++] = (uint32_t)nfol;
	ntop = nfol > LONG_LIST ? LONG_LIST : nfol;
	top = ib->fol + ib->nfol;
	/* the best `ntop` by count, then token: an insertion into a short
	 * sorted array (pairs come by increasing token, so on equal counts
	 * the one already there stays first) */
	for (size_t i = 0, have = 0; i < nfol; i++) {
		uint32_t t = g->pairs[2 * i], c = g->pairs[2 * i + 1];
		size_t j;

		if (have == ntop && c <= top[2 * (ntop - 1) + 1])
			continue;
		j = have < ntop ? have++ : ntop - 1;
		while (j > 0 && top[2 * (j - 1) + 1] < c) {
			top[2 * j] = top[2 * (j - 1)];
			top[2 * j + 1] = top[2 * (j - 1) + 1];
			j--;
		}
		top[2 * j] = t;
		top[2 * j + 1] = c;
	}
	ib->nfol += 2 * ntop;
	if (nfol > LONG_LIST) {
		memcpy(ib->fol + ib->nfol, g->pairs, 2 * nfol * sizeof(uint32_t));
		ib->nfol += 2 * nfol;
	}
	return add_rec(ib, g->h, k, val);
}

/*
 * Walk the sorted rows once, all context lengths at a time: rows that
 * share their first k tokens form the group of one k-token context, and
 * within it each run of equal (k+1)-th tokens is one follower.  Every
 * row's tokens are read once per walk, from one place in the stream.
 *
 * The first walk (emit == 0) marks, for each position, the lengths at
 * which the context starting there has two followers or more.  The second
 * uses those marks to drop redundant contexts and emits the rest: a
 * k-token context is kept when the (k-1)-token context that ends with it
 * (its last k-1 tokens) has several followers.
 */
static int walk_groups(index_build *ib, int emit)
{
	size_t n = ib->n;
	unsigned N = ib->order, K = N - 1;
	uint32_t prev[MAX_ORDER], cur[MAX_ORDER];
	group g[MAX_ORDER];
	int error = 0;

	memset(g, 0, sizeof(g));
	for (size_t i = 0; i <= n; i++) {
		unsigned l = 0, e = 0;
		uint32_t p = 0;

		if (i < n) {
			p = ib->sa[i];
			/* rows jump around the stream: ask for the next ones early */
			if (i + 32 < n) {
				__builtin_prefetch(ib->T + ib->sa[i + 32]);
				if (emit)
					__builtin_prefetch(ib->mask + ib->sa[i + 32] + 1);
			}
			for (unsigned j = 0; j < N; j++)
				cur[j] = key_at(ib->T, n, p, j);
			while (e < N && cur[e] != SEP)
				e++;
			if (i)
				while (l < N && cur[l] == prev[l])
					l++;
		}
		for (unsigned k = 1; k <= K; k++) {
			group *G = &g[k];

			/* close the group of level k that ends before this row */
			if (i > 0 && (i == n || l < k)) {
				if (!emit) {
					if (G->keep && G->nfol >= 2)
						for (size_t r = G->lo; r < i; r++)
							ib->mask[ib->sa[r]] |= (unsigned char)(1u << k);
				} else if (G->keep && (error = emit_group(ib, G, k)) < 0) {
					goto done;
				}
			}
			if (i == n)
				continue;
			if (i == 0 || l < k) {
				/* a row with k tokens before an end of text has a
				 * follower: the stream ends with an end of text */
				G->keep = e >= k;
				G->count = 1;
				G->pos = p;
				G->lo = i;
				G->nfol = 1;
				if (emit && G->keep && k > 1)
					G->keep = (ib->mask[p + 1] >> (k - 1)) & 1;
				if (emit && G->keep) {
					uint64_t st = CTX_SEED;

					for (int j = (int)k - 1; j >= 0; j--)
						st = ctx_round(st, cur[j]);
					G->h = ctx_final(st, k);
					G->np = 0;
				}
			} else {
				G->count++;
				if (l == k)
					G->nfol++;
			}
			if (emit && G->keep) {
				if (G->count == 1 || l == k) {
					if ((error = grow((void **)&G->pairs, &G->cap, 2 * G->np + 2,
					    sizeof(uint32_t))) < 0)
						goto done;
					G->pairs[2 * G->np] = cur[k];
					G->pairs[2 * G->np + 1] = 0;
					G->np++;
				}
				G->pairs[2 * G->np - 1]++;
			}
		}
		memcpy(prev, cur, sizeof(prev));
	}
done:
	for (unsigned k = 0; k < MAX_ORDER; k++)
		free(g[k].pairs);
	return error;
}

static int build_index(index_build *ib)
{
	int error;

	if ((error = sort_positions(ib)) < 0)
		return error;
	if ((ib->mask = big_alloc(&ib->mmask, ib->n + 1)) == NULL)
		return trw_error_oom();
	if ((error = walk_groups(ib, 0)) < 0 || (error = walk_groups(ib, 1)) < 0)
		return error;
	/* the final table, at a load of at most 3/4 */
	ib->nslots = ib->nrecs + ib->nrecs / 3 + 16;
	if ((ib->slots = big_alloc(&ib->mslots, 2 * ib->nslots * sizeof(uint32_t))) == NULL)
		return trw_error_oom();
	{
		/* Records go in by region of the table (a counting sort on the
		 * slot's top bits), so that insertion walks the table instead
		 * of jumping around it. */
		size_t nb = 4096, *start = calloc(2 * nb + 1, sizeof(size_t)), *next;
		rec *sorted = ib->recs;

		if (!start)
			return trw_error_oom();
		next = start + nb + 1;
		for (size_t r = 0; r < ib->nrecs; r++)
			start[slot_index(ib->recs[r].h, nb) + 1]++;
		for (size_t b = 0; b < nb; b++) {
			start[b + 1] += start[b];
			next[b] = start[b];
		}
		/* in place: each record is swapped into its bucket's next free row */
		for (size_t b = 0; b < nb; b++)
			while (next[b] < start[b + 1]) {
				size_t to = slot_index(sorted[next[b]].h, nb);

				if (to == b) {
					next[b]++;
				} else {
					rec t = sorted[next[to]];

					sorted[next[to]++] = sorted[next[b]];
					sorted[next[b]] = t;
				}
			}
		free(start);
		for (size_t r = 0; r < ib->nrecs; r++) {
			size_t i = slot_index(sorted[r].h, ib->nslots);

			while (ib->slots[2 * i])
				i = i + 1 == ib->nslots ? 0 : i + 1;
			ib->slots[2 * i] = slot_key(sorted[r].h, sorted[r].k);
			ib->slots[2 * i + 1] = sorted[r].val;
		}
	}
	return 0;
}

static void index_build_dispose(index_build *ib)
{
	big_free(&ib->mT);
	free(ib->uni);
	big_free(&ib->msa);
	big_free(&ib->mmask);
	free(ib->recs);
	free(ib->ext);
	free(ib->fol);
	big_free(&ib->mslots);
}

/* ---- build: writing the file ------------------------------------------ */

typedef struct writer {
	int fd;
	EVP_MD_CTX *md;
	unsigned char *buf;
	size_t used;
	uint64_t off;		/* bytes of payload written, header included */
} writer;

#define WBUF (1u << 20)

static int w_flush(writer *w)
{
	size_t done = 0;

	if (w->used && EVP_DigestUpdate(w->md, w->buf, w->used) != 1)
		return trw_error_set(TRW_ERROR, "sha256 failed");
	while (done < w->used) {
		ssize_t r = write(w->fd, w->buf + done, w->used - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return trw_error_set(TRW_EIO, "writing the model failed: %s", strerror(errno));
		done += (size_t)r;
	}
	w->used = 0;
	return 0;
}

static int w_put(writer *w, const void *data, size_t len)
{
	const unsigned char *p = data;
	int error;

	while (len) {
		size_t k = WBUF - w->used < len ? WBUF - w->used : len;

		memcpy(w->buf + w->used, p, k);
		w->used += k;
		w->off += k;
		p += k;
		len -= k;
		if (w->used == WBUF && (error = w_flush(w)) < 0)
			return error;
	}
	return 0;
}

static int w_u32s(writer *w, const uint32_t *a, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return w_put(w, a, n * sizeof(uint32_t));
#else
	int error;

	for (size_t i = 0; i < n; i++) {
		unsigned char b[4];

		put32(b, a[i]);
		if ((error = w_put(w, b, 4)) < 0)
			return error;
	}
	return 0;
#endif
}

static int w_align(writer *w)
{
	static const unsigned char zero[ALIGN];

	return w_put(w, zero, (ALIGN - w->off % ALIGN) % ALIGN);
}

typedef struct section {
	uint64_t off, size;
} section;

static int write_model(const char *path, const index_build *ib, const builder *b,
    const uint32_t *remap_arena_off, const unsigned char *vbytes, size_t vbytes_len,
    const char *meta, size_t meta_len, trw_refmodel_stats *st)
{
	unsigned char hdr[HDR_SIZE], digest[32];
	section sec[S__COUNT];
	writer w = { -1, NULL, NULL, 0, 0 };
	char *tmp = NULL;
	uint32_t *vhash = NULL;
	unsigned char *vflags = NULL;
	size_t V = ib->V, vslots = 16, plen = strlen(path);
	unsigned int dlen = 0;
	int error = 0;

	while (vslots < 2 * V)
		vslots *= 2;
	vhash = calloc(vslots, sizeof(uint32_t));
	vflags = malloc(V);
	w.buf = malloc(WBUF);
	w.md = EVP_MD_CTX_new();
	tmp = malloc(plen + 16);
	if (!vhash || !vflags || !w.buf || !w.md || !tmp) {
		error = trw_error_oom();
		goto done;
	}
	for (size_t id = 0; id < V; id++) {
		const unsigned char *s = vbytes + remap_arena_off[id];
		size_t len = remap_arena_off[id + 1] - remap_arena_off[id];
		size_t i;

		vflags[id] = (unsigned char)token_flags(s, len);
		if (id == SEP)
			continue;
		i = bytes_hash(s, len) & (vslots - 1);
		while (vhash[i])
			i = (i + 1) & (vslots - 1);
		vhash[i] = (uint32_t)id + 1;
	}

	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", 12);
	if ((w.fd = mkstemp(tmp)) < 0) {
		int e = errno;
		const char *slash = strrchr(path, '/');

		if (e == ENOENT && slash)
			error = trw_error_set(TRW_ENOTFOUND, "cannot write '%s': directory '%.*s' does not exist",
			    path, (int)(slash - path) ? (int)(slash - path) : 1, path);
		else
			error = trw_error_set(e == ENOENT ? TRW_ENOTFOUND : TRW_EIO,
			    "cannot write '%s': %s", path, strerror(e));
		free(tmp);
		tmp = NULL;
		goto done;
	}
	if (fchmod(w.fd, 0644) < 0 || EVP_DigestInit_ex(w.md, EVP_sha256(), NULL) != 1) {
		error = trw_error_set(TRW_EIO, "cannot prepare '%s': %s", tmp, strerror(errno));
		goto done;
	}
	/* the header is written last; the payload is hashed as it goes */
	memset(hdr, 0, sizeof(hdr));
	w.off = HDR_SIZE;
	if (lseek(w.fd, HDR_SIZE, SEEK_SET) < 0) {
		error = trw_error_set(TRW_EIO, "cannot seek in '%s': %s", tmp, strerror(errno));
		goto done;
	}
#define SECTION(i, stmt) do { \
		if ((error = w_align(&w)) < 0) goto done; \
		sec[i].off = w.off; \
		if ((error = (stmt)) < 0) goto done; \
		sec[i].size = w.off - sec[i].off; \
	} while (0)
	SECTION(S_VOFF, w_u32s(&w, remap_arena_off, V + 1));
	SECTION(S_VBYTES, w_put(&w, vbytes, vbytes_len));
	SECTION(S_VFLAGS, w_put(&w, vflags, V));
	SECTION(S_VHASH, w_u32s(&w, vhash, vslots));
	SECTION(S_UNI, w_u32s(&w, ib->uni, V));
	SECTION(S_STREAM, w_u32s(&w, ib->T, ib->n));
	SECTION(S_SLOTS, w_u32s(&w, ib->slots, 2 * ib->nslots));
	SECTION(S_EXT, w_u32s(&w, ib->ext, ib->next3));
	SECTION(S_FOL, w_u32s(&w, ib->fol, ib->nfol));
	SECTION(S_META, w_put(&w, meta, meta_len));
#undef SECTION
	if ((error = w_flush(&w)) < 0)
		goto done;
	if (EVP_DigestFinal_ex(w.md, digest, &dlen) != 1 || dlen != 32) {
		error = trw_error_set(TRW_ERROR, "sha256 failed");
		goto done;
	}
	memcpy(hdr, REF_MAGIC, 8);
	put32(hdr + 8, REF_VERSION);
	put32(hdr + 12, HDR_SIZE);
	put32(hdr + 16, ib->order);
	put32(hdr + 20, 0);
	put64(hdr + 24, w.off);
	put64(hdr + 32, ib->n);
	put64(hdr + 40, V);
	put64(hdr + 48, b->files);
	put64(hdr + 56, b->bytes);
	put64(hdr + 64, ib->nrecs);
	put64(hdr + 72, ib->nslots);
	put64(hdr + 80, ib->next3 / 3);
	put64(hdr + 88, ib->nfol);
	put64(hdr + 96, vslots);
	for (int i = 0; i < S__COUNT; i++) {
		put64(hdr + HDR_SECTIONS + 16 * i, sec[i].off);
		put64(hdr + HDR_SECTIONS + 16 * i + 8, sec[i].size);
	}
	memcpy(hdr + HDR_DIGEST, digest, 32);
	if (pwrite(w.fd, hdr, HDR_SIZE, 0) != HDR_SIZE || fsync(w.fd) < 0) {
		error = trw_error_set(TRW_EIO, "writing '%s' failed: %s", tmp, strerror(errno));
		goto done;
	}
	if (close(w.fd) < 0) {
		w.fd = -1;
		error = trw_error_set(TRW_EIO, "writing '%s' failed: %s", tmp, strerror(errno));
		goto done;
	}
	w.fd = -1;
	if (rename(tmp, path) < 0) {
		error = trw_error_set(TRW_EIO, "cannot rename '%s' to '%s': %s", tmp, path,
		    strerror(errno));
		goto done;
	}
	free(tmp);
	tmp = NULL;
	if (st)
		st->index_bytes = w.off;

done:
	if (w.fd >= 0)
		close(w.fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(vhash);
	free(vflags);
	free(w.buf);
	EVP_MD_CTX_free(w.md);
	return error;
}

int trw_refmodel_build(const char *path, const char *const *specs, size_t nspecs,
    const trw_refmodel_build_options *opts, trw_refmodel_stats *stats)
{
	trw_refmodel_build_options defaults = TRW_REFMODEL_BUILD_OPTIONS_INIT;
	builder b;
	index_build ib;
	trw_source *src = NULL;
	trw_buf meta = TRW_BUF_INIT(0);
	uint32_t *order_ids = NULL, *remap = NULL, *aoff = NULL;
	unsigned char *vbytes = NULL;
	trw_refmodel_stats st;
	uint64_t t0 = trw_now_ns();
	size_t vlen = 0;
	int error = 0, inited = 0;

	pthread_once(&cls_once, cls_init);
	memset(&b, 0, sizeof(b));
	memset(&ib, 0, sizeof(ib));
	memset(&st, 0, sizeof(st));
	b.sources = (trw_buf)TRW_BUF_INIT(0);
	b.filelist = (trw_buf)TRW_BUF_INIT(0);
	if (!opts)
		opts = &defaults;
	if (opts->version != TRW_REFMODEL_BUILD_OPTIONS_VERSION)
		return trw_error_set(TRW_EINVALID, "unknown build options version %u", opts->version);
	if (opts->order < 1 || opts->order > MAX_ORDER)
		return trw_error_set(TRW_EINVALID, "order %u is outside 1..%d", opts->order, MAX_ORDER);
	if (!path || !*path)
		return trw_error_set(TRW_EINVALID, "no output file given");
	if (!specs || nspecs == 0)
		return trw_error_set(TRW_EINVALID, "no repository given to build from");

	/* the end-of-text token is id 0, with no bytes */
	if ((error = grow((void **)&b.toks, &b.ctoks, 1, sizeof(vtok))) < 0 ||
	    (error = vocab_rehash(&b, 1024)) < 0)
		goto done;
	b.toks[0] = (vtok){ 0, 0, 0, 0 };
	b.ntoks = 1;

	if ((error = trw_source_global_init()) < 0)
		goto done;
	inited = 1;
	for (size_t i = 0; i < nspecs; i++) {
		walk w = { &b, 0 };
		const char *rev = opts->rev ? opts->rev : "HEAD";

		if ((error = trw_source_open(&src, specs[i], &opts->source)) < 0 ||
		    (error = trw_source_set_revision(src, opts->rev)) < 0)
			goto done;
		error = trw_source_foreach(src, on_file, &w);
		if (b.error < 0) {
			error = b.error;
			goto done;
		}
		if (error < 0)
			goto done;
		error = 0;
		if ((error = trw_buf_puts(&b.sources, i ? ",{\"spec\":" : "{\"spec\":")) < 0 ||
		    (error = json_put(&b.sources, specs[i], strlen(specs[i]))) < 0 ||
		    (error = trw_buf_puts(&b.sources, ",\"revision\":")) < 0 ||
		    (error = json_put(&b.sources, rev, strlen(rev))) < 0 ||
		    (error = trw_buf_printf(&b.sources, ",\"commit\":\"%s\",\"files\":%llu}",
			trw_source_commit(src), (unsigned long long)w.files)) < 0)
			goto done;
		trw_source_free(src);
		src = NULL;
	}
	if (b.files == 0 || b.n == b.files) {
		error = trw_error_set(TRW_EINVALID, "nothing to learn from: %s no source file "
		    "trawic reads (all files were skipped or empty)",
		    nspecs == 1 ? "the repository has" : "the repositories have");
		goto done;
	}

	/* ids ranked by frequency, then bytes: a stable, meaningful order */
	ib.V = b.ntoks;
	order_ids = malloc(ib.V * sizeof(uint32_t));
	remap = malloc(ib.V * sizeof(uint32_t));
	aoff = malloc((ib.V + 1) * sizeof(uint32_t));
	ib.uni = malloc(ib.V * sizeof(uint32_t));
	vbytes = malloc(b.alen ? b.alen : 1);
	if (!order_ids || !remap || !aoff || !ib.uni || !vbytes) {
		error = trw_error_oom();
		goto done;
	}
	for (size_t id = 0; id + 1 < ib.V; id++)
		order_ids[id] = (uint32_t)id + 1;
	qsort_r(order_ids, ib.V - 1, sizeof(uint32_t), cmp_vocab, &b);
	remap[SEP] = SEP;
	aoff[0] = 0;
	aoff[1] = 0;
	ib.uni[SEP] = b.toks[SEP].count;
	for (size_t r = 0; r + 1 < ib.V; r++) {
		const vtok *t = &b.toks[order_ids[r]];

		remap[order_ids[r]] = (uint32_t)r + 1;
		memcpy(vbytes + vlen, b.arena + t->off, t->len);
		vlen += t->len;
		aoff[r + 2] = (uint32_t)vlen;
		ib.uni[r + 1] = t->count;
	}
	if ((ib.T = big_alloc(&ib.mT, b.n * sizeof(uint32_t))) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < b.n; i++)
		ib.T[i] = remap[b.T[i]];
	free(b.T);
	b.T = NULL;
	ib.n = b.n;
	ib.order = opts->order;
	if ((error = build_index(&ib)) < 0)
		goto done;

	if ((error = trw_buf_puts(&meta, "{\"sources\":[")) < 0 ||
	    (error = trw_buf_put(&meta, b.sources.ptr, b.sources.size)) < 0 ||
	    (error = trw_buf_puts(&meta, "],\"files\":[")) < 0 ||
	    (error = trw_buf_put(&meta, b.filelist.ptr, b.filelist.size)) < 0 ||
	    (error = trw_buf_puts(&meta, "]}")) < 0)
		goto done;
	if ((error = write_model(path, &ib, &b, aoff, vbytes, vlen, meta.ptr, meta.size, &st)) < 0)
		goto done;
	st.files = b.files;
	st.bytes = b.bytes;
	st.tokens = ib.n;
	st.contexts = ib.nrecs;
	st.vocabulary = ib.V;
	st.seconds = (trw_now_ns() - t0) / 1e9;
	if (stats)
		*stats = st;

done:
	trw_source_free(src);
	if (inited)
		trw_source_global_shutdown();
	free(b.vslots);
	free(b.toks);
	free(b.arena);
	free(b.T);
	trw_buf_dispose(&b.sources);
	trw_buf_dispose(&b.filelist);
	trw_buf_dispose(&meta);
	index_build_dispose(&ib);
	free(order_ids);
	free(remap);
	free(aoff);
	free(vbytes);
	return error;
}

/* ---- open -------------------------------------------------------------- */

static int corrupt(const char *path, const char *what)
{
	return trw_error_set(TRW_EINVALID, "'%s' is a corrupt reference model: %s", path, what);
}

int trw_refmodel_open(trw_refmodel **out, const char *path)
{
	trw_refmodel *m = NULL;
	const unsigned char *h;
	unsigned char digest[32];
	section sec[S__COUNT];
	struct stat sb;
	uint64_t fsize;
	int fd = -1, error = 0;

	pthread_once(&cls_once, cls_init);
	if (!out || !path)
		return trw_error_set(TRW_EINVALID, "no model file given");
	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return trw_error_set(errno == ENOENT ? TRW_ENOTFOUND : TRW_EIO,
		    "cannot open reference model '%s': %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0) {
		error = trw_error_set(TRW_EIO, "cannot stat '%s': %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(sb.st_mode)) {
		error = trw_error_set(TRW_EINVALID, "'%s' is not a regular file", path);
		goto done;
	}
	if ((uint64_t)sb.st_size < HDR_SIZE) {
		error = trw_error_set(TRW_EINVALID, "'%s' is not a trawic reference model "
		    "(%lld bytes, shorter than the header)", path, (long long)sb.st_size);
		goto done;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		error = trw_error_oom();
		goto done;
	}
	m->size = (size_t)sb.st_size;
	m->map = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m->map == MAP_FAILED) {
		m->map = NULL;
		error = trw_error_set(TRW_EIO, "cannot map '%s': %s", path, strerror(errno));
		goto done;
	}
	h = m->map;
	if (memcmp(h, REF_MAGIC, 8) != 0) {
		error = trw_error_set(TRW_EINVALID, "'%s' is not a trawic reference model (bad magic)", path);
		goto done;
	}
	if (get32(h + 8) != REF_VERSION) {
		error = trw_error_set(TRW_EINVALID, "'%s' is a reference model of version %u; this "
		    "trawic reads version %d (rebuild it with 'trawic model build')",
		    path, get32(h + 8), REF_VERSION);
		goto done;
	}
	fsize = get64(h + 24);
	if (fsize != m->size) {
		error = trw_error_set(TRW_EINVALID, "'%s' is a corrupt reference model: %s (the header "
		    "says %llu bytes, the file has %llu)", path,
		    fsize > m->size ? "truncated" : "trailing bytes",
		    (unsigned long long)fsize, (unsigned long long)m->size);
		goto done;
	}
	if (get32(h + 12) != HDR_SIZE) {
		error = corrupt(path, "bad header size");
		goto done;
	}
	m->order = get32(h + 16);
	m->n = get64(h + 32);
	m->V = get64(h + 40);
	m->files = get64(h + 48);
	m->corpus_bytes = get64(h + 56);
	m->ncontexts = get64(h + 64);
	m->nslots = get64(h + 72);
	m->next = get64(h + 80);
	m->nfolw = get64(h + 88);
	m->vslots = get64(h + 96);
	if (m->order < 1 || m->order > MAX_ORDER || m->n < 1 || m->n > MAX_STREAM || m->V < 1 ||
	    m->V > m->n + 1 || m->nslots < 1 || m->nslots > 0xffffffffull ||
	    m->next > EXT_FLAG || m->vslots < 2 * m->V || (m->vslots & (m->vslots - 1))) {
		error = corrupt(path, "impossible counts in the header");
		goto done;
	}
	for (int i = 0; i < S__COUNT; i++) {
		static const uint64_t elem[S__COUNT] = { 4, 1, 1, 4, 4, 4, 8, 12, 4, 1 };
		uint64_t want[S__COUNT];

		want[S_VOFF] = m->V + 1;
		want[S_VBYTES] = 0;
		want[S_VFLAGS] = m->V;
		want[S_VHASH] = m->vslots;
		want[S_UNI] = m->V;
		want[S_STREAM] = m->n;
		want[S_SLOTS] = m->nslots;
		want[S_EXT] = m->next;
		want[S_FOL] = m->nfolw;
		want[S_META] = 0;
		sec[i].off = get64(h + HDR_SECTIONS + 16 * i);
		sec[i].size = get64(h + HDR_SECTIONS + 16 * i + 8);
		if (sec[i].off < HDR_SIZE || sec[i].off % 8 || sec[i].off > m->size ||
		    sec[i].size > m->size - sec[i].off ||
		    (want[i] && sec[i].size != want[i] * elem[i])) {
			char what[96];

			snprintf(what, sizeof(what), "the %s section is out of bounds", section_names[i]);
			error = corrupt(path, what);
			goto done;
		}
	}
	{
		unsigned int dlen = 0;

		if (EVP_Digest(m->map + HDR_SIZE, m->size - HDR_SIZE, digest, &dlen, EVP_sha256(), NULL) != 1) {
			error = trw_error_set(TRW_ERROR, "sha256 failed");
			goto done;
		}
		if (memcmp(digest, h + HDR_DIGEST, 32) != 0) {
			error = corrupt(path, "checksum mismatch (the file was changed or damaged "
			    "after it was built)");
			goto done;
		}
	}
	m->voff = (const uint32_t *)(m->map + sec[S_VOFF].off);
	m->vbytes = m->map + sec[S_VBYTES].off;
	m->vflags = m->map + sec[S_VFLAGS].off;
	m->vhash = (const uint32_t *)(m->map + sec[S_VHASH].off);
	m->uni = (const uint32_t *)(m->map + sec[S_UNI].off);
	m->T = (const uint32_t *)(m->map + sec[S_STREAM].off);
	m->slots = (const uint32_t *)(m->map + sec[S_SLOTS].off);
	m->ext = (const uint32_t *)(m->map + sec[S_EXT].off);
	m->fol = (const uint32_t *)(m->map + sec[S_FOL].off);
	m->meta = (const char *)m->map + sec[S_META].off;
	m->meta_len = (size_t)sec[S_META].size;
	/* A checksum only proves the file is what was written: check what
	 * decoding trusts without a test on every read. */
	if (rd32(m->voff) != 0 || rd32(m->voff + 1) != 0) {
		error = corrupt(path, "bad token table");
		goto done;
	}
	for (uint64_t id = 1; id < m->V; id++) {
		uint32_t a = rd32(m->voff + id), b = rd32(m->voff + id + 1);

		if (b <= a || b - a > TOK_MAX || b > sec[S_VBYTES].size) {
			error = corrupt(path, "bad token table");
			goto done;
		}
	}
	for (uint64_t i = 0; i < m->n; i++)
		if (rd32(m->T + i) >= m->V) {
			error = corrupt(path, "a token id out of range in the stream");
			goto done;
		}
	{
		unsigned char hd[32];
		char hex[17];
		unsigned int dlen = 0;

		if (EVP_Digest(m->map, HDR_SIZE, hd, &dlen, EVP_sha256(), NULL) != 1) {
			error = trw_error_set(TRW_ERROR, "sha256 failed");
			goto done;
		}
		trw_hex(hex, hd, 8);
		snprintf(m->identity, sizeof(m->identity), "ref:%s:order%u", hex, m->order);
	}
	*out = m;
	m = NULL;

done:
	if (fd >= 0)
		close(fd);
	trw_refmodel_free(m);
	return error;
}

void trw_refmodel_free(trw_refmodel *m)
{
	if (!m)
		return;
	if (m->map)
		munmap(m->map, m->size);
	free(m);
}

const char *trw_refmodel_identity(const trw_refmodel *m)
{
	return m ? m->identity : "";
}

unsigned trw_refmodel_context(const trw_refmodel *m)
{
	/* The model reads only N-1 tokens of the prefix and the head of the
	 * suffix, but windows are cut as for a real model of a common size. */
	(void)m;
	return NOMINAL_CONTEXT;
}

unsigned trw_refmodel_order(const trw_refmodel *m)
{
	return m ? m->order : 0;
}

void trw_refmodel_get_stats(const trw_refmodel *m, trw_refmodel_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!m)
		return;
	out->files = m->files;
	out->bytes = m->corpus_bytes;
	out->tokens = m->n;
	out->contexts = m->ncontexts;
	out->index_bytes = m->size;
	out->vocabulary = m->V;
}

const char *trw_refmodel_provenance(const trw_refmodel *m, size_t *len)
{
	if (len)
		*len = m ? m->meta_len : 0;
	return m ? m->meta : "";
}

size_t trw_refmodel_count_tokens(const trw_refmodel *m, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = 0, i = 0;

	(void)m;
	pthread_once(&cls_once, cls_init);
	while (text && i < len) {
		i += token_len(s + i, len - i);
		n++;
	}
	return n;
}

/* ---- infill ------------------------------------------------------------ */

static uint32_t vocab_find(const trw_refmodel *m, const unsigned char *s, size_t len)
{
	uint64_t mask = m->vslots - 1, i = bytes_hash(s, len) & mask;

	for (uint64_t probes = 0; probes < m->vslots; probes++) {
		uint32_t v = rd32(m->vhash + i), a, b;

		if (!v)
			return UNK;
		v--;
		if (v < m->V) {
			a = rd32(m->voff + v);
			b = rd32(m->voff + v + 1);
			if (b - a == len && memcmp(m->vbytes + a, s, len) == 0)
				return v;
		}
		i = (i + 1) & mask;
	}
	return UNK;
}

static inline const unsigned char *tok_bytes(const trw_refmodel *m, uint32_t id, size_t *len)
{
	uint32_t a = rd32(m->voff + id);

	*len = rd32(m->voff + id + 1) - a;
	return m->vbytes + a;
}

/* What a stored context says about its followers. */
typedef struct level {
	uint32_t count;			/* occurrences (each has a follower) */
	uint32_t nfol;			/* distinct followers */
	uint32_t single;		/* the follower, when nfol == 1 */
	uint32_t ntop;			/* pairs in bycount */
	const uint32_t *bycount;	/* (token, count) pairs, count descending, the
					 * whole list or its best LONG_LIST */
	const uint32_t *bytok;		/* long lists: all nfol pairs by token */
} level;

typedef struct query_state {
	const trw_refmodel *m;
	uint32_t hist[MAX_ORDER];	/* the last N-1 tokens, oldest first */
	unsigned L;
	uint32_t s0;			/* the suffix's first token, or UNK */
	uint32_t shead[MAX_ORDER];	/* the suffix's first tokens (UNK ends them) */
	unsigned nshead;
	trw_stop_mode mode;
	const char *delim;
	size_t dlen;
	level lv[MAX_ORDER];
	unsigned K;			/* the longest stored context */
	int filled;			/* lv[1..K-1] are looked up too */
	double temperature, top_p;
	uint64_t rng;
} query_state;

static int bad_model(void)
{
	return trw_error_set(TRW_EINVALID, "the reference model is corrupt (a reference out of range)");
}

/* Look the context ctx[0:k] up; 1 found (and *lv filled), 0 not, < 0 corrupt. */
static int lookup(const trw_refmodel *m, const uint32_t *ctx, unsigned k, uint64_t h, level *lv)
{
	uint64_t i = slot_index(h, m->nslots);
	uint32_t key = slot_key(h, k);

	for (uint64_t probes = 0; probes < m->nslots; probes++) {
		const uint32_t *s = m->slots + 2 * i;
		uint32_t sk = rd32(s), val, pos, count = 1, f = NO_LIST;
		unsigned j;

		if (!sk)
			return 0;
		if (sk == key) {
			val = rd32(s + 1);
			if (val & EXT_FLAG) {
				uint64_t e = val & ~EXT_FLAG;

				if (e >= m->next)
					return bad_model();
				pos = rd32(m->ext + 3 * e);
				count = rd32(m->ext + 3 * e + 1);
				f = rd32(m->ext + 3 * e + 2);
			} else {
				pos = val;
			}
			if ((uint64_t)pos + k >= m->n)
				return bad_model();
			for (j = 0; j < k && rd32(m->T + pos + j) == ctx[j]; j++)
				;
			if (j == k) {
				lv->count = count;
				if (f == NO_LIST) {
					lv->nfol = 1;
					lv->single = rd32(m->T + pos + k);
					lv->bycount = lv->bytok = NULL;
					lv->ntop = 0;
				} else {
					uint64_t nf;

					if (f >= m->nfolw)
						return bad_model();
					nf = rd32(m->fol + f);
					if (nf < 2 || nf > m->n ||
					    f + 1 + 2 * nf + (nf > LONG_LIST ? 2 * LONG_LIST : 0) > m->nfolw)
						return bad_model();
					lv->nfol = (uint32_t)nf;
					lv->ntop = nf > LONG_LIST ? LONG_LIST : (uint32_t)nf;
					lv->bycount = m->fol + f + 1;
					lv->bytok = nf > LONG_LIST ? lv->bycount + 2 * LONG_LIST : NULL;
				}
				return 1;
			}
		}
		i = i + 1 == m->nslots ? 0 : i + 1;
	}
	return 0;
}

/* The longest stored context ending the text `hist[0:L]`, in lv[*K].
 * By construction a context is stored only if every shorter one is (a
 * context follows a shorter one with several followers), so "stored" is
 * monotone in the length and a binary search finds the longest; a context
 * with a single follower ends it at once (nothing longer is stored). */
static int find_deepest(const trw_refmodel *m, const uint32_t *hist, unsigned L, level *lv, unsigned *K)
{
	uint64_t h[MAX_ORDER], s = CTX_SEED;
	unsigned lo = 0, hi = 0, max = m->order - 1 < L ? m->order - 1 : L;
	int r;

	while (hi < max && hist[L - hi - 1] != UNK) {
		hi++;
		s = ctx_round(s, hist[L - hi]);
		h[hi] = ctx_final(s, hi);
	}
	while (lo < hi) {
		unsigned mid = (lo + hi + 1) / 2;

		if ((r = lookup(m, hist + L - mid, mid, h[mid], &lv[mid])) < 0)
			return r;
		if (r == 0) {
			hi = mid - 1;
		} else {
			lo = mid;
			if (lv[mid].nfol == 1)
				break;
		}
	}
	*K = lo;
	return 0;
}

/* Every stored context shorter than the longest: for log-probabilities
 * and for backing off. */
static int fill_levels(const trw_refmodel *m, const uint32_t *hist, unsigned L, level *lv, unsigned K)
{
	uint64_t s = CTX_SEED;
	int r;

	for (unsigned k = 1; k < K; k++) {
		s = ctx_round(s, hist[L - k]);
		if ((r = lookup(m, hist + L - k, k, ctx_final(s, k), &lv[k])) < 0)
			return r;
		if (r == 0)
			return bad_model();
	}
	return 0;
}

static uint32_t count_of(const level *lv, uint32_t w)
{
	if (lv->nfol == 1)
		return lv->single == w ? lv->count : 0;
	if (lv->bytok) {
		size_t lo = 0, hi = lv->nfol;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			uint32_t t = rd32(lv->bytok + 2 * mid);

			if (t == w)
				return rd32(lv->bytok + 2 * mid + 1);
			if (t < w)
				lo = mid + 1;
			else
				hi = mid;
		}
		return 0;
	}
	for (uint32_t i = 0; i < lv->nfol; i++)
		if (rd32(lv->bycount + 2 * i) == w)
			return rd32(lv->bycount + 2 * i + 1);
	return 0;
}

/* Witten-Bell interpolation from an add-one unigram up to the longest
 * stored context: P_k(w) = (c(ctx_k, w) + d_k P_{k-1}(w)) / (c(ctx_k) + d_k),
 * d_k the number of distinct followers.  Normalized, so log <= 0. */
static double logprob(const query_state *q, uint32_t w)
{
	const trw_refmodel *m = q->m;
	double p = (rd32(m->uni + w) + 1.0) / ((double)m->n + (double)m->V);

	for (unsigned j = 1; j <= q->K; j++) {
		const level *lv = &q->lv[j];

		p = (count_of(lv, w) + lv->nfol * p) / ((double)lv->count + lv->nfol);
	}
	return p < 1.0 ? log(p) : 0.0;
}

/* May `w` open the middle?  Not if it ends it at once. */
static int can_open(const query_state *q, uint32_t w)
{
	const trw_refmodel *m = q->m;
	unsigned f = m->vflags[w];
	size_t len;
	const unsigned char *s;

	if (w == SEP || w == q->s0)
		return 0;
	switch (q->mode) {
	case TRW_STOP_IDENT:
		return (f & F_IDENT) != 0;
	case TRW_STOP_NEWLINE:
		return !(f & F_NL);
	case TRW_STOP_DELIM:
		s = tok_bytes(m, w, &len);
		return q->dlen == 0 ||
		    memcmp(s, q->delim, len < q->dlen ? len : q->dlen) != 0;
	default:
		return 1;
	}
}

/* Does the training data show `w`, in this context, followed by the
 * suffix's first token? */
static int leads_to_suffix(const query_state *q, uint32_t w)
{
	uint32_t ctx[MAX_ORDER];
	level lv[MAX_ORDER];
	unsigned L = q->L, K = 0;

	memcpy(ctx, q->hist, L * sizeof(uint32_t));
	if (L == q->m->order - 1 && L > 0) {
		memmove(ctx, ctx + 1, (L - 1) * sizeof(uint32_t));
		L--;
	}
	ctx[L++] = w;
	if (find_deepest(q->m, ctx, L, lv, &K) < 0 || K == 0)
		return 0;
	return count_of(&lv[K], q->s0) > 0;
}

/* How many of the suffix's first tokens the training data continues into
 * after `w`: each checked against the longest stored context ending there. */
static unsigned bridge(const query_state *q, uint32_t w)
{
	const trw_refmodel *m = q->m;
	uint32_t ctx[2 * MAX_ORDER];
	level lv[MAX_ORDER];
	unsigned L = q->L, K = 0, b = 0;

	memcpy(ctx, q->hist, L * sizeof(uint32_t));
	ctx[L++] = w;
	for (; b < q->nshead; b++) {
		unsigned keep = m->order - 1;

		if (L > keep) {
			memmove(ctx, ctx + L - keep, keep * sizeof(uint32_t));
			L = keep;
		}
		if (find_deepest(m, ctx, L, lv, &K) < 0 || K == 0 || count_of(&lv[K], q->shead[b]) == 0)
			break;
		ctx[L++] = q->shead[b];
	}
	return b;
}

static inline uint64_t rng_next(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ull;
	return mix64(*s);
}

/* The `from`-th candidate of level j, in order of decreasing count (then
 * increasing id): 1 and (*tok, *cnt), or 0 past the end (of the best
 * LONG_LIST for a long list). */
static size_t candidates(const query_state *q, unsigned j, size_t from, uint32_t *tok, uint32_t *cnt)
{
	const trw_refmodel *m = q->m;

	if (j == 0) {
		/* ids are ranked by frequency: the unigram list is the id order */
		uint64_t id = from + 1;

		if (id >= m->V)
			return 0;
		*tok = (uint32_t)id;
		*cnt = rd32(m->uni + id);
		return 1;
	}
	if (q->lv[j].nfol == 1) {
		if (from > 0)
			return 0;
		*tok = q->lv[j].single;
		*cnt = q->lv[j].count;
		return 1;
	}
	if (from >= q->lv[j].ntop)
		return 0;
	*tok = rd32(q->lv[j].bycount + 2 * from);
	*cnt = rd32(q->lv[j].bycount + 2 * from + 1);
	return 1;
}

static int choose(query_state *q, int first, uint32_t *out)
{
	const trw_refmodel *m = q->m;

	*out = UNK;
	for (int j = (int)q->K; j >= 0; j--) {
		uint32_t tied[MAX_TIES], tok, cnt, best = 0;
		uint32_t stok[64], scnt[64];
		size_t nt = 0, ns = 0;
		int error;

		if (j < (int)q->K && j > 0 && !q->filled) {
			if ((error = fill_levels(m, q->hist, q->L, q->lv, q->K)) < 0)
				return error;
			q->filled = 1;
		}

		for (size_t i = 0; candidates(q, (unsigned)j, i, &tok, &cnt); i++) {
			if (tok >= m->V)
				return bad_model();
			if (first && !can_open(q, tok))
				continue;
			if (q->temperature > 0) {
				stok[ns] = tok;
				scnt[ns++] = cnt;
				if (ns == 64)
					break;
				continue;
			}
			if (nt == 0)
				best = cnt;
			else if (cnt != best || nt == MAX_TIES || j == 0)
				break;
			tied[nt++] = tok;
		}
		if (nt == 0 && ns == 0 && first && j > 0 && q->lv[j].bytok) {
			/* none of the best few may open the middle: the rest of
			 * the list, by token, for the most frequent that may */
			const level *lv = &q->lv[j];

			for (uint32_t i = 0; i < lv->nfol; i++) {
				tok = rd32(lv->bytok + 2 * i);
				cnt = rd32(lv->bytok + 2 * i + 1);
				if (tok >= m->V)
					return bad_model();
				if ((nt == 0 || cnt > best) && can_open(q, tok)) {
					tied[0] = tok;
					best = cnt;
					nt = 1;
				}
			}
		}
		if (ns > 0) {
			double w[64], total = 0, acc = 0, x;
			size_t keep = 0;

			for (size_t i = 0; i < ns; i++)
				total += (w[i] = pow((double)scnt[i], 1.0 / q->temperature));
			/* nucleus: the fewest most likely tokens reaching top_p */
			for (acc = 0; keep < ns && (keep == 0 || acc < q->top_p * total); keep++)
				acc += w[keep];
			x = (double)(rng_next(&q->rng) >> 11) / 9007199254740992.0 * acc;
			for (size_t i = 0; i < keep; i++) {
				if (x < w[i] || i + 1 == keep) {
					*out = stok[i];
					return 0;
				}
				x -= w[i];
			}
		}
		if (nt == 0)
			continue;
		if (first && q->nshead && q->temperature <= 0) {
			/* The first token decides what the middle is: among the
			 * most frequent, prefer the one the training data shows
			 * running on into the suffix the longest. */
			uint32_t cand[MAX_BRIDGE];
			size_t nc = 0;
			unsigned bestb = 0;

			for (size_t i = 0; nc < MAX_BRIDGE && candidates(q, (unsigned)j, i, &tok, &cnt); i++)
				if (tok < m->V && can_open(q, tok))
					cand[nc++] = tok;
			if (nc == 0)
				cand[nc++] = tied[0];
			*out = cand[0];
			if (nc == 1)
				return 0;
			for (size_t i = 0; i < nc && bestb < q->nshead; i++) {
				unsigned b = bridge(q, cand[i]);

				if (b > bestb) {
					bestb = b;
					*out = cand[i];
				}
			}
			return 0;
		}
		if (nt > 1 && q->s0 != UNK)
			for (size_t i = 0; i < nt; i++)
				if (leads_to_suffix(q, tied[i])) {
					*out = tied[i];
					return 0;
				}
		*out = tied[0];
		return 0;
	}
	return 0;
}

static int is_ws_byte(unsigned char c)
{
	return cls[c] == C_WS;
}

/* The ids of the last `want` tokens of the prefix, tokenizing only its
 * tail from a point where a whitespace run starts (always a boundary). */
static void prefix_tail(const trw_refmodel *m, const unsigned char *p, size_t len, unsigned want,
    uint32_t *hist, unsigned *L)
{
	size_t window = 256;

	*L = 0;
	if (want == 0 || len == 0)
		return;
	for (;;) {
		size_t start = len > window ? len - window : 0, lim, i, offs[MAX_ORDER], lens[MAX_ORDER];
		size_t cnt = 0;

		lim = start > 4096 ? start - 4096 : 0;
		while (start > lim && !(is_ws_byte(p[start]) && !is_ws_byte(p[start - 1])))
			start--;
		for (i = start; i < len;) {
			size_t l = token_len(p + i, len - i);

			offs[cnt % want] = i;
			lens[cnt % want] = l;
			cnt++;
			i += l;
		}
		if (cnt >= want || start == 0) {
			size_t k = cnt < want ? cnt : want;

			for (size_t t = 0; t < k; t++) {
				size_t slot = (cnt - k + t) % want;

				hist[t] = vocab_find(m, p + offs[slot], lens[slot]);
			}
			*L = (unsigned)k;
			return;
		}
		window *= 4;
	}
}

int trw_refmodel_infill(const trw_refmodel *m, const trw_fim_query *query, trw_completion *out)
{
	query_state q;
	trw_buf text;
	double *lps = NULL;
	size_t *starts = NULL, ntok = 0, nlp = 0;
	unsigned budget;
	uint64_t t0 = trw_now_ns();
	int error = 0;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!m || !query || !out ||
	    (!query->prefix && query->prefix_len) || (!query->suffix && query->suffix_len))
		return trw_error_set(TRW_EINVALID, "infill: missing model, query or output");
	budget = query->decoding.max_tokens ? query->decoding.max_tokens : DEFAULT_BUDGET;
	if (budget > MAX_BUDGET)
		budget = MAX_BUDGET;
	text = (trw_buf)TRW_BUF_INIT((size_t)budget * TOK_MAX + 1);
	memset(&q, 0, sizeof(q));
	q.m = m;
	q.mode = query->stop.mode;
	q.temperature = query->decoding.temperature > 0 ? query->decoding.temperature : 0;
	q.top_p = query->decoding.top_p > 0 && query->decoding.top_p < 1 ? query->decoding.top_p : 1;
	q.rng = query->decoding.seed;
	if (q.mode == TRW_STOP_DELIM) {
		q.delim = query->stop.delim;
		q.dlen = strnlen(query->stop.delim, sizeof(query->stop.delim));
		if (q.dlen == 0)
			q.mode = TRW_STOP_NONE;
	}
	prefix_tail(m, (const unsigned char *)query->prefix, query->prefix_len, m->order - 1,
	    q.hist, &q.L);
	q.s0 = UNK;
	for (size_t i = 0; i < query->suffix_len && q.nshead < m->order - 1;) {
		size_t l = token_len((const unsigned char *)query->suffix + i, query->suffix_len - i);
		uint32_t id = vocab_find(m, (const unsigned char *)query->suffix + i, l);

		if (id == UNK)
			break;
		q.shead[q.nshead++] = id;
		i += l;
	}
	if (query->suffix_len)
		q.s0 = q.nshead ? q.shead[0] : vocab_find(m, (const unsigned char *)query->suffix,
		    token_len((const unsigned char *)query->suffix, query->suffix_len));
	starts = malloc(budget * sizeof(size_t));
	if (query->want_logprobs)
		lps = malloc(budget * sizeof(double));
	if (!starts || (query->want_logprobs && !lps)) {
		error = trw_error_oom();
		goto done;
	}

	for (unsigned step = 0; step < budget; step++) {
		const unsigned char *s;
		size_t len, keep, before = text.size;
		uint32_t w;
		double lp = 0;
		int stop = 0;

		q.filled = 0;
		if ((error = find_deepest(m, q.hist, q.L, q.lv, &q.K)) < 0 ||
		    (error = choose(&q, step == 0, &w)) < 0)
			goto done;
		if (w == UNK || (step > 0 && (w == SEP || w == q.s0)))
			break;
		if (lps) {
			if (!q.filled && (error = fill_levels(m, q.hist, q.L, q.lv, q.K)) < 0)
				goto done;
			q.filled = 1;
			lp = logprob(&q, w);
		}
		s = tok_bytes(m, w, &len);
		keep = len;
		switch (q.mode) {
		case TRW_STOP_IDENT:
			if (!(m->vflags[w] & F_IDENT))
				keep = 0, stop = 1;
			break;
		case TRW_STOP_NEWLINE: {
			const unsigned char *nl = memchr(s, '\n', len);

			if (nl)
				keep = (size_t)(nl - s), stop = 1;
			break;
		}
		default:
			break;
		}
		if (keep) {
			if ((error = trw_buf_put(&text, s, keep)) < 0)
				goto done;
			starts[ntok] = before;
			if (lps)
				lps[ntok] = lp;
			ntok++;
		}
		if (q.mode == TRW_STOP_DELIM && keep) {
			size_t from = before >= q.dlen ? before - q.dlen + 1 : 0;
			const char *hit = memmem(text.ptr + from, text.size - from, q.delim, q.dlen);

			if (hit) {
				text.size = (size_t)(hit - text.ptr);
				text.ptr[text.size] = '\0';
				while (ntok > 0 && starts[ntok - 1] >= text.size)
					ntok--;
				stop = 1;
			}
		}
		if (stop)
			break;
		if (m->order > 1) {
			if (q.L == m->order - 1) {
				memmove(q.hist, q.hist + 1, (q.L - 1) * sizeof(uint32_t));
				q.L--;
			}
			q.hist[q.L++] = w;
		}
	}
	nlp = lps ? ntok : 0;
	if (!text.ptr && (error = trw_buf_put(&text, "", 0)) < 0)
		goto done;
	out->text = text.ptr;
	out->len = text.size;
	text.ptr = NULL;
	if (nlp) {
		out->logprobs = lps;
		out->nlogprobs = nlp;
		lps = NULL;
	}
	out->latency_ms = (trw_now_ns() - t0) / 1e6;

done:
	trw_buf_dispose(&text);
	free(lps);
	free(starts);
	return error;
}
