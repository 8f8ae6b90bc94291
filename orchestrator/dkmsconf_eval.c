// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms.conf, part 1 of 3: evaluating it in a sandbox
 * (include/dks/dkmsconf.h).
 *
 * dkms sources dkms.conf with bash, as root, on nearly every verb. Here
 * bash sources it inside a sandbox (no privileges, no network, the module
 * source and the kernel headers read-only, a time limit, a cap on what it
 * may write), then the admin's overrides (/etc/dkms/<module>.conf ...,
 * dkmsconf_override.c), and a fixed driver script prints the known
 * directives as NUL-terminated records on a memfd. This file decides what
 * the sandbox sees and the driver's arguments; shelleval.c runs it and
 * hands back the captured bytes, bounded, for dks_dkmsconf_parse()
 * (dkmsconf_spec.c). Trusts its caller's paths and options; trusts
 * nothing that comes out of the sandbox: the records are parsed strictly
 * by the other two files.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "dkmsconf_internal.h"
#include "dks/cleanup.h"
#include "dks/dkmsconf.h"
#include "dks/exit.h"
#include "shelleval.h"

/* (clang-format off: the driver reads as a script, one line per line.) */
// clang-format off
/* Arguments: $1 conf, then kernelver arch kernel_source_dir dkms_tree
 * source_tree install_tree module module_version kernel_config
 * parallel_jobs ($2..$11), the number of --directive N ($12), the N
 * directives, then the admin's override files. */
const char dks_dkmsconf_driver[] =
	"__dks_scalars='" DKS_SCALARS(DKS_WORD) "'\n"
	"__dks_arrays='" DKS_ARRAYS(DKS_WORD) "'\n"
	"__dks_conf=$1 kernelver=$2 arch=$3 kernel_source_dir=$4 dkms_tree=$5\n"
	"source_tree=$6 install_tree=$7 module=$8 module_version=$9\n"
	"kernel_config=${10} parallel_jobs=${11} __dks_nd=${12}\n"
	"__dks_dirs=(\"${@:13:__dks_nd}\") __dks_over=(\"${@:13+__dks_nd}\")\n"
	/* As dkms: no directive comes from the environment. */
	"unset $__dks_scalars $__dks_arrays\n"
	/* Defined before the conf runs, so that its aliases and options
	 * cannot change how the records are printed. "${!A[@]}" lists the
	 * indexes actually set: the host sees sparse arrays. */
	"__dks_emit() {\n"
	"	local IFS=$' \\t\\n' __dks_n __dks_i __dks_v __dks_idx\n"
	"	set +e +u +f +o pipefail\n"
	"	for __dks_n in $__dks_scalars; do\n"
	"		[[ -v $__dks_n ]] && printf 'S\\0%s\\0%s\\0' \"$__dks_n\" \"${!__dks_n}\"\n"
	"	done\n"
	"	for __dks_n in $__dks_arrays; do\n"
	"		eval \"__dks_idx=(\\\"\\${!$__dks_n[@]}\\\")\"\n"
	"		for __dks_i in \"${__dks_idx[@]}\"; do\n"
	"			eval \"__dks_v=\\${$__dks_n[\\$__dks_i]}\"\n"
	"			printf 'A\\0%s\\0%s\\0%s\\0' \"$__dks_n\" \"$__dks_i\" \"$__dks_v\"\n"
	"		done\n"
	"	done\n"
	"	printf 'E\\0'\n"
	"}\n"
	/* dkms's safe_source: the file is sourced in a subshell that then
	 * echoes each directive as NAME[I]="VALUE", VALUE unquoted, and
	 * the main shell sources that echo. So a value reaches dkms as its
	 * words (split on blanks, tabs and newlines) joined by one space, a
	 * space at either end where it had blanks, evaluated once more in
	 * double quotes; the file's other variables and functions are gone.
	 * zfs-dkms's multi-line PRE_BUILD becomes one line, its --host=\"\"
	 * an empty --host=. As dkms but for pathname expansion: dkms's
	 * matches files in its own cwd, here nothing is expanded. */
	"__dks_echo() {\n"
	"	local IFS=$' \\t\\n' __dks_n __dks_i __dks_idx\n"
	"	set +e +u -f +o pipefail\n"
	"	for __dks_n in $__dks_scalars $__dks_arrays; do\n"
	"		eval \"__dks_idx=(\\\"\\${!$__dks_n[@]}\\\")\"\n"
	"		for __dks_i in \"${__dks_idx[@]}\"; do\n"
	"			eval builtin echo '$__dks_n[$__dks_i]=\\\"${'$__dks_n'[$__dks_i]}\\\"'\n"
	"		done\n"
	"	done\n"
	"}\n"
	/* FILE: sourced, its stdout on stderr (dkms discards it). A file
	 * that exits ends the evaluation: with its status, or 1 if it
	 * "succeeded" before its end (the first line echoed says it got
	 * there). */
	"__dks_source() {\n"
	"	local __dks_t\n"
	"	__dks_t=$(exec {__dks_o}>&1 1>&2; __dks_file=$1; set --; . \"$__dks_file\"\n"
	"		__dks_t=$(__dks_echo)\n"
	"		printf '__dks_done=1\\n%s\\n' \"$__dks_t\" >&\"$__dks_o\") || exit\n"
	"	__dks_done=\n"
	"	eval \"$__dks_t\"\n"
	"	[ -n \"$__dks_done\" ] || { echo \"$2 exits before its end\" >&2; exit 1; }\n"
	"}\n"
	/* The records keep the real stdout. */
	"exec {__dks_out}>&1 1>&2 </dev/null\n"
	/* A syntax error would only end `.` early and leave a half-read
	 * conf: parse it first (bash -n runs nothing). CRLF files are
	 * accepted: the CR of each line end is dropped. */
	"if grep -q $'\\r' \"$__dks_conf\" 2>/dev/null; then\n"
	"	bash -n <(sed 's/\\r$//' \"$__dks_conf\") || exit 2\n"
	"	__dks_source <(sed 's/\\r$//' \"$__dks_conf\") \"$__dks_conf\"\n"
	"else\n"
	"	bash -n \"$__dks_conf\" || exit 2\n"
	"	__dks_source \"$__dks_conf\" \"$__dks_conf\"\n"
	"fi\n"
	/* As dkms's read_conf: the overrides after the conf, each sourced
	 * as the conf was, seeing the values so far; any may change any
	 * directive. */
	"for __dks_f in \"${__dks_over[@]}\"; do\n"
	"	__dks_text=$(sed 's/\\r$//' \"$__dks_f\") || exit 2\n"
	"	bash -n <<<\"$__dks_text\" || { echo \"in $__dks_f\" >&2; exit 2; }\n"
	"	__dks_source <(printf '%s\\n' \"$__dks_text\") \"$__dks_f\"\n"
	"done\n"
	/* As dkms's read_conf: --directive NAME=VALUE last (NAME checked by
	 * the host: a shell variable name). */
	"for __dks_d in \"${__dks_dirs[@]}\"; do\n"
	"	printf -v \"${__dks_d%%=*}\" '%s' \"${__dks_d#*=}\"\n"
	"done\n"
	"__dks_emit >&\"$__dks_out\"\n"
	"exit 0\n";
