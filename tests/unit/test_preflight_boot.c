// SPDX-License-Identifier: GPL-2.0-or-later
/* The boot files' parsers of preflight (orchestrator/bootnext.h), on
 * bytes: what each format names as the next boot's kernel, and a damaged
 * file as one error naming it (and its line), never a crash or a guess. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/bootnext.h"

TestSuite(preflightboot);

/* A grub.cfg as grub-mkconfig writes it, GRUB_DEFAULT=saved, two kernels. */
static const char grub_cfg[] =
    "if [ -s $prefix/grubenv ]; then\n"
    "  load_env\n"
    "fi\n"
    "if [ \"${next_entry}\" ] ; then\n"
    "   set default=\"${next_entry}\"\n"
    "   set next_entry=\n"
    "else\n"
    "   set default=\"${saved_entry}\"\n"
    "fi\n"
    "function load_video {\n"
    "  insmod all_video\n"
    "}\n"
    "menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'simple-x' {\n"
    "\tlinux\t/boot/vmlinuz-2.0.0-new root=UUID=x ro quiet\n"
    "}\n"
    "submenu 'Advanced options' $menuentry_id_option 'advanced-x' {\n"
    "\tmenuentry 'Debian, with Linux 2.0.0-new' $menuentry_id_option 'k-new' {\n"
    "\t\tlinux\t/boot/vmlinuz-2.0.0-new root=UUID=x ro\n"
    "\t}\n"
    "\tmenuentry \"Debian, with \\\"Linux\\\" 1.0.0-old\" --id k-old {\n"
    "\t\tif [ x$grub_platform = xefi ]; then\n"
    "\t\t\tlinux\t/vmlinuz-1.0.0-old root=UUID=x ro\n"
    "\t\tfi\n"
    "\t}\n"
    "}\n"
    "menuentry 'Memory test' {\n"
    "\tlinux16\t/boot/memtest86+x64.bin\n"
    "}\n";

static void parse_ok(const char *text, struct dks_grub_cfg *c)
{
	struct dks_error e = {0};

	cr_assert_eq(dks_grubcfg_parse(text, strlen(text), "grub.cfg", c, &e), 0, "%s", e.msg);
}

Test(preflightboot, grub_cfg_entries_resolve_by_number_id_title_and_submenu_path)
{
	struct dks_grub_cfg c;

	parse_ok(grub_cfg, &c);
	cr_expect_str_eq(c.deflt, "${saved_entry}");
	cr_expect_str_eq(dks_grubcfg_resolve(&c, "0"), "2.0.0-new");
	cr_expect_str_eq(dks_grubcfg_resolve(&c, "advanced-x>k-old"), "1.0.0-old");
	cr_expect_str_eq(dks_grubcfg_resolve(&c, "1>1"), "1.0.0-old");
	cr_expect_str_eq(
	    dks_grubcfg_resolve(&c, "Advanced options>Debian, with \"Linux\" 1.0.0-old"),
	    "1.0.0-old");
	cr_expect_str_eq(dks_grubcfg_resolve(&c, "advanced-x>0"), "2.0.0-new");
	cr_expect_null(dks_grubcfg_resolve(&c, "1"), "a submenu is no kernel");
	cr_expect_null(dks_grubcfg_resolve(&c, "2"), "memtest has no vmlinuz-K");
	cr_expect_null(dks_grubcfg_resolve(&c, "k-old"), "k-old is inside the submenu");
	cr_expect_null(dks_grubcfg_resolve(&c, "0>0"), "an entry is not a submenu");
	cr_expect_null(dks_grubcfg_resolve(&c, "7"));
	dks_grubcfg_clear(&c);
}

Test(preflightboot, grub_cfg_default_is_the_last_top_level_set_default)
{
	struct dks_grub_cfg c;

	parse_ok("set default=\"0\"\nmenuentry 'a' {\nset default=9\n}\nset "
		 "default='advanced-x>k-old'\n",
		 &c);
	cr_expect_str_eq(c.deflt, "advanced-x>k-old", "a set inside an entry is not the menu's");
	dks_grubcfg_clear(&c);
}

