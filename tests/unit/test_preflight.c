// SPDX-License-Identifier: GPL-2.0-or-later
/* preflight end to end (docs/upgrades.md), through the binary: a fake
 * machine in a temporary directory (a /boot with two kernels' vmlinuz and
 * config, GRUB's or systemd-boot's files, a /vmlinuz link, a running
 * kernel in <host_root>/proc) over the trees of insttest.h, whose two
 * kernels are the machine's real headers (discovered, never typed in).
 * Nothing of the machine's /boot, /lib/modules or /var/lib/dkms is read
 * or written. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/spec.h"
#include "insttest.h"
#include "sbtest.h"

TestSuite(preflight, .fini = sbt_cleanup);

/* The trees, plus the fake machine: <root>/machine is boot_root and
 * host_root; @running is its running kernel. old/new: the two kernels
 * of the install tree by version. */
struct pf {
	struct it t;
	char old[256], new_[256], machine[300];
};

static void pf_setup(struct pf *p, const char *running)
{
	struct it *t = &p->t;

	setup(t);
	snprintf(p->old, sizeof(p->old), "%s",
		 dks_version_cmp(t->kver, t->other) < 0 ? t->kver : t->other);
	snprintf(p->new_, sizeof(p->new_), "%s",
		 dks_version_cmp(t->kver, t->other) < 0 ? t->other : t->kver);
	snprintf(p->machine, sizeof(p->machine), "%s/machine", t->root);
	cr_assert_eq(sh(t,
			"mkdir -p %s && cd %s && mkdir -p boot proc/sys/kernel && "
			"echo '%s' > proc/sys/kernel/osrelease && "
			"for k in %s %s; do echo kernel > boot/vmlinuz-$k && "
			"cp /lib/modules/$k/build/.config boot/config-$k; done && "
			"printf 'host_root: %s\\nboot_root: %s\\n' >> ../config.yaml",
			p->machine, p->machine, running, p->old, p->new_, p->machine, p->machine),
		     0, "%s", t->out);
}

static void pf_write(struct pf *p, const char *rel, const char *text)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", p->machine, rel);
	cr_assert_eq(sh(&p->t, "mkdir -p \"$(dirname %s)\"", path), 0);
	sbt_write_file(path, text, 0, 0, 0644);
}

/* grub.cfg as grub-mkconfig writes it (GRUB_DEFAULT=saved), with an
 * entry for each kernel in the "Advanced options" submenu. */
static void pf_grub(struct pf *p, const char *saved)
{
	char cfg[4096], env[1024 + 1];
	int n;

	snprintf(
	    cfg, sizeof(cfg),
	    "if [ -s $prefix/grubenv ]; then\n  load_env\nfi\n"
	    "if [ \"${next_entry}\" ] ; then\n   set default=\"${next_entry}\"\n"
	    "   set next_entry=\n   save_env next_entry\nelse\n"
	    "   set default=\"${saved_entry}\"\nfi\n"
	    "menuentry 'Debian GNU/Linux' $menuentry_id_option 'gnulinux-simple-x' {\n"
	    "\tlinux\t/boot/vmlinuz-%s root=UUID=x ro quiet\n}\n"
	    "submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option "
	    "'gnulinux-advanced-x' {\n"
	    "\tmenuentry 'Debian GNU/Linux, with Linux %s' $menuentry_id_option 'gnulinux-%s' {\n"
	    "\t\tlinux\t/boot/vmlinuz-%s root=UUID=x ro quiet\n\t}\n"
	    "\tmenuentry 'Debian GNU/Linux, with Linux %s' $menuentry_id_option 'gnulinux-%s' {\n"
	    "\t\tlinux\t/boot/vmlinuz-%s root=UUID=x ro quiet\n\t}\n}\n",
	    p->new_, p->new_, p->new_, p->new_, p->old, p->old, p->old);
	pf_write(p, "boot/grub/grub.cfg", cfg);
	n = snprintf(env, sizeof(env), "# GRUB Environment Block\nsaved_entry=%s\n", saved);
	memset(env + n, '#', sizeof(env) - 1 - (size_t)n);
	env[sizeof(env) - 1] = '\0';
	pf_write(p, "boot/grub/grubenv", env);
}

