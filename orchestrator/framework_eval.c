// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms's framework files evaluated in a sandbox (framework.h).
 *
 * dkms sources /etc/dkms/framework.conf and framework.conf.d/ *.conf as
 * root. They are shell, and framework.conf.d is where packages drop files:
 * so here bash sources them inside a sandbox, exactly as a dkms.conf is
 * (shelleval.c: no privileges, no network, only these files read-only, a
 * time limit and an output cap), and a fixed driver prints, for each file,
 * the keys it set and the new variables it made:
 *     F INDEX            the next file (its index in the list)
 *     S KEY VALUE        a key of dkms 3.4 this file set or changed
 *     U NAME             a variable this file made that is no key
 *     E                  the end
 * every field NUL-terminated. The host reads them strictly: a file could
 * have printed anything on the driver's stdout.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framework.h"
#include "shelleval.h"
#include "dks/cleanup.h"
#include "dks/termsafe.h"

#define DKS_FW_WORD(n) #n " "

// clang-format off
/* $1 kernelver, then the files. */
static const char driver[] =
	"__dks_keys='" DKS_FRAMEWORK_KEYS(DKS_FW_WORD) "'\n"
	"kernelver=$1; shift\n"
	/* As dkms: no key comes from the environment. */
	"unset $__dks_keys\n"
	"exec {__dks_out}>&1 1>&2 </dev/null\n"
	"__dks_i=0\n"
	"for __dks_f in \"$@\"; do\n"
	"	printf 'F\\0%s\\0' \"$__dks_i\" >&\"$__dks_out\"\n"
	"	__dks_i=$((__dks_i + 1))\n"
	"	declare -A __dks_old=()\n"
	"	for __dks_n in $__dks_keys; do\n"
	"		[[ -v $__dks_n ]] && __dks_old[$__dks_n]=${!__dks_n}\n"
	"	done\n"
	"	__dks_before=$(compgen -v)\n"
	/* A file the build uid cannot read is an error, not an empty file. */
	"	__dks_text=$(sed 's/\\r$//' \"$__dks_f\") || exit 2\n"
	"	bash -n <<<\"$__dks_text\" || { echo \"in $__dks_f\" >&2; exit 2; }\n"
	"	set --\n"
	"	. <(printf '%s\\n' \"$__dks_text\") >/dev/null\n"
	"	for __dks_n in $__dks_keys; do\n"
	"		[[ -v $__dks_n ]] || continue\n"
	"		[[ -v __dks_old[$__dks_n] && ${__dks_old[$__dks_n]} == \"${!__dks_n}\" ]] && continue\n"
	"		printf 'S\\0%s\\0%s\\0' \"$__dks_n\" \"${!__dks_n}\" >&\"$__dks_out\"\n"
	"	done\n"
	/* New variables with a lower-case letter (bash's own are upper
	 * case) that are no key: a typo, or a key of another dkms. */
	"	for __dks_n in $(compgen -v); do\n"
	"		[[ $__dks_n == __dks_* || $__dks_n != *[a-z]* ]] && continue\n"
	"		[[ \" $__dks_keys \" == *\" $__dks_n \"* ]] && continue\n"
	"		[[ $'\\n'$__dks_before$'\\n' == *$'\\n'$__dks_n$'\\n'* ]] && continue\n"
	"		printf 'U\\0%s\\0' \"$__dks_n\" >&\"$__dks_out\"\n"
	"	done\n"
	"done\n"
	"printf 'E\\0' >&\"$__dks_out\"\n"
	"exit 0\n";
// clang-format on

const char *const dks_framework_key_names[DKS_FW_N] = {
#define DKS_FW_NAME(n) #n,
    DKS_FRAMEWORK_KEYS(DKS_FW_NAME)
#undef DKS_FW_NAME
};

struct reader {
	const char *pos, *end;
	struct dks_framework *fw;
	int file; /* the current F, -1 before the first */
	const char *name; /* messages: the first file */
};

static int bad(const struct reader *r, struct dks_error *err, const char *what)
{
	return dks_err(err, 0, "%s: evaluation output: %s", r->name, what);
}

