// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * layers — check that the call graph between source files is layered.
 *
 *     layers ROOT OBJECT...
 *
 * Runs `nm -g` on each object (or $NM). A file is named after its object's
 * path below ROOT, with .o shown as .c (ROOT/orchestrator/install.o is
 * orchestrator/install.c), and its room is the first directory of that name.
 * File A uses file B when one of A's undefined symbols is defined by B;
 * undefined symbols that no object defines come from libraries and are
 * ignored. Prints one line per violation on stdout:
 *
 *   - a symbol defined by two objects;
 *   - a file in a room that the rules table does not know;
 *   - a cycle between files (every edge that lies on a cycle is shown on one,
 *     each file followed by the symbol of it that the previous file uses);
 *   - a verb (orchestrator/cmd_*.c) that uses another verb;
 *   - a room that uses a room the rules table does not allow.
 *
 * Exit status: 0 layered, 1 violations, 2 usage error or nm failed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which room may use which; uses within a room are always allowed. */
static const struct rule {
	const char *room, *may_use, *why;
} rules[] = {
	{ "orchestrator", "installer", "verbs hand the built modules to the installer" },
	{ "orchestrator", "sandbox", "dkms.conf and builds are evaluated in a sandbox" },
	{ "orchestrator", "common", "error convention, YAML walker, file helpers" },
	{ "installer", "common", "error convention, file helpers; nothing else: it runs no module code" },
	{ "sandbox", "profiles", "the sandbox finds the embedded, precompiled profiles" },
	{ "sandbox", "common", "error convention, YAML walker" },
	{ "profiles", "sandbox", "the precompiled profiles are sandbox structures" },
	{ "profiles", "common", "error convention" },
	{ "common", NULL, "what every room uses: it uses no room" },
};

/* Directories that are not named after their room. */
static const struct alias {
	const char *dir, *room;
} aliases[] = {
	{ "gen", "profiles" },	/* $(BUILD)/gen/profiles_compiled.c */
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct file {
	char *name;		/* orchestrator/install.c */
	const char *room;	/* orchestrator */
	char **refs;		/* undefined symbols, in nm's (sorted) order */
	size_t nrefs;
};

struct def {
	char *sym;
	int file;
};

static struct file *files;
static int nfiles;
static struct def *defs;
static size_t ndefs;
static int *edges;	/* edges[a * nfiles + b]: the def a uses from b, or -1 */
static int violations;

#define EDGE(a, b) edges[(a) * nfiles + (b)]

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		perror("layers");
		exit(2);
	}
	return p;
}

static int known_room(const char *room)
{
	for (size_t i = 0; i < N(rules); i++)
		if (!strcmp(rules[i].room, room))
			return 1;
	return 0;
}

static int allowed(const char *from, const char *to)
{
	if (!strcmp(from, to))
		return 1;
	for (size_t i = 0; i < N(rules); i++)
		if (!strcmp(rules[i].room, from) && rules[i].may_use &&
		    !strcmp(rules[i].may_use, to))
			return 1;
	return 0;
}

static int is_verb(const char *name)
{
	return !strncmp(name, "orchestrator/cmd_", 17) && !strchr(name + 17, '/');
}

/* Names the file of OBJ below ROOT, finds its room, reads its symbols. */
static void read_object(const char *root, const char *obj)
{
	struct file *f;
	size_t len = strlen(root), cap = 0;
	const char *name = obj;
	char *line = NULL, *cmd, *slash;
	const char *nm = getenv("NM") ? getenv("NM") : "nm";
	FILE *p;

	files = xrealloc(files, (nfiles + 1) * sizeof(*files));
	f = &files[nfiles];
	memset(f, 0, sizeof(*f));
	while (len && root[len - 1] == '/')
		len--;
	if (len && !strncmp(obj, root, len) && obj[len] == '/')
		name = obj + len + 1;
	f->name = strdup(name);
	len = strlen(f->name);
	if (len > 2 && !strcmp(f->name + len - 2, ".o"))
		f->name[len - 1] = 'c';
	slash = strchr(f->name, '/');
	f->room = slash ? strndup(f->name, slash - f->name) : "";
	for (size_t i = 0; i < N(aliases); i++)
		if (!strcmp(f->room, aliases[i].dir))
			f->room = aliases[i].room;

	if (strchr(obj, '\'') || asprintf(&cmd, "%s -g -- '%s'", nm, obj) < 0) {
		fprintf(stderr, "layers: %s: bad object name\n", obj);
		exit(2);
	}
	p = popen(cmd, "r");
	if (!p) {
		perror("layers: nm");
		exit(2);
	}
	while (getline(&line, &cap, p) > 0) {
		char *a = NULL, *b = NULL, *c = NULL;
		int n = sscanf(line, "%ms %ms %ms", &a, &b, &c);

		if (n == 3) {	/* ADDRESS TYPE NAME: defined here */
			defs = xrealloc(defs, (ndefs + 1) * sizeof(*defs));
			defs[ndefs++] = (struct def){ c, nfiles };
			free(b);
		} else if (n == 2) {	/* TYPE NAME: used here */
			f->refs = xrealloc(f->refs, (f->nrefs + 1) * sizeof(char *));
			f->refs[f->nrefs++] = b;
		}
		free(a);
	}
	if (pclose(p) != 0) {
		fprintf(stderr, "layers: %s failed\n", cmd);
		exit(2);
	}
	free(line);
	free(cmd);
	nfiles++;
}