/* hello (insttest.h) made AUTOINSTALL, and added. */
static void pf_hello(struct pf *p)
{
	cr_assert_eq(sh(&p->t, "echo AUTOINSTALL=yes >> %s/src/hello-1.0/dkms.conf", p->t.root), 0);
	cr_assert_eq(dks(&p->t, "add hello/1.0"), 0, "%s", p->t.out);
}

/* bad/1.0: hello that does not compile, AUTOINSTALL, added. */
static void pf_bad(struct pf *p)
{
	cr_assert_eq(sh(&p->t,
			"cd %s/src && cp -r hello-1.0 bad-1.0 && "
			"sed -i 's/^PACKAGE_NAME=.*/PACKAGE_NAME=bad/' bad-1.0/dkms.conf && "
			"grep -q AUTOINSTALL bad-1.0/dkms.conf || echo AUTOINSTALL=yes >> "
			"bad-1.0/dkms.conf; echo 'this does not compile;' >> bad-1.0/hello.c && "
			"chmod -R a+rX .",
			p->t.root),
		     0, "%s", p->t.out);
	cr_assert_eq(dks(&p->t, "add bad/1.0"), 0, "%s", p->t.out);
}

static int preflight(struct pf *p, const char *more)
{
	char args[512];

	snprintf(args, sizeof(args), "preflight %s", more);
	return dks(&p->t, args);
}

/* The JSON report's next_boot object, as one line to match. */
static void expect_next_boot(struct pf *p, const char *kver, const char *source)
{
	char want[512];

	snprintf(want, sizeof(want), "\"next_boot\": {\"kernel\": \"%s\", \"source\": \"%s\"", kver,
		 source);
	cr_expect(strstr(p->t.out, want), "'%s' not in:\n%s", want, p->t.out);
}

static bool installed_for(struct pf *p, const char *m, const char *kver)
{
	char args[512], want[512];

	snprintf(args, sizeof(args), "status %s/1.0 -k %s", m, kver);
	snprintf(want, sizeof(want), "%s/1.0, %s, ", m, kver);
	dks(&p->t, args);
	return strstr(p->t.out, want) && strstr(p->t.out, ": installed");
}

/* GRUB_DEFAULT=saved, grubenv's saved_entry naming the older kernel
 * through the submenu; the machine runs the newer one: preflight builds
 * and installs for the default entry's kernel, and only for it. */
Test(preflight, grub_saved_entry_kernel_is_built_and_installed, .timeout = 300)
{
	struct pf p;
	char saved[600];

	pf_setup(&p, "");
	snprintf(saved, sizeof(saved), "gnulinux-advanced-x>gnulinux-%s", p.old);
	cr_assert_eq(sh(&p.t, "echo '%s' > %s/proc/sys/kernel/osrelease", p.new_, p.machine), 0);
	pf_grub(&p, saved);
	pf_hello(&p);
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	expect_next_boot(&p, p.old, "grub");
	cr_expect(strstr(p.t.out, "\"result\": \"installed\""), "%s", p.t.out);
	cr_expect(installed_for(&p, "hello", p.old), "%s", p.t.out);
	cr_expect(!installed_for(&p, "hello", p.new_), "the running kernel is not prepared");
}

/* next_entry (grub-reboot) wins over saved_entry; a number is an index. */
Test(preflight, grub_next_entry_wins_over_saved_entry)
{
	struct pf p;
	char env[1100];

	pf_setup(&p, "");
	cr_assert_eq(sh(&p.t, "echo '%s' > %s/proc/sys/kernel/osrelease", p.new_, p.machine), 0);
	pf_grub(&p, "0");
	snprintf(env, sizeof(env), "# GRUB Environment Block\nsaved_entry=0\nnext_entry=1>1\n");
	pf_write(&p, "boot/grub/grubenv", env);
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	expect_next_boot(&p, p.old, "grub");
	pf_grub(&p, "0");
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	expect_next_boot(&p, p.new_, "grub");
}

/* systemd-boot: loader.conf's default pattern, and the one-shot EFI
 * variable over it (when systemd-boot booted the machine: LoaderInfo). */