static const char *field(struct reader *r)
{
	const char *f = r->pos, *nul = memchr(r->pos, '\0', (size_t)(r->end - r->pos));

	if (!nul)
		return NULL;
	r->pos = nul + 1;
	return f;
}

static int key_find(const char *name)
{
	for (int i = 0; i < DKS_FW_N; i++)
		if (strcmp(dks_framework_key_names[i], name) == 0)
			return i;
	return -1;
}

static int next_file(struct reader *r, struct dks_error *err)
{
	const char *idx = field(r);
	char *end;
	long i;

	if (!idx)
		return bad(r, err, "a cut F record");
	i = strtol(idx, &end, 10);
	if (!*idx || *end || i != r->file + 1 || i >= (long)r->fw->n_files)
		return bad(r, err, "files out of order");
	r->file = (int)i;
	return 0;
}

static int set_key(struct reader *r, struct dks_error *err)
{
	const char *name = field(r), *val = name ? field(r) : NULL;
	int k = name ? key_find(name) : -1;
	char *copy;

	if (!val || k < 0 || r->file < 0)
		return bad(r, err, "a bad S record");
	copy = strdup(val);
	if (!copy)
		return dks_err(err, ENOMEM, "%s", r->name);
	free(r->fw->val[k]);
	r->fw->val[k] = copy;
	r->fw->setter[k] = r->file;
	return 0;
}

/* One warning per unknown key, naming the file; the name is cleaned of
 * anything a terminal would act on. */
static int unknown_key(struct reader *r, struct dks_error *err)
{
	const char *name = field(r);
	cleanup_free char *shown = NULL;

	if (!name || r->file < 0)
		return bad(r, err, "a bad U record");
	shown = dks_termsafe_str(name);
	dks_warn("%s: unknown key '%s' (ignored)", r->fw->files[r->file], shown ? shown : "?");
	return 0;
}

static int read_records(struct reader *r, struct dks_error *err)
{
	for (;;) {
		const char *type = field(r);
		int rc;

		if (!type)
			return bad(r, err, "no end record");
		if (strcmp(type, "E") == 0)
			return r->pos == r->end ? 0 : bad(r, err, "bytes after the end");
		rc = strcmp(type, "F") == 0   ? next_file(r, err)
		     : strcmp(type, "S") == 0 ? set_key(r, err)
		     : strcmp(type, "U") == 0 ? unknown_key(r, err)
					      : bad(r, err, "an unknown record");
		if (rc < 0)
			return -1;
	}
}

int dks_framework_read_records(const char *records, size_t len, struct dks_framework *fw,
			       struct dks_error *err)
{
	struct reader r = {.pos = records, .end = records + len, .fw = fw, .file = -1,
			   .name = fw->n_files ? fw->files[0] : "framework.conf"};

	return read_records(&r, err);
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
}

/* Each file by its real path: that is where the sandbox sees it. */
static int real_paths(const struct dks_framework *fw, char **real, struct dks_error *err)
{
	for (size_t i = 0; i < fw->n_files; i++) {
		real[i] = realpath(fw->files[i], NULL);
		if (!real[i])
			return dks_err(err, errno, "%s", fw->files[i]);
	}
	return 0;
}

int dks_framework_eval(const struct dks_eval_opts *o, const char *kver, struct dks_framework *fw,
		       struct dks_error *err)
{
	char *real[DKS_FRAMEWORK_MAX_FILES] = {0}, *argv[5 + DKS_FRAMEWORK_MAX_FILES] = {0};
	cleanup_free char *records = NULL;
	size_t len = 0;
	int rc = real_paths(fw, real, err);
	const struct dks_shell_job j = {.name = fw->files[0], .what = "framework.conf",
					.exit_code = 1, .o = o, .ro = (const char *const *)real,
					.n_ro = fw->n_files, .argv = argv};

	argv[0] = "bash", argv[1] = "-c", argv[2] = (char *)driver, argv[3] = "bash";
	argv[4] = (char *)(kver ? kver : "");
	for (size_t i = 0; i < fw->n_files; i++)
		argv[5 + i] = real[i];
	if (rc == 0)
		rc = dks_shell_eval(&j, &records, &len, err);
	if (rc == 0)
		rc = dks_framework_read_records(records, len, fw, err);
	free_strs(real, fw->n_files);
	return rc;
}
