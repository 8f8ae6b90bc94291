// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "yamlwalk": the table-driven YAML walker (include/dks/yamlwalk.h)
 * that config.yaml, recipes and profiles share. A small table of every
 * type fills a test struct; each error is exactly one line,
 * "FILE:LINE: reason", with the document's exit code.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "dks/cleanup.h"
#include "dks/yamlwalk.h"

TestSuite(yamlwalk);

/* ---- a test struct and its tables ---- */

struct item {
	unsigned long line; /* MAPS elements begin with their line */
	char *name;
	bool on;
};

struct box {
	char *colour;
	unsigned size;
};

struct target {
	char *name, *note, *custom;
	bool flag;
	uint8_t small;
	uint64_t bytes;
	int mode;
	char **tags;
	size_t n_tags;
	char **ids;
	size_t n_ids;
	struct box box;
	unsigned long box_line;
	struct item *items;
	size_t n_items;
};

static void target_clear(struct target *t)
{
	free(t->name);
	free(t->note);
	free(t->custom);
	dks_strv_free(t->tags);
	dks_strv_free(t->ids);
	free(t->box.colour);
	for (size_t i = 0; i < t->n_items; i++)
		free(t->items[i].name);
	free(t->items);
	memset(t, 0, sizeof(*t));
}
#define cleanup_target __attribute__((cleanup(target_clear)))

static const char *check_lower(const char *s)
{
	for (; *s; s++)
		if (*s < 'a' || *s > 'z')
			return "must be lower-case letters";
	return NULL;
}

static int odd_id(const struct dks_yaml_walk *w, const yaml_node_t *item, const char *s,
		  const char *path)
{
	if (strcmp(s, "bad") == 0)
		return dks_yaml_fail(w, item, "id '%s' in '%s' is refused", s, path);
	return 0;
}

