// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms.conf, part 1 of 3: evaluating it in a sandbox
 * (include/dks/dkmsconf.h).
 *
 * dkms sources dkms.conf with bash, as root, on nearly every verb. Here
 * bash sources it inside a sandbox (no privileges, no network, the module
 * source and the kernel headers read-only, a time limit, a cap on what it
 * may write), and a fixed driver script prints the known directives as
 * NUL-terminated records on a memfd. This file sets that sandbox up, runs
 * it, turns a failed run into one line, and hands the captured bytes,
 * bounded, to dks_dkmsconf_parse() (dkmsconf_spec.c).
 * Trusts its caller's paths and options and the sandbox engine; trusts
 * nothing that comes out of the sandbox: the captures are size-checked,
 * stderr is shown only as a cleaned one-line tail, and the records are
 * parsed strictly by the other two files. Calls dkmsconf_spec.c only.
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
#include "dks/sandbox.h"

/* (clang-format off: the driver reads as a script, one line per line.) */
// clang-format off
/* Arguments: $1 conf, then kernelver arch kernel_source_dir dkms_tree
 * source_tree install_tree module module_version kernel_config
 * parallel_jobs ($2..$11). */
const char dks_dkmsconf_driver[] =
	"__dks_scalars='" DKS_SCALARS(DKS_WORD) "'\n"
	"__dks_arrays='" DKS_ARRAYS(DKS_WORD) "'\n"
	"__dks_conf=$1 kernelver=$2 arch=$3 kernel_source_dir=$4 dkms_tree=$5\n"
	"source_tree=$6 install_tree=$7 module=$8 module_version=$9\n"
	"kernel_config=${10} parallel_jobs=${11}\n"
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
	/* The records keep the real stdout; what the conf prints goes to
	 * stderr (dkms discards it). */
	"exec {__dks_out}>&1 1>&2 </dev/null\n"
	/* A syntax error would only end `.` early and leave a half-read
	 * conf: parse it first (bash -n runs nothing). CRLF files are
	 * accepted: the CR of each line end is dropped. */
	"if grep -q $'\\r' \"$__dks_conf\" 2>/dev/null; then\n"
	"	bash -n <(sed 's/\\r$//' \"$__dks_conf\") || exit 2\n"
	"	set --\n"
	"	. <(sed 's/\\r$//' \"$__dks_conf\")\n"
	"else\n"
	"	bash -n \"$__dks_conf\" || exit 2\n"
	"	set --\n"
	"	. \"$__dks_conf\"\n"
	"fi\n"
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
	struct dks_profile *own; /* the "default" profile when the caller gave none */
	struct dks_profile prof; /* shallow copy, with the output bounded */
	struct dks_sandbox *sb;
	int null_fd, out_fd, err_fd;
	unsigned timeout;
};

static void eval_clear(struct eval *e)
{
	dks_sandbox_free(e->sb);
	if (e->own)
		dks_profile_free(e->own);
	free(e->rconf);
	free(e->rsource);
	free(e->in_conf);
	free(e->headers);
	free(e->ksrc);
	free(e->kconfig);
	dks_closep(&e->null_fd);
	dks_closep(&e->out_fd);
	dks_closep(&e->err_fd);
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
	guess_module(e, e->rsource ? e->rsource : source_dir ? source_dir : "");
	return find_headers(e, t, o, err);
}

static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/';
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

/* The captures are memfds: the sandbox relays the conf's output into
 * them, bounded (see eval_profile). */
static int eval_stdio(struct eval *e, struct dks_error *err)
{
	e->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	e->out_fd = memfd_create("dkmsconf-out", MFD_CLOEXEC);
	e->err_fd = memfd_create("dkmsconf-err", MFD_CLOEXEC);
	if (e->null_fd < 0 || e->out_fd < 0 || e->err_fd < 0)
		return dks_err(err, errno, "%s: capture files", e->conf);
	dks_sandbox_set_stdio(e->sb, e->null_fd, e->out_fd, e->err_fd);
	dks_sandbox_kill_at_output_limit(e->sb);
	return 0;
}

/* A hostile conf could write gigabytes to its stdout, which lives in the
 * caller's memory: cap its output (the relay kills the sandbox past it,
 * SIGXFSZ) and every file it writes (RLIMIT_FSIZE) just above what the
 * parser accepts. A dkms.conf writes nothing big. */
