/*
 * lang.c - the language table: one row per language.
 *
 * A row says how a file is recognised and which grammar and query file
 * serve it.  What the query finds in a language is in its .scm file,
 * never here.
 */
#include <string.h>
#include <strings.h>

#include "lang.h"

const TSLanguage *tree_sitter_python(void);
const TSLanguage *tree_sitter_c(void);
const TSLanguage *tree_sitter_cpp(void);
const TSLanguage *tree_sitter_java(void);
const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_tsx(void);
const TSLanguage *tree_sitter_go(void);
const TSLanguage *tree_sitter_rust(void);

#define LIST(...) (const char *const[]){ __VA_ARGS__, NULL }
#define NONE (const char *const[]){ NULL }

static const trw_lang table[] = {
	{ "python", LIST("py", "pyi", "pyw"), LIST("python", "python2", "python3"),
	  tree_sitter_python, "python.scm" },
	{ "c", LIST("c", "h"), NONE, tree_sitter_c, "c.scm" },
	{ "cpp", LIST("cc", "cpp", "cxx", "c++", "hh", "hpp", "hxx", "h++", "ipp", "tcc", "inl"),
	  NONE, tree_sitter_cpp, "cpp.scm" },
	{ "java", LIST("java"), NONE, tree_sitter_java, "java.scm" },
	{ "javascript", LIST("js", "mjs", "cjs", "jsx"), LIST("node", "nodejs"),
	  tree_sitter_javascript, "javascript.scm" },
	{ "typescript", LIST("ts", "mts", "cts"), LIST("ts-node", "deno"),
	  tree_sitter_typescript, "typescript.scm" },
	{ "tsx", LIST("tsx"), NONE, tree_sitter_tsx, "tsx.scm" },
	{ "go", LIST("go"), NONE, tree_sitter_go, "go.scm" },
	{ "rust", LIST("rs"), NONE, tree_sitter_rust, "rust.scm" },
};

const trw_lang *trw_lang_table(size_t *count)
{
	*count = sizeof(table) / sizeof(table[0]);
	return table;
}

const trw_lang *trw_lang_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

static const trw_lang *by_extension(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');

	/* ".bashrc" has no extension; "a." has an empty one */
	if (!dot || dot == base || dot[1] == '\0')
		return NULL;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		for (const char *const *e = table[i].extensions; *e; e++)
			if (strcasecmp(dot + 1, *e) == 0)
				return &table[i];
	return NULL;
}

/* "#!/usr/bin/env -S python3 -u" -> "python3"; "#!/bin/node" -> "node". */
static const trw_lang *by_shebang(const char *head, size_t len)
{
	char prog[64];
	size_t i = 2, n;
	int env = 0;

	if (!head || len < 3 || head[0] != '#' || head[1] != '!')
		return NULL;
	for (;;) {
		size_t start;

		while (i < len && (head[i] == ' ' || head[i] == '\t'))
			i++;
		start = i;
		while (i < len && head[i] != ' ' && head[i] != '\t' &&
		    head[i] != '\n' && head[i] != '\r')
			i++;
		if (i == start)
			return NULL;
		/* the program's base name */
		{
			size_t b = start;
			for (size_t k = start; k < i; k++)
				if (head[k] == '/')
					b = k + 1;
			n = i - b;
			if (n == 0 || n >= sizeof(prog))
				return NULL;
			memcpy(prog, head + b, n);
			prog[n] = '\0';
		}
		if (!env && strcmp(prog, "env") == 0) {
			env = 1;
			continue;
		}
		if (env && prog[0] == '-')	/* env -S, env -i ... */
			continue;
		break;
	}
	/* python3.11 -> python3 */
	{
		char *dot = strchr(prog, '.');
		if (dot && dot != prog)
			*dot = '\0';
	}
	for (size_t t = 0; t < sizeof(table) / sizeof(table[0]); t++)
		for (const char *const *p = table[t].interpreters; *p; p++)
			if (strcmp(prog, *p) == 0)
				return &table[t];
	return NULL;
}

const trw_lang *trw_lang_detect(const char *path, const char *head, size_t len)
{
	const trw_lang *l = by_extension(path);

	return l ? l : by_shebang(head, len);
}