// clang-format on

struct eval {
	const char *conf; /* as the caller named it: messages */
	char *rconf;	  /* its real path: where the sandbox sees it */
	char *rsource;	  /* the real source dir, or NULL */
	char *in_conf;	  /* the conf's path inside the sandbox */
	const char *in_source; /* the source dir's path inside, or NULL */
	char *headers;	  /* headers to bind, or NULL: none */
	char *ksrc;	  /* kernel_source_dir as the conf sees it */
	char *kconfig;	  /* kernel_config */
	char module[256], version[256];
	char *over[DKS_OVERRIDES_MAX]; /* the admin's overrides, in dkms's order */
	size_t n_over;
};

static void eval_clear(struct eval *e)
{
	free(e->rconf);
	free(e->rsource);
	free(e->in_conf);
	free(e->headers);
	free(e->ksrc);
	free(e->kconfig);
	for (size_t i = 0; i < e->n_over; i++)
		free(e->over[i]);
}

/* Before any sandbox: a missing, odd or empty file is a bad dkms.conf. */
static int conf_precheck(const char *conf, struct dks_error *err)
{
	struct stat st;

	/* dkms 3.0.10: "Could not locate dkms.conf file", exit 4. */
	if (stat(conf, &st) < 0)
		return dks_err_code(err, DKS_EXIT_NO_CONF, errno, "%s: cannot locate the dkms.conf",
				    conf);
	if (!S_ISREG(st.st_mode))
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0, "%s: not a regular file", conf);
	if (st.st_size == 0)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0, "%s: empty file", conf);
	return 0;
}