/* A CUSTOM value: the text upper-cased, to show the handler ran. */
static int parse_shout(const struct dks_yaml_walk *w, const yaml_node_t *val,
		       const struct dks_yaml_key *k, void *obj)
{
	const char *s = dks_yaml_scalar(w, val, dks_yaml_path(k));
	char **member = (char **)(void *)((char *)obj + k->off);

	if (!s)
		return -1;
	*member = strdup(s);
	for (char *p = *member; p && *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return 0;
}

static void item_init(void *elem)
{
	((struct item *)elem)->on = true;
}

static const struct dks_yaml_enum modes[] = {{"fast", 1}, {"slow", 2}, {NULL, 0}};

#define T(m) DKS_YAML_AT(struct target, m)

static const struct dks_yaml_key box_keys[] = {
    {"colour", DKS_YAML_STRING, DKS_YAML_AT(struct box, colour), .path = "box.colour",
     .check = check_lower},
    {"size", DKS_YAML_UINT, DKS_YAML_AT(struct box, size), .path = "box.size", .min = 1, .max = 10},
    {NULL},
};

static const struct dks_yaml_key item_keys[] = {
    {"name", DKS_YAML_STRING, DKS_YAML_AT(struct item, name), .path = "items.name",
     .flags = DKS_YAML_REQUIRED},
    {"on", DKS_YAML_BOOL, DKS_YAML_AT(struct item, on), .path = "items.on"},
    {NULL},
};

static const struct dks_yaml_key keys[] = {
    {"name", DKS_YAML_STRING, T(name), .flags = DKS_YAML_NONEMPTY | DKS_YAML_REQUIRED},
    {"note", DKS_YAML_STRING, T(note), .flags = DKS_YAML_EMPTY_IS_NULL},
    {"flag", DKS_YAML_BOOL, T(flag)},
    {"small", DKS_YAML_UINT, T(small)},
    {"bytes", DKS_YAML_UINT, T(bytes), .flags = DKS_YAML_SUFFIX},
    {"mode", DKS_YAML_ENUM, T(mode), .names = modes},
    {"tags", DKS_YAML_STRV, T(tags), .count_off = offsetof(struct target, n_tags),
     .check = check_lower},
    {"ids", DKS_YAML_STRV, T(ids), .count_off = offsetof(struct target, n_ids), .what = "ids",
     .noun = "id", .item = odd_id},
    {"box", DKS_YAML_MAP, .off = offsetof(struct target, box), .sub = box_keys,
     DKS_YAML_LINE_AT(struct target, box_line)},
    {"items", DKS_YAML_MAPS, T(items), .sub = item_keys, .elem_size = sizeof(struct item),
     .count_off = offsetof(struct target, n_items), .init = item_init,
     .flags = DKS_YAML_SHORT_FORM},
    {"shout", DKS_YAML_CUSTOM, T(custom), .parse = parse_shout},
    {NULL},
};

/* ---- helpers ---- */

static int walk(const char *text, unsigned flags, struct target *t, struct dks_error *err)
{
	struct dks_yaml_walk w = {
	    .source = "t.yaml", .top = "a test", .exit_code = 8, .flags = flags, .err = err};

	return dks_yaml_walk_text(&w, text, strlen(text), "test", keys, t);
}

static void walk_ok(const char *text, struct target *t)
{
	struct dks_error err = {0};

	cr_assert_eq(walk(text, 0, t, &err), 0, "%s", err.msg);
}

/* Walking @text must fail with exactly @msg, and exit code 8. */
static void walk_fails(const char *text, unsigned flags, const char *msg)
{
	cleanup_target struct target t = {0};
	struct dks_error err = {0};

	cr_assert_lt(walk(text, flags, &t, &err), 0, "walked:\n%s", text);
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq(err.exit_code, 8, "exit code %d: %s", err.exit_code, err.msg);
}

/* ---- the types ---- */

Test(yamlwalk, walker_fills_every_scalar_type)
{
	cleanup_target struct target t = {0};

	walk_ok("name: n\nnote: hi\nflag: true\nsmall: 255\nbytes: 3K\nmode: slow\nshout: up\n",
		&t);
	cr_expect_str_eq(t.name, "n");
	cr_expect_str_eq(t.note, "hi");
	cr_expect(t.flag);
	cr_expect_eq(t.small, 255);
	cr_expect_eq(t.bytes, 3072);
	cr_expect_eq(t.mode, 2);
	cr_expect_str_eq(t.custom, "UP", "the CUSTOM handler ran");
}

Test(yamlwalk, walker_fills_nested_tables)
{
	cleanup_target struct target t = {0};

	walk_ok("name: n\n"
		"box:\n"
		"  colour: red\n"
		"  size: 3\n"
		"items:\n"
		"  - name: a\n"
		"  - {name: b, on: false}\n"
		"  - c\n",
		&t);
	cr_expect_str_eq(t.box.colour, "red");
	cr_expect_eq(t.box.size, 3);
	cr_expect_eq(t.box_line, 3, "the line of the box's value");
	cr_assert_eq(t.n_items, 3);
	cr_expect_str_eq(t.items[0].name, "a");
	cr_expect(t.items[0].on, "init set the default");
	cr_expect_eq(t.items[0].line, 6);
	cr_expect_str_eq(t.items[1].name, "b");
	cr_expect_not(t.items[1].on);
	cr_expect_str_eq(t.items[2].name, "c", "a short-form item fills the first key");
	cr_expect_eq(t.items[2].line, 8);
}

Test(yamlwalk, walker_fills_string_lists)
{
	cleanup_target struct target t = {0};

	walk_ok("name: n\ntags: [a, bc]\nids: [x, y]\n", &t);
	cr_assert_eq(t.n_tags, 2);
	cr_expect_str_eq(t.tags[0], "a");
	cr_expect_str_eq(t.tags[1], "bc");
	cr_expect_null(t.tags[2], "NULL-terminated");
	cr_expect_eq(t.n_ids, 2);
}

Test(yamlwalk, walker_replaces_values_of_an_earlier_document)
{
	cleanup_target struct target t = {0};

	/* A profile is laid over the default one, key by key. */
	walk_ok("name: first\ntags: [a, b, c]\nflag: true\n", &t);
	walk_ok("name: second\ntags: [d]\n", &t);
	cr_expect_str_eq(t.name, "second");
	cr_assert_eq(t.n_tags, 1);
	cr_expect_str_eq(t.tags[0], "d");
	cr_expect(t.flag, "a key the second leaves out keeps its value");
}

/* ---- the errors ---- */

Test(yamlwalk, walker_rejects_unknown_key_with_file_and_line)
{
	walk_fails("name: n\nnmae: x\n", 0,
		   "t.yaml:2: unknown key 'nmae' (known: name, note, flag, small, bytes, mode, "
		   "tags, ids, box, items, shout)");
	walk_fails("name: n\nbox:\n  color: red\n", 0,
		   "t.yaml:3: unknown key 'color' in 'box' (known: colour, size)");
}

Test(yamlwalk, walker_rejects_duplicate_key)
{
	walk_fails("name: a\nflag: true\nname: b\n", 0,
		   "t.yaml:3: duplicate key 'name' (first on line 1)");
	walk_fails("name: n\nbox:\n  size: 1\n  size: 2\n", 0,
		   "t.yaml:4: duplicate key 'size' (first on line 3)");
}

Test(yamlwalk, walker_checks_int_range)
{
	walk_fails("name: n\nbox: {size: 11}\n", 0, "t.yaml:2: 'box.size' is too large: '11'");
	walk_fails("name: n\nbox: {size: 0}\n", 0,
		   "t.yaml:2: 'box.size' must be at least 1, got '0'");
	walk_fails("name: n\nsmall: 256\n", 0, "t.yaml:2: 'small' is too large: '256'");
	walk_fails("name: n\nsmall: -1\n", 0, "t.yaml:2: 'small' must be a whole number, got '-1'");
	walk_fails("name: n\nsmall: 1K\n", 0, "t.yaml:2: 'small' must be a whole number, got '1K'");
	walk_fails(
	    "name: n\nbytes: 1T\n", 0,
	    "t.yaml:2: 'bytes' must be a size (bytes, or a number with K, M or G), got '1T'");
	walk_fails("name: n\nbytes: 18446744073709551616\n", 0,
		   "t.yaml:2: 'bytes' is too large: '18446744073709551616'");
	walk_fails("name: n\nbytes: 17179869184G\n", 0,
		   "t.yaml:2: 'bytes' is too large: '17179869184G'");
}

Test(yamlwalk, walker_rejects_wrong_types)
{
	walk_fails("name: [a]\n", 0, "t.yaml:1: 'name' must be a scalar, got a sequence");
	walk_fails("name: n\nbox: red\n", 0, "t.yaml:2: 'box' must be a mapping, got a scalar");
	walk_fails("name: n\ntags: a\n", 0, "t.yaml:2: 'tags' must be a sequence, got a scalar");
	walk_fails("name: n\nids: [x, [y]]\n", 0,
		   "t.yaml:2: 'ids' must be a sequence of ids, got a sequence in it");
	walk_fails("- a\n", 0, "t.yaml:1: a test must be a mapping, got a sequence");
	walk_fails("name: n\nflag: yes\n", 0, "t.yaml:2: 'flag' must be true or false, got 'yes'");
	walk_fails("name: n\nmode: medium\n", 0,
		   "t.yaml:2: unknown 'mode' 'medium' (known: fast, slow)");
	walk_fails("name: \"a\\0b\"\n", 0, "t.yaml:1: 'name' contains a NUL character");
}

Test(yamlwalk, walker_runs_value_checks)
{
	walk_fails("name: n\nbox: {colour: Red}\n", 0,
		   "t.yaml:2: 'box.colour' must be lower-case letters, got 'Red'");
	walk_fails("name: n\ntags: [a, B]\n", 0,
		   "t.yaml:2: 'tags' item must be lower-case letters, got 'B'");
	walk_fails("name: n\nids: [a, bad]\n", 0, "t.yaml:2: id 'bad' in 'ids' is refused");
	walk_fails("name: ''\n", 0, "t.yaml:1: 'name' must not be empty");
}

Test(yamlwalk, walker_rejects_duplicate_list_items)
{
	walk_fails("name: n\nids:\n  - a\n  - b\n  - a\n", 0,
		   "t.yaml:5: duplicate id 'a' in 'ids' (first on line 3)");
}

Test(yamlwalk, walker_reports_missing_required_key)
{
	walk_fails("flag: true\n", 0, "t.yaml:1: 'name' is required");
	walk_fails("name: n\nitems:\n  - on: true\n", 0, "t.yaml:3: 'items.name' is required");
}

Test(yamlwalk, walker_words_a_bad_key_as_the_document_asks)
{
	walk_fails("name: n\n[a]: 1\n", 0, "t.yaml:2: a key must be a plain name");
	walk_fails("name: n\n[a]: 1\n", DKS_YAML_KEY_KIND,
		   "t.yaml:2: a key must be a plain name, got a sequence");
	walk_fails("name: n\nbox:\n  [a]: 1\n", DKS_YAML_KEY_PATH,
		   "t.yaml:3: a key in 'box' must be a plain name");
}

Test(yamlwalk, walker_reads_nulls_as_empty_only_when_asked)
{
	cleanup_target struct target t = {0};
	struct dks_error err = {0};

	cr_assert_eq(walk("", DKS_YAML_NULL_IS_EMPTY, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(walk("# comments only\n", DKS_YAML_NULL_IS_EMPTY, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(walk("~\n", DKS_YAML_NULL_IS_EMPTY, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(walk("name: n\nnote: ~\n", DKS_YAML_NULL_IS_EMPTY, &t, &err), 0, "%s",
		     err.msg);
	cr_expect_null(t.note, "an empty nullable string is NULL");
	walk_fails("name: ~\n", DKS_YAML_NULL_IS_EMPTY, "t.yaml:1: 'name' must not be empty");
	walk_fails("", 0, "t.yaml: empty test");
	walk_fails("~\n", 0, "t.yaml:1: a test must be a mapping, got a scalar");
}

Test(yamlwalk, walker_reports_one_error_with_the_documents_exit_code)
{
	cleanup_target struct target t = {0};
	struct dks_error err = {0};
	struct dks_yaml_walk w = {.source = "x.yaml", .top = "a test", .exit_code = 3, .err = &err};
	const char *text = "name: n\nflag: maybe\nsmall: many\n";

	cr_assert_lt(dks_yaml_walk_text(&w, text, strlen(text), "test", keys, &t), 0);
	cr_expect_str_eq(err.msg, "x.yaml:2: 'flag' must be true or false, got 'maybe'",
			 "the first error only");
	cr_expect_eq(err.exit_code, 3);
}