static int eval_profile(struct eval *e, const struct dks_eval_opts *o, struct dks_error *err)
{
	const uint64_t cap = 2 * (uint64_t)DKS_DKMSCONF_MAX_OUTPUT;

	if (!o->profile && dks_profile_load("default", &e->own, err) < 0)
		return -1;
	e->prof = *(o->profile ? o->profile : e->own);
	if (e->prof.limits.file_size == 0 || e->prof.limits.file_size > cap)
		e->prof.limits.file_size = cap;
	if (e->prof.limits.output == 0 || e->prof.limits.output > cap)
		e->prof.limits.output = cap;
	dks_sandbox_set_profile(e->sb, &e->prof);
	return 0;
}

static int eval_sandbox(struct eval *e, const struct dks_spec_target *t,
			const struct dks_eval_opts *o, struct dks_error *err)
{
	const char *cwd = e->in_source ? e->in_source : "/";

	e->timeout = o->timeout ? o->timeout : DKS_DKMSCONF_TIMEOUT;
	if (dks_sandbox_new(&e->sb, err) < 0 || eval_profile(e, o, err) < 0 ||
	    (o->toolchain && dks_sandbox_set_toolchain(e->sb, o->toolchain, err) < 0) ||
	    (e->headers && dks_sandbox_set_kernel(e->sb, t->kver, e->headers, err) < 0) ||
	    (o->build_user && dks_sandbox_set_user(e->sb, o->build_user, err) < 0))
		return -1;
	/* The module's files, read-only: the conf may read them, never
	 * change them. A conf outside the source dir (dkms -c) gets its own
	 * read-only bind. */
	if (e->rsource && dks_sandbox_add_bind(e->sb, e->rsource, e->in_source, false, err) < 0)
		return -1;
	if ((!e->rsource || !below(e->rconf, e->rsource)) &&
	    dks_sandbox_add_bind(e->sb, e->rconf, NULL, false, err) < 0)
		return -1;
	/* The modules it depends on (build_deps.c), read-only. */
	for (size_t i = 0; i + 1 < o->n_ro_binds; i += 2)
		if (dks_sandbox_add_bind(e->sb, o->ro_binds[i], o->ro_binds[i + 1], false, err) < 0)
			return -1;
	dks_sandbox_set_timeout(e->sb, e->timeout);
	if (dks_sandbox_set_cwd(e->sb, cwd, err) < 0)
		return -1;
	return eval_stdio(e, err);
}

static int capture_error(const struct eval *e, int errnum, struct dks_error *err)
{
	return dks_err_code(err, DKS_EXIT_BAD_CONF, errnum,
			    "%s: evaluation output unreadable or over %d bytes", e->conf,
			    DKS_DKMSCONF_MAX_OUTPUT);
}

/* The records, all of them: a capture over the parser's limit is refused
 * before it is read (exit 8, like any bad output). */
static int read_capture(const struct eval *e, char **buf, size_t *len, struct dks_error *err)
{
	cleanup_free char *b = NULL;
	struct stat st;
	ssize_t n;

	if (fstat(e->out_fd, &st) < 0)
		return capture_error(e, errno, err);
	if ((uint64_t)st.st_size > DKS_DKMSCONF_MAX_OUTPUT)
		return capture_error(e, EFBIG, err);
	b = malloc((size_t)st.st_size + 1);
	if (!b)
		return capture_error(e, ENOMEM, err);
	n = pread(e->out_fd, b, (size_t)st.st_size, 0);
	if (n < 0)
		return capture_error(e, errno, err);
	b[n] = '\0';
	*buf = steal_pointer(&b);
	*len = (size_t)n;
	return 0;
}

/* The last lines of stderr, joined with " | ", for a one-line error. The
 * sandbox's own lines (bash's harmless getpeername/nscd socket denials,
 * the build-user warning) would hide the conf's message: they are left out. */
static void stderr_tail(int fd, char *out, size_t size)
{
	char buf[4096], *lines[3] = {0}, *save = NULL;
	struct stat st;
	ssize_t n;
	size_t len = 0;

	out[0] = '\0';
	if (fstat(fd, &st) < 0)
		return;
	n = pread(fd, buf, sizeof(buf) - 1,
		  st.st_size >= (off_t)sizeof(buf) ? st.st_size - (off_t)sizeof(buf) + 1 : 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "dkms-sandbox: ", 14) == 0)
			continue;
		memmove(lines, lines + 1, sizeof(lines) - sizeof(lines[0]));
		lines[2] = l;
	}
	for (int i = 0; i < 3; i++)
		if (lines[i] && len + 4 < size)
			len += (size_t)snprintf(out + len, size - len, "%s%s", len ? " | " : ": ",
						lines[i]);
	for (size_t i = 0; i < len && i < size; i++)
		if ((unsigned char)out[i] < 0x20)
			out[i] = '?';
}