static void grub_fails(const char *text, size_t len, const char *want)
{
	struct dks_grub_cfg c;
	struct dks_error e = {0};

	cr_assert_lt(dks_grubcfg_parse(text, len, "/boot/grub/grub.cfg", &c, &e), 0, "%s", text);
	cr_expect(strstr(e.msg, want), "'%s' not in '%s'", want, e.msg);
	cr_expect(strstr(e.msg, "/boot/grub/grub.cfg"), "%s", e.msg);
	cr_expect_null(c.e);
}

Test(preflightboot, damaged_grub_cfg_is_one_error_naming_its_line)
{
	char longline[DKS_BOOT_LINE_MAX + 20];

	grub_fails("menuentry 'a' {\n linux /vmlinuz-1\n", 34, "1 block(s) not closed");
	grub_fails("}\n", 2, "grub.cfg:1: a '}' without its '{'");
	grub_fails("\n\nmenuentry 'a {\n}\n", 19, "grub.cfg:3: an unterminated quote");
	grub_fails("menuentry 'a' {\n\0}\n", 19, "a NUL byte");
	grub_fails("menuentry {\n}\n", 14, "grub.cfg:1: a menu entry without a title");
	grub_fails("menuentry 'a' {\nmenuentry 'b' {\n}\n}\n", 36,
		   "a menu entry inside a menu entry");
	memset(longline, 'x', sizeof(longline));
	grub_fails(longline, sizeof(longline), "line longer than");
}

Test(preflightboot, deep_nesting_and_many_entries_are_bounded)
{
	size_t n = 40 * 4 + 1;
	char *deep = malloc(n);

	for (size_t i = 0; i < 40; i++)
		memcpy(deep + 4 * i, "x {\n", 4);
	grub_fails(deep, 40 * 4, "nested too deep");
	free(deep);
	n = (DKS_BOOT_ENTRIES_MAX + 1) * 18;
	deep = malloc(n);
	for (size_t i = 0; i <= DKS_BOOT_ENTRIES_MAX; i++)
		memcpy(deep + 18 * i, "menuentry 'e' {\n}\n", 18);
	grub_fails(deep, n, "too many menu entries");
	free(deep);
}

Test(preflightboot, grubenv_gives_next_and_saved_entry)
{
	static const char env[] = "# GRUB Environment Block\nsaved_entry=advanced-x>k-old\n"
				  "next_entry=a\\\\b\nboot_success=1\n##########";
	struct dks_error e = {0};
	char *next, *saved;

	cr_assert_eq(dks_grubenv_parse(env, sizeof(env) - 1, "grubenv", &next, &saved, &e), 0, "%s",
		     e.msg);
	cr_expect_str_eq(saved, "advanced-x>k-old");
	cr_expect_str_eq(next, "a\\b", "GRUB's escapes undone");
	free(next);
	free(saved);
	cr_assert_eq(dks_grubenv_parse("# GRUB Environment Block\nnext_entry=\n", 37, "grubenv",
				       &next, &saved, &e),
		     0, "%s", e.msg);
	cr_expect_null(next, "empty is unset");
}

static void env_fails(const char *text, size_t len, const char *want)
{
	struct dks_error e = {0};
	char *next = (char *)1, *saved = (char *)1;

	cr_assert_lt(dks_grubenv_parse(text, len, "grubenv", &next, &saved, &e), 0);
	cr_expect(strstr(e.msg, want), "'%s' not in '%s'", want, e.msg);
	cr_expect_null(next);
	cr_expect_null(saved);
}

Test(preflightboot, damaged_grubenv_is_one_error)
{
	env_fails("saved_entry=0\n", 14, "not a GRUB environment block");
	env_fails("# GRUB Environment Block\nsaved_entry\n", 37, "grubenv:2: not NAME=VALUE");
	env_fails("# GRUB Environment Block\nsa-ved=1\n", 34, "grubenv:2: a bad variable name");
	env_fails("# GRUB Environment Block\nsaved_entry=\0\n", 39, "a NUL byte");
}