Test(preflight, systemd_boot_default_and_one_shot_entries)
{
	static const char guid[] = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";
	struct pf p;
	char text[600], var[600];

	pf_setup(&p, "0.0.1-1-test");
	pf_write(&p, "boot/efi/loader/loader.conf", "timeout 3\ndefault old-*\n");
	snprintf(text, sizeof(text), "title Debian\nversion %s\nlinux /m/%s/linux\n", p.old, p.old);
	pf_write(&p, "boot/efi/loader/entries/old-1.conf", text);
	snprintf(text, sizeof(text), "title Debian\nlinux /vmlinuz-%s\n", p.new_);
	pf_write(&p, "boot/efi/loader/entries/new-1.conf", text);
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	expect_next_boot(&p, p.old, "systemd-boot");
	snprintf(var, sizeof(var), "%s/sys/firmware/efi/efivars/LoaderEntryOneShot-%s", p.machine,
		 guid);
	cr_assert_eq(sh(&p.t,
			"mkdir -p \"$(dirname %s)\" && printf '\\7\\0\\0\\0' > %s && "
			"printf 'new-1.conf' | iconv -t UTF-16LE >> %s && : > "
			"\"$(dirname %s)/LoaderInfo-%s\"",
			var, var, var, var, guid),
		     0, "%s", p.t.out);
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	expect_next_boot(&p, p.new_, "systemd-boot");
}

/* No boot loader's files: the /vmlinuz link, else the newest kernel. */
Test(preflight, vmlinuz_link_then_the_newest_installed_kernel)
{
	struct pf p;

	pf_setup(&p, "0.0.1-1-test");
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	expect_next_boot(&p, p.new_, "newest");
	cr_assert_eq(sh(&p.t, "ln -s boot/vmlinuz-%s %s/vmlinuz", p.old, p.machine), 0);
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	expect_next_boot(&p, p.old, "vmlinuz");
}

/* Every installed kernel newer than the running one is prepared too. */
Test(preflight, every_kernel_newer_than_the_running_one_is_prepared)
{
	struct pf p;
	char want[600];

	pf_setup(&p, "0.0.1-1-test");
	cr_assert_eq(sh(&p.t, "ln -s boot/vmlinuz-%s %s/vmlinuz", p.old, p.machine), 0);
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	snprintf(want, sizeof(want),
		 "{\"kernel\": \"%s\", \"next_boot\": true, "
		 "\"newer_than_running\": true",
		 p.old);
	cr_expect(strstr(p.t.out, want), "%s", p.t.out);
	snprintf(want, sizeof(want),
		 "{\"kernel\": \"%s\", \"next_boot\": false, "
		 "\"newer_than_running\": true",
		 p.new_);
	cr_expect(strstr(p.t.out, want), "%s", p.t.out);
	cr_assert_eq(sh(&p.t, "echo '%s' > %s/proc/sys/kernel/osrelease", p.new_, p.machine), 0);
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	cr_expect(!strstr(p.t.out, want), "the running kernel is not newer than itself");
}

/* The next boot's kernel is the older one; the running is the newer. */
static void pf_next_is_old(struct pf *p)
{
	cr_assert_eq(sh(&p->t,
			"echo '%s' > %s/proc/sys/kernel/osrelease && "
			"ln -s boot/vmlinuz-%s %s/vmlinuz",
			p->new_, p->machine, p->old, p->machine),
		     0, "%s", p->t.out);
}

/* An optional module that fails is reported and preflight exits 0; the
 * same module marked critical makes it exit 11 and say why in one line. */
Test(preflight, exit_code_follows_the_policy, .timeout = 300)
{
	struct pf p;
	char want[600];

	pf_setup(&p, "");
	pf_next_is_old(&p);
	pf_hello(&p);
	pf_bad(&p);
	cr_assert_eq(preflight(&p, ""), 0, "%s", p.t.out);
	snprintf(want, sizeof(want), "bad/1.0, %s, ", p.old);
	cr_expect(strstr(p.t.out, want) && strstr(p.t.out, ": failed (exit 10) [optional]"), "%s",
		  p.t.out);
	cr_expect(strstr(p.t.out, ": installed [optional]"), "hello still installs:\n%s", p.t.out);
	cr_assert_eq(sh(&p.t, "echo 'preflight: {critical: [bad]}' >> %s/config.yaml", p.t.root),
		     0);
	cr_assert_eq(preflight(&p, "--json"), 11, "%s", p.t.out);
	cr_expect(strstr(p.t.out, "\"module\": \"bad\", \"version\": \"1.0\", \"arch\": "), "%s",
		  p.t.out);
	cr_expect(strstr(p.t.out, "\"result\": \"failed\", \"exit_code\": 10, \"critical\": true"),
		  "%s", p.t.out);
	cr_expect(strstr(p.t.out, "\"critical_failures\": 1,\n  \"exit_code\": 11"), "%s", p.t.out);
	cr_expect(strstr(p.t.out, "dkms-sandbox: preflight: 1 critical module(s) failed"), "%s",
		  p.t.out);
}