static int outcome_error(const struct eval *e, const struct dks_sandbox_result *res,
			 struct dks_error *err)
{
	char tail[600];

	stderr_tail(e->err_fd, tail, sizeof(tail));
	if (res->outcome == DKS_SANDBOX_TIMED_OUT)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
				    "%s: evaluating dkms.conf timed out after %u s", e->conf,
				    e->timeout);
	if (res->outcome == DKS_SANDBOX_SIGNALED && res->term_signal == SIGXFSZ)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
				    "%s: evaluating dkms.conf wrote more than %d bytes", e->conf,
				    DKS_DKMSCONF_MAX_OUTPUT);
	if (res->outcome == DKS_SANDBOX_SIGNALED)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
				    "%s: evaluating dkms.conf was killed by signal %d%s", e->conf,
				    res->term_signal, tail);
	return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
			    "%s: evaluating dkms.conf failed (exit status %d)%s", e->conf,
			    res->exit_status, tail);
}

static int eval_run(struct eval *e, const struct dks_spec_target *t, char **out, size_t *len,
		    struct dks_error *err)
{
	char jobs[32], *arch_s = (char *)t->arch;
	struct utsname u;
	struct dks_sandbox_result res = {0};
	int rc;

	if (!arch_s && uname(&u) == 0)
		arch_s = u.machine;
	snprintf(jobs, sizeof(jobs), "%d",
		 t->jobs > 0 ? t->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN));
	char *const argv[] = {
	    "bash",
	    "-c",
	    (char *)dks_dkmsconf_driver,
	    "bash",
	    e->in_conf,
	    (char *)t->kver,
	    arch_s ? arch_s : "",
	    e->ksrc,
	    (char *)(t->dkms_tree ? t->dkms_tree : "/var/lib/dkms"),
	    (char *)(t->source_tree ? t->source_tree : "/usr/src"),
	    (char *)(t->install_tree ? t->install_tree : "/lib/modules"),
	    e->module,
	    e->version,
	    e->kconfig,
	    jobs,
	    NULL,
	};

	if (dks_sandbox_run(e->sb, argv, &res, err) < 0)
		return dks_err_prefix(err, "%s: evaluating dkms.conf", e->conf);
	rc = res.outcome == DKS_SANDBOX_EXITED && res.exit_status == 0
		 ? 0
		 : outcome_error(e, &res, err);
	dks_sandbox_result_clear(&res);
	if (rc == 0)
		rc = read_capture(e, out, len, err);
	return rc;
}

/* dkms checks at build time that each patch is in patches/; we know the
 * source now, so say it now (exit 5). */
static int check_patches(const struct eval *e, const struct dks_spec *s, struct dks_error *err)
{
	for (size_t i = 0; e->rsource && i < s->n_patches; i++) {
		cleanup_free char *path = NULL;
		struct stat st;

		if (asprintf(&path, "%s/patches/%s", e->rsource, s->patches[i].file) < 0)
			return dks_err(err, ENOMEM, "%s", e->conf);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			return dks_err_code(err, DKS_EXIT_PATCH_MISSING, 0,
					    "%s: PATCH %s: no such file %s", e->conf,
					    s->patches[i].file, path);
	}
	return 0;
}

int dks_dkmsconf_eval(const char *conf, const char *source_dir, const struct dks_spec_target *t,
		      const struct dks_eval_opts *o, struct dks_spec **out, struct dks_error *err)
{
	static const struct dks_eval_opts none = {0};
	__attribute__((cleanup(eval_clear))) struct eval e = {
	    .conf = conf, .null_fd = -1, .out_fd = -1, .err_fd = -1};
	cleanup_free char *records = NULL;
	size_t len = 0;
	struct dks_spec *s = NULL;

	*out = NULL;
	if (!o)
		o = &none;
	if (conf_precheck(conf, err) < 0 || eval_paths(&e, source_dir, t, o, err) < 0 ||
	    eval_in_paths(&e, o, err) < 0 || eval_sandbox(&e, t, o, err) < 0 || eval_run(&e, t, &records, &len, err) < 0 ||
	    dks_dkmsconf_parse(records, len, conf, t, &s, err) < 0)
		return -1;
	if (check_patches(&e, s, err) < 0) {
		dks_spec_free(s);
		return -1;
	}
	*out = s;
	return 0;
}