/* dkms sets module/module_version from -m/-v; the source dir is named
 * <module>-<version> (/usr/src/v4l2loopback-0.12.7): split it at the last
 * '-' before a digit. Unknown: empty, as the spec says. */
static void guess_module(struct eval *e, const char *dir)
{
	const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	const char *dash = NULL;

	for (const char *c = base; (c = strchr(c, '-')); c++)
		if (c[1] >= '0' && c[1] <= '9')
			dash = c;
	if (!dash || dash == base)
		return;
	snprintf(e->module, sizeof(e->module), "%.*s", (int)(dash - base), base);
	snprintf(e->version, sizeof(e->version), "%s", dash + 1);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The headers to bind: the caller's, else <installtree>/KVER/build when it
 * exists, else none (a conf that reads $kernel_source_dir/.config then
 * finds no file, as with dkms on a kernel without headers). */
static int find_headers(struct eval *e, const struct dks_spec_target *t,
			const struct dks_eval_opts *o, struct dks_error *err)
{
	const char *given = o->kernel_headers ? o->kernel_headers : t->kernel_dir;
	const char *itree = t->install_tree ? t->install_tree : "/lib/modules";
	cleanup_free char *dflt = NULL;
	struct stat st;

	if (asprintf(&dflt, "%s/%s/build", itree, t->kver) < 0)
		return dks_err(err, ENOMEM, "%s", e->conf);
	if (given && stat(given, &st) < 0)
		return dks_err_code(err, DKS_EXIT_NO_HEADERS, errno, "kernel headers %s", given);
	if (given && !S_ISDIR(st.st_mode))
		return dks_err_code(err, DKS_EXIT_NO_HEADERS, ENOTDIR, "kernel headers %s", given);
	if (given || is_dir(dflt)) {
		e->headers = strdup(given ? given : dflt);
		if (!e->headers)
			return dks_err(err, ENOMEM, "%s", e->conf);
	}
	e->ksrc = strdup(t->kernel_dir ? t->kernel_dir : given ? given : dflt);
	if (!e->ksrc || asprintf(&e->kconfig, "%s/.config", e->ksrc) < 0)
		return dks_err(err, ENOMEM, "%s", e->conf);
	return 0;
}

static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* A module's own dkms.conf (named inside its source) that is a link out
 * of the source is refused: its target would be bound into the sandbox
 * and its lines shown in errors (a link to /etc/shadow). An
 * administrator's conf named elsewhere is taken where it is. */
static int eval_paths(struct eval *e, const char *source_dir, const struct dks_spec_target *t,
		      const struct dks_eval_opts *o, struct dks_error *err)
{
	if (!t || !t->kver)
		return dks_err(err, 0, "%s: no kernel to evaluate it for", e->conf);
	e->rconf = realpath(e->conf, NULL);
	if (!e->rconf)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, errno, "%s", e->conf);
	if (source_dir && !(e->rsource = realpath(source_dir, NULL)))
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, errno, "%s", source_dir);
	if (source_dir && below(e->conf, source_dir) && !below(e->rconf, e->rsource))
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
				    "%s: a link out of its source directory %s: refused (nothing "
				    "outside a module's source is read for it)",
				    e->conf, source_dir);
	guess_module(e, e->rsource ? e->rsource : source_dir ? source_dir : "");
	if (o->module && o->version) {
		snprintf(e->module, sizeof(e->module), "%s", o->module);
		snprintf(e->version, sizeof(e->version), "%s", o->version);
	}
	return find_headers(e, t, o, err);
}

/* Where the source and the conf are inside: their own paths, or the
 * canonical source path the caller asked for (o->source_in), so that what
 * the conf sees does not depend on where the tree is on the host. */
static int eval_in_paths(struct eval *e, const struct dks_eval_opts *o, struct dks_error *err)
{
	e->in_source = e->rsource && o->source_in ? o->source_in : e->rsource;
	if (e->in_source && below(e->rconf, e->rsource)) {
		if (asprintf(&e->in_conf, "%s%s", e->in_source, e->rconf + strlen(e->rsource)) < 0)
			e->in_conf = NULL;
	} else {
		e->in_conf = strdup(e->rconf);
	}
	return e->in_conf ? 0 : dks_err(err, ENOMEM, "%s", e->conf);
}

/* The files the shell reads, read-only, and where it sees them: the
 * source dir at its path inside (with the conf, or the conf on its own
 * for dkms -c), each override file, and the files of the modules it
 * depends on (build_deps.c: pairs of host path, path inside). @ro and
 * @at hold 2 + DKS_OVERRIDES_MAX + o->n_ro_binds / 2 entries. */