static int cmp_def(const void *a, const void *b)
{
	return strcmp(((const struct def *)a)->sym, ((const struct def *)b)->sym);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void build_graph(void)
{
	qsort(defs, ndefs, sizeof(*defs), cmp_def);
	for (size_t i = 1; i < ndefs; i++)
		if (!strcmp(defs[i - 1].sym, defs[i].sym)) {
			printf("layers: %s is defined twice: %s and %s\n", defs[i].sym,
			       files[defs[i - 1].file].name, files[defs[i].file].name);
			violations++;
		}

	edges = xrealloc(NULL, (size_t)nfiles * nfiles * sizeof(*edges));
	for (int i = 0; i < nfiles * nfiles; i++)
		edges[i] = -1;
	for (int a = 0; a < nfiles; a++) {
		for (size_t r = 0; r < files[a].nrefs; r++) {
			struct def key = { files[a].refs[r], 0 }, *d;

			d = bsearch(&key, defs, ndefs, sizeof(*defs), cmp_def);
			if (d && d->file != a && EDGE(a, d->file) < 0)
				EDGE(a, d->file) = d - defs;
		}
	}
}

/*
 * Breadth-first search for a shortest path FROM -> ... -> TO; stores it in
 * PATH (FROM first) and returns its number of files, or 0 when there is none.
 */
static int shortest_path(int from, int to, int *path)
{
	int *prev = xrealloc(NULL, nfiles * sizeof(int));
	int *queue = xrealloc(NULL, nfiles * sizeof(int));
	int head = 0, tail = 0, n = 0;

	for (int i = 0; i < nfiles; i++)
		prev[i] = -2;
	prev[from] = -1;
	queue[tail++] = from;
	while (head < tail && prev[to] == -2) {
		int u = queue[head++];

		for (int v = 0; v < nfiles; v++)
			if (EDGE(u, v) >= 0 && prev[v] == -2) {
				prev[v] = u;
				queue[tail++] = v;
			}
	}
	if (prev[to] != -2) {
		for (int v = to; v != -1; v = prev[v])
			n++;
		for (int v = to, i = n - 1; v != -1; v = prev[v], i--)
			path[i] = v;
	}
	free(prev);
	free(queue);
	return n;
}

/*
 * For each edge A -> B that no cycle printed so far contains, a shortest way
 * back from B to A closes a cycle: print it. Each line then shows at least one
 * new edge, and every edge on a cycle is shown.
 */
static void check_cycles(void)
{
	char *shown = calloc((size_t)nfiles * nfiles, 1);
	int *path = xrealloc(NULL, nfiles * sizeof(int));

	for (int a = 0; a < nfiles; a++) {
		for (int b = 0; b < nfiles; b++) {
			int n, from = a;

			if (EDGE(a, b) < 0 || shown[a * nfiles + b] ||
			    !(n = shortest_path(b, a, path)))
				continue;
			printf("layers: cycle: %s", files[a].name);
			for (int i = 0; i < n; i++) {
				printf(" -> %s (%s)", files[path[i]].name,
				       defs[EDGE(from, path[i])].sym);
				shown[from * nfiles + path[i]] = 1;
				from = path[i];
			}
			putchar('\n');
			violations++;
		}
	}
	free(shown);
	free(path);
}

static void check_rooms(void)
{
	for (int a = 0; a < nfiles; a++)
		if (!known_room(files[a].room)) {
			printf("layers: %s: room '%s' is not in the rules table of tools/layers.c\n",
			       files[a].name, files[a].room);
			violations++;
		}
	for (int a = 0; a < nfiles; a++) {
		for (int b = 0; b < nfiles; b++) {
			const char *sym = EDGE(a, b) < 0 ? NULL : defs[EDGE(a, b)].sym;

			if (sym && is_verb(files[a].name) && is_verb(files[b].name)) {
				printf("layers: a verb uses a verb: %s -> %s (%s)\n",
				       files[a].name, files[b].name, sym);
				violations++;
			}
			if (sym && known_room(files[a].room) && known_room(files[b].room) &&
			    !allowed(files[a].room, files[b].room)) {
				printf("layers: %s may not use %s: %s -> %s (%s)\n",
				       files[a].room, files[b].room, files[a].name,
				       files[b].name, sym);
				violations++;
			}
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: layers ROOT OBJECT...\n");
		return 2;
	}
	qsort(argv + 2, argc - 2, sizeof(*argv), cmp_str);
	for (int i = 2; i < argc; i++)
		read_object(argv[1], argv[i]);
	build_graph();
	check_cycles();
	check_rooms();
	fflush(stdout);
	fprintf(stderr, "layers: %d files, %d violations\n", nfiles, violations);
	return violations ? 1 : 0;
}