static void pf_record(struct pf *p, char *path, size_t size)
{
	snprintf(path, size, "%s/dkms/bad/1.0/%s/%s/preflight-failed", p->t.root, p->old,
		 "$(uname -m)");
}

/* The memory of failures: an unchanged failed optional module is not
 * built again; a changed source byte, or --force, builds it again. */
Test(preflight, a_failed_optional_module_waits_for_a_changed_input, .timeout = 300)
{
	struct pf p;
	char rec[700];

	pf_setup(&p, "");
	pf_next_is_old(&p);
	pf_bad(&p);
	pf_record(&p, rec, sizeof(rec));
	cr_assert_eq(preflight(&p, ""), 0, "%s", p.t.out);
	cr_expect(strstr(p.t.out, "bad/1.0, ") && strstr(p.t.out, ": building"), "%s", p.t.out);
	cr_assert_eq(sh(&p.t, "head -c 32 %s", rec), 0, "no record: %s", p.t.out);
	cr_expect_str_eq(p.t.out, "dkms-sandbox preflight-failed 1\n");
	cr_assert_eq(preflight(&p, ""), 0, "%s", p.t.out);
	cr_expect(strstr(p.t.out, ": failed before with the same inputs (exit 10): not built again "
				  "(--force retries)"),
		  "%s", p.t.out);
	cr_expect(!strstr(p.t.out, ": building"), "%s", p.t.out);
	cr_expect(strstr(p.t.out, ": held (exit 10) [optional]"), "%s", p.t.out);
	/* one byte of its source changed: an input changed */
	cr_assert_eq(sh(&p.t, "echo ' ' >> %s/src/bad-1.0/hello.c", p.t.root), 0);
	cr_assert_eq(preflight(&p, ""), 0, "%s", p.t.out);
	cr_expect(strstr(p.t.out, ": building"), "rebuilt after a change:\n%s", p.t.out);
	cr_assert_eq(preflight(&p, ""), 0, "%s", p.t.out);
	cr_expect(!strstr(p.t.out, ": building"), "held again:\n%s", p.t.out);
	cr_assert_eq(preflight(&p, "--force"), 0, "%s", p.t.out);
	cr_expect(strstr(p.t.out, ": building"), "--force retries:\n%s", p.t.out);
}

/* A damaged record is ignored with one warning: the module is built. */
Test(preflight, a_damaged_failure_record_is_ignored_with_a_warning, .timeout = 300)
{
	struct pf p;
	char rec[700];

	pf_setup(&p, "");
	pf_next_is_old(&p);
	pf_bad(&p);
	pf_record(&p, rec, sizeof(rec));
	cr_assert_eq(preflight(&p, ""), 0, "%s", p.t.out);
	cr_assert_eq(sh(&p.t, "sed -i 's/^code .*/code 999/' %s", rec), 0, "%s", p.t.out);
	cr_assert_eq(preflight(&p, ""), 0, "%s", p.t.out);
	cr_expect(strstr(p.t.out, "preflight-failed: a damaged failure record (ignored: the module "
				  "is built again)"),
		  "%s", p.t.out);
	cr_expect(strstr(p.t.out, ": building"), "%s", p.t.out);
	cr_assert_eq(sh(&p.t, "rm %s && mkfifo %s", rec, rec), 0, "%s", p.t.out);
	cr_assert_eq(preflight(&p, ""), 0, "%s", p.t.out);
	cr_expect(strstr(p.t.out, "not a readable failure record"), "a FIFO:\n%s", p.t.out);
}