static size_t eval_binds(const struct eval *e, const struct dks_eval_opts *o, const char *ro[],
			 const char *at[])
{
	size_t n = 0;

	if (e->rsource) {
		at[n] = e->in_source;
		ro[n++] = e->rsource;
	}
	if (!e->rsource || !below(e->rconf, e->rsource))
		ro[n++] = e->rconf;
	for (size_t i = 0; i < e->n_over; i++)
		ro[n++] = e->over[i];
	for (size_t i = 0; i + 1 < o->n_ro_binds; i += 2) {
		at[n] = o->ro_binds[i + 1];
		ro[n++] = o->ro_binds[i];
	}
	return n;
}

static int eval_run(struct eval *e, const struct dks_spec_target *t, const struct dks_eval_opts *o,
		    char **out, size_t *len, struct dks_error *err)
{
	char jobs[32], *arch_s = (char *)t->arch;
	size_t max_ro = 2 + DKS_OVERRIDES_MAX + o->n_ro_binds / 2;
	cleanup_free const char **ro = calloc(max_ro, sizeof(*ro));
	cleanup_free const char **at = calloc(max_ro, sizeof(*at));
	struct utsname u;

	if (!ro || !at)
		return dks_err(err, ENOMEM, "%s", e->conf);
	if (!arch_s && uname(&u) == 0)
		arch_s = u.machine;
	snprintf(jobs, sizeof(jobs), "%d",
		 t->jobs > 0 ? t->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN));
	if (dks_dkmsconf_overrides(o->conf_dir, e->module, e->version, t->kver,
				   arch_s ? arch_s : "", e->over, &e->n_over, err) < 0)
		return -1;
	/* 16 fixed, the directives, the overrides, NULL. */
	cleanup_free char **argv = calloc(17 + o->n_directives + e->n_over, sizeof(*argv));
	char nd[32];
	size_t n = 0;

	if (!argv)
		return dks_err(err, ENOMEM, "%s", e->conf);
	snprintf(nd, sizeof(nd), "%zu", o->n_directives);
	for (const char *const *a = (const char *const[]){"bash", "-c", dks_dkmsconf_driver, "bash",
			e->in_conf, t->kver, arch_s ? arch_s : "", e->ksrc,
			t->dkms_tree ? t->dkms_tree : "/var/lib/dkms",
			t->source_tree ? t->source_tree : "/usr/src",
			t->install_tree ? t->install_tree : "/lib/modules", e->module, e->version,
			e->kconfig, jobs, nd, NULL};
	     *a; a++)
		argv[n++] = (char *)*a;
	for (size_t i = 0; i < o->n_directives; i++)
		argv[n++] = (char *)o->directives[i];
	for (size_t i = 0; i < e->n_over; i++)
		argv[n++] = e->over[i];
	const struct dks_shell_job j = {
	    .name = e->conf, .what = "dkms.conf", .exit_code = DKS_EXIT_BAD_CONF, .o = o,
	    .kver = t->kver, .headers = e->headers, .ro = ro, .ro_at = at,
	    .n_ro = eval_binds(e, o, ro, at), .cwd = e->in_source, .argv = argv};

	return dks_shell_eval(&j, out, len, err);
}

bool dks_dkmsconf_directive_ok(const char *d)
{
	size_t n = strspn(d, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789");

	return n > 0 && d[n] == '=' && !(d[0] >= '0' && d[0] <= '9') && strncmp(d, "__dks", 5) != 0;
}

int dks_dkmsconf_eval(const char *conf, const char *source_dir, const struct dks_spec_target *t,
		      const struct dks_eval_opts *o, struct dks_spec **out, struct dks_error *err)
{
	static const struct dks_eval_opts none = {0};
	__attribute__((cleanup(eval_clear))) struct eval e = {.conf = conf};
	cleanup_free char *records = NULL;
	size_t len = 0;
	struct dks_spec *s = NULL;

	*out = NULL;
	if (!o)
		o = &none;
	if (conf_precheck(conf, err) < 0 || eval_paths(&e, source_dir, t, o, err) < 0 ||
	    eval_in_paths(&e, o, err) < 0 || eval_run(&e, t, o, &records, &len, err) < 0 ||
	    dks_dkmsconf_parse(records, len, conf, t, &s, err) < 0)
		return -1;
	*out = s;
	return 0;
}