Test(preflightboot, loader_conf_default_and_entries)
{
	static const char conf[] = "# comment\ntimeout 3\ndefault  debian-*.conf  \neditor no\n";
	static const char entry[] = "title Debian\nversion 6.9.9-1-amd64\n"
				    "linux /abc/6.9.9-1-amd64/linux\n";
	static const char entry2[] = "title Debian\nlinux /vmlinuz-6.9.8-1-amd64\n";
	struct dks_error e = {0};
	char *s;

	cr_assert_eq(dks_loaderconf_parse(conf, sizeof(conf) - 1, "loader.conf", &s, &e), 0);
	cr_expect_str_eq(s, "debian-*.conf");
	free(s);
	cr_assert_eq(dks_bootentry_parse(entry, sizeof(entry) - 1, "e.conf", &s, &e), 0);
	cr_expect_str_eq(s, "6.9.9-1-amd64");
	free(s);
	cr_assert_eq(dks_bootentry_parse(entry2, sizeof(entry2) - 1, "e.conf", &s, &e), 0);
	cr_expect_str_eq(s, "6.9.8-1-amd64");
	free(s);
	cr_expect_lt(dks_bootentry_parse("title x\n", 8, "e.conf", &s, &e), 0);
	cr_expect(strstr(e.msg, "e.conf: no kernel release"), "%s", e.msg);
	cr_expect_lt(dks_loaderconf_parse("default \x1b[2J\n", 13, "loader.conf", &s, &e), 0);
	cr_expect(strstr(e.msg, "loader.conf:1: a control character"), "%s", e.msg);
}

Test(preflightboot, efi_variables_are_utf16_entry_ids)
{
	static const char var[] = "\x07\0\0\0d\0e\0b\0.\0c\0o\0n\0f\0\0\0";
	struct dks_error e = {0};
	char *s;

	cr_assert_eq(dks_efivar_parse(var, sizeof(var) - 1, "LoaderEntryDefault", &s, &e), 0, "%s",
		     e.msg);
	cr_expect_str_eq(s, "deb.conf");
	free(s);
	cr_expect_lt(dks_efivar_parse(var, 5, "v", &s, &e), 0, "an odd length");
	cr_expect_lt(dks_efivar_parse("\x07\0\0\0\x01\x26", 6, "v", &s, &e), 0, "not ASCII");
	cr_expect(strstr(e.msg, "v: not a printable ASCII entry id"), "%s", e.msg);
}

Test(preflightboot, image_names_give_a_kernel_release_only_when_valid)
{
	char *k = dks_boot_image_kver("/boot/vmlinuz-6.1.0-57-amd64");

	cr_expect_str_eq(k, "6.1.0-57-amd64");
	free(k);
	cr_expect_null(dks_boot_image_kver("/boot/vmlinuz-../../etc"));
	cr_expect_null(dks_boot_image_kver("/boot/vmlinuz-"));
	cr_expect_null(dks_boot_image_kver("/boot/bzImage"));
}

/* Every parser on mutations of valid input: an error or a result, never
 * a crash (check-asan runs this under ASan and UBSan). */
Test(preflightboot, mutated_boot_files_never_crash_a_parser)
{
	size_t n = sizeof(grub_cfg) - 1;
	char *buf = malloc(n);

	srand(13);
	for (int round = 0; round < 3000; round++) {
		struct dks_grub_cfg c;
		struct dks_error e = {0};
		char *a = NULL, *b = NULL;
		size_t len = (size_t)rand() % n;

		memcpy(buf, grub_cfg, n);
		for (int k = 0; k < 1 + round % 8; k++)
			buf[(size_t)rand() % n] = "{}'\"\\>#\n\0 x"[rand() % 12];
		if (dks_grubcfg_parse(buf, len, "g", &c, &e) == 0) {
			dks_grubcfg_resolve(&c, "1>1");
			dks_grubcfg_clear(&c);
		}
		dks_grubenv_parse(buf, len > 64 ? 64 : len, "e", &a, &b, &e);
		free(a);
		free(b);
		dks_loaderconf_parse(buf, len, "l", &a, &e);
		free(a);
		a = NULL;
		dks_bootentry_parse(buf, len, "b", &a, &e);
		free(a);
		a = NULL;
		dks_efivar_parse(buf, len % 600, "v", &a, &e);
		free(a);
	}
	free(buf);
}