static int count_lines_with(const char *out, const char *needle)
{
	int n = 0;

	for (const char *s = out; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

/* A damaged grub.cfg, grubenv or loader.conf: one line naming the file
 * and what is wrong, then the next source. */
Test(preflight, damaged_boot_files_are_one_line_and_a_fallback)
{
	struct pf p;

	pf_setup(&p, "0.0.1-1-test");
	cr_assert_eq(sh(&p.t, "ln -s boot/vmlinuz-%s %s/vmlinuz", p.old, p.machine), 0);
	pf_grub(&p, "0");
	/* truncated: the submenu is never closed */
	cr_assert_eq(sh(&p.t, "sed -i '$d' %s/boot/grub/grub.cfg", p.machine), 0);
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	cr_expect_eq(count_lines_with(p.t.out, "warning: boot/grub/grub.cfg: 1 block(s) not closed "
					       "(a truncated file?); the next boot's kernel is "
					       "taken from /vmlinuz or the newest kernel"),
		     1, "%s", p.t.out);
	expect_next_boot(&p, p.old, "vmlinuz");
	/* grubenv damaged: GRUB reads no variables, its default is entry 0 */
	pf_grub(&p, "1>1");
	pf_write(&p, "boot/grub/grubenv", "saved_entry=1>1\n");
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	cr_expect(strstr(p.t.out, "boot/grub/grubenv: not a GRUB environment block"), "%s",
		  p.t.out);
	expect_next_boot(&p, p.new_, "grub");
	/* loader.conf with a control character, systemd-boot alone */
	cr_assert_eq(sh(&p.t, "rm -r %s/boot/grub", p.machine), 0);
	pf_write(&p, "boot/efi/loader/loader.conf", "default \x1b]0;x\x07\n");
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	cr_expect_eq(count_lines_with(p.t.out, "boot/efi/loader/loader.conf:1: a control character;"
					       " the next boot's kernel is taken from GRUB"),
		     1, "%s", p.t.out);
	expect_next_boot(&p, p.old, "vmlinuz");
}

/* The next boot's kernel has no headers: reported per module with
 * dkms's 21; a critical module makes preflight fail. */
Test(preflight, a_kernel_without_headers_fails_only_critical_modules, .timeout = 300)
{
	struct pf p;

	pf_setup(&p, "");
	cr_assert_eq(sh(&p.t,
			"echo '%s' > %s/proc/sys/kernel/osrelease && "
			"ln -s boot/vmlinuz-9.9.9-noheaders %s/vmlinuz",
			p.new_, p.machine, p.machine),
		     0);
	pf_hello(&p);
	cr_assert_eq(preflight(&p, ""), 0, "%s", p.t.out);
	cr_expect(strstr(p.t.out, "kernel 9.9.9-noheaders: no headers"), "%s", p.t.out);
	cr_expect(strstr(p.t.out, "hello/1.0, 9.9.9-noheaders, ?: no-headers (exit 21) [optional]"),
		  "%s", p.t.out);
	cr_assert_eq(sh(&p.t, "echo 'preflight: {critical: [hello]}' >> %s/config.yaml", p.t.root),
		     0);
	cr_assert_eq(preflight(&p, ""), 11, "%s", p.t.out);
}

/* preflight.critical holds module names: anything else is refused. */
Test(preflight, critical_list_is_checked_in_config_yaml)
{
	struct pf p;

	pf_setup(&p, "");
	cr_assert_eq(
	    sh(&p.t, "echo 'preflight: {critical: [hello, ../x]}' >> %s/config.yaml", p.t.root), 0);
	cr_expect_eq(preflight(&p, ""), 1, "%s", p.t.out);
	cr_expect(strstr(p.t.out, "config.yaml:") && strstr(p.t.out, "preflight.critical"), "%s",
		  p.t.out);
	cr_assert_eq(sh(&p.t,
			"sed -i 's/^preflight: .*/preflight: {critical: [a, a]}/' "
			"%s/config.yaml",
			p.t.root),
		     0);
	cr_expect_eq(preflight(&p, ""), 1, "%s", p.t.out);
	cr_expect(strstr(p.t.out, "duplicate module 'a'"), "%s", p.t.out);
}

/* An entry name with terminal escapes (grubenv is any bytes) is never
 * printed raw: '?' on the terminal, \u001b in JSON. */
Test(preflight, terminal_escapes_in_boot_entry_names_are_not_printed)
{
	struct pf p;

	pf_setup(&p, "0.0.1-1-test");
	pf_grub(&p, "\x1b]0;pwned\x07\x1b[2J");
	cr_assert_eq(preflight(&p, ""), 0, "%s", p.t.out);
	cr_expect(strstr(p.t.out, "is not in the menu: GRUB boots entry 0"), "%s", p.t.out);
	cr_expect(!strchr(p.t.out, '\x1b'), "an escape reached the terminal:\n%s", p.t.out);
	cr_assert_eq(preflight(&p, "--json"), 0, "%s", p.t.out);
	cr_expect(!strchr(p.t.out, '\x1b') && strstr(p.t.out, "\\u001b]0;pwned"), "%s", p.t.out);
}

/* MODULE arguments: only those are prepared. --json: stdout is the
 * report alone (the builds' lines go to stderr). */
Test(preflight, named_modules_only_and_json_alone_on_stdout, .timeout = 300)
{
	struct pf p;
	size_t n;

	pf_setup(&p, "");
	pf_next_is_old(&p);
	pf_hello(&p);
	pf_bad(&p);
	cr_assert_eq(
	    sh(&p.t, "{ %s preflight bad --json %s 2>/dev/null; }", getenv("DKS_BIN"), p.t.opts), 0,
	    "%s", p.t.out);
	n = strlen(p.t.out);
	cr_expect(strncmp(p.t.out, "{\n  \"next_boot\": ", 17) == 0 && n > 2 &&
		      strcmp(p.t.out + n - 2, "}\n") == 0,
		  "stdout is not the report alone:\n%s", p.t.out);
	cr_expect(strstr(p.t.out, "\"module\": \"bad\""), "%s", p.t.out);
	cr_expect(!strstr(p.t.out, "\"module\": \"hello\""), "hello was not asked for:\n%s",
		  p.t.out);
	cr_expect(!installed_for(&p, "hello", p.old));
}

/* dkms's no-autoinstall turns preflight off as it does autoinstall; a -k
 * is refused (preflight finds its kernels). */
Test(preflight, no_autoinstall_and_k_are_said)
{
	struct pf p;

	pf_setup(&p, "");
	pf_next_is_old(&p);
	cr_expect_eq(preflight(&p, "-k 1.2.3"), 1, "%s", p.t.out);
	cr_expect(strstr(p.t.out, "preflight: -k is not taken"), "%s", p.t.out);
	cr_assert_eq(sh(&p.t,
			"mkdir -p %s/etc-dkms && : > %s/etc-dkms/no-autoinstall && "
			"echo 'dkms_confdir: %s/etc-dkms' >> %s/config.yaml",
			p.t.root, p.t.root, p.t.root, p.t.root),
		     0);
	pf_hello(&p);
	cr_expect_eq(preflight(&p, ""), 0, "%s", p.t.out);
	cr_expect(strstr(p.t.out, "Automatic installation of modules has been disabled."), "%s",
		  p.t.out);
	cr_expect(!strstr(p.t.out, ": building"), "%s", p.t.out);
}

/* A source whose digest cannot be made (a FIFO in it, named with a
 * terminal escape): one safe warning, the module built, nothing
 * remembered. */
Test(preflight, a_source_without_a_digest_is_built_and_not_remembered, .timeout = 300)
{
	struct pf p;
	char rec[700];

	pf_setup(&p, "");
	pf_next_is_old(&p);
	pf_bad(&p);
	cr_assert_eq(sh(&p.t, "mkfifo \"%s/src/bad-1.0/$(printf '\\033[2J')x\"", p.t.root), 0, "%s",
		     p.t.out);
	pf_record(&p, rec, sizeof(rec));
	cr_assert_eq(preflight(&p, ""), 0, "%s", p.t.out);
	cr_expect(strstr(p.t.out, ": its failures are not remembered"), "%s", p.t.out);
	cr_expect(!strchr(p.t.out, '\x1b'), "an escape reached the terminal:\n%s", p.t.out);
	cr_expect(strstr(p.t.out, ": failed (exit "), "%s", p.t.out);
	cr_expect_neq(sh(&p.t, "test -e %s", rec), 0, "a record without a digest");
}
