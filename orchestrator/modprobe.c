// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * install --modprobe-on-install (dkms 3.x's option and framework key):
 * after a successful install for the running kernel, load what the
 * machine's devices ask for, as dkms does: every /sys/devices/.../modalias,
 * once each, to `modprobe -a -b -q`, then restart systemd-modules-load
 * when it exists. Root runs modprobe on the host here as dkms does; what
 * it loads was validated (and signed) by the installer, and the aliases
 * come from the kernel's sysfs, never from a module's package.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "dks/strv.h"

#define MAX_ALIASES 4096
#define MAX_DEPTH 32

static void read_alias(int dirfd, struct strv *found)
{
	char line[512];
	int fd = openat(dirfd, "modalias", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, line, sizeof(line) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	line[n] = 0;
	line[strcspn(line, "\n")] = 0;
	if (line[0] && found->n < MAX_ALIASES && !strv_contains(found, line))
		strv_push(found, line);
}

/* Every modalias below @dirfd (closed here), links not followed. */
static void walk(int dirfd, int depth, struct strv *found)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	if (!d) {
		close(dirfd);
		return;
	}
	read_alias(dirfd, found);
	while (depth < MAX_DEPTH && (e = readdir(d)))
		if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				walk(sub, depth + 1, found);
		}
	closedir(d);
}

static int run(char *const argv[])
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* modprobe -a -b -q ALIAS...: ignores aliases nothing matches. */
static void load_aliases(void)
{
	struct strv args = {0}, aliases = {0};
	int fd = open("/sys/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct strv *found = &aliases;

	if (fd >= 0)
		walk(fd, 0, found);
	strv_push(&args, "modprobe");
	strv_push(&args, "-a");
	strv_push(&args, "-b");
	strv_push(&args, "-q");
	for (size_t i = 0; i < found->n; i++)
		strv_push(&args, found->v[i]);
	if (found->n && run(args.v) != 0)
		dks_warn("--modprobe-on-install: modprobe failed for some of the devices' aliases");
	strv_free(&args);
	strv_free(found);
}

void dks_modprobe_on_install(const struct dks_ctx *ctx, const char *kver)
{
	struct utsname u;

	if (!ctx->cli.modprobe_on_install)
		return;
	/* dkms: only for the running kernel. Another install tree is not
	 * where modprobe looks: nothing to load from there. */
	if (uname(&u) < 0 || strcmp(u.release, kver) != 0 ||
	    strcmp(ctx->cfg.install_tree, "/lib/modules") != 0) {
		printf("--modprobe-on-install: %s is not the running kernel's /lib/modules: nothing loaded\n",
		       kver);
		return;
	}
	load_aliases();
	if (access("/lib/systemd/system/systemd-modules-load.service", F_OK) == 0)
		run((char *const[]){"systemctl", "restart", "systemd-modules-load.service", NULL});
}
