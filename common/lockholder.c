// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The holder's record in a lock file (include/dks/lockwait.h): written by
 * the holder, read by a waiter that trusts none of it. A lock file is in
 * the tree, and a damaged tree or anyone who could write there controls
 * its bytes: the waiter reads at most DKS_LOCK_READ_MAX of them, names a
 * pid only when that process is alive and started when the record says
 * (a dead holder's pid may be another process now), and lets printable
 * ASCII alone through to the terminal (an escape sequence in a record
 * must not reach it).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/lockwait.h"

/* Printable ASCII only: anything else (C0, DEL, bytes >= 0x80, which
 * include C1 controls and bidirectional overrides in UTF-8) is '?'. At
 * most DKS_LOCK_CMD_MAX bytes, "..." ending a longer one. */
static void filter(const char *in, size_t len, char *out)
{
	size_t n = len > DKS_LOCK_CMD_MAX ? DKS_LOCK_CMD_MAX : len;

	for (size_t i = 0; i < n; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	if (len > DKS_LOCK_CMD_MAX)
		memcpy(out + DKS_LOCK_CMD_MAX - 3, "...", 3);
	out[n] = '\0';
}

unsigned long long dks_proc_start_time(long pid)
{
	char path[64], buf[1024];
	cleanup_close int fd = -1;
	ssize_t n;
	char *p;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = dks_read_full(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name (field 2) may hold ')' and spaces: count the
	 * fields from the last ')'. Field 3 follows it; 22 is 19 on. */
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* This process's command line, argv[0] by its base name, the arguments
 * joined by spaces, filtered: a module name or path given on the command
 * line may hold anything. */
static void own_command(char *out)
{
	char buf[DKS_LOCK_CMD_MAX + 64];
	cleanup_close int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : dks_read_full(fd, buf, sizeof(buf));
	size_t start = 0;

	if (n <= 0) {
		strcpy(out, "?");
		return;
	}
	for (ssize_t i = 0; i < n && buf[i]; i++)
		if (buf[i] == '/')
			start = (size_t)i + 1;
	for (ssize_t i = 0; i < n - 1; i++)
		if (!buf[i])
			buf[i] = ' ';
	filter(buf + start, strnlen(buf + start, (size_t)n - start), out);
}

int dks_lock_record(int fd)
{
	char cmd[DKS_LOCK_CMD_MAX + 1], line[DKS_LOCK_CMD_MAX + 64];
	int len;

	own_command(cmd);
	len = snprintf(line, sizeof(line), "%ld %llu %s\n", (long)getpid(),
		       dks_proc_start_time(getpid()), cmd);
	if (ftruncate(fd, 0) < 0)
		return -1;
	return pwrite(fd, line, (size_t)len, 0) == len ? 0 : -1;
}

/* A decimal number of at most @max digits at *@i, then one space. */
static int number(const char *buf, size_t lim, size_t *i, int max, unsigned long long *out)
{
	size_t at = *i;

	*out = 0;
	while (*i < lim && buf[*i] >= '0' && buf[*i] <= '9' && *i - at < (size_t)max)
		*out = *out * 10 + (unsigned long long)(buf[(*i)++] - '0');
	if (*i == at || *i >= lim || buf[*i] != ' ')
		return -1;
	(*i)++;
	return 0;
}

int dks_lock_parse(const char *buf, size_t len, long *pid, unsigned long long *start,
		   char *cmd)
{
	const char *nl = memchr(buf, '\n', len);
	unsigned long long p;
	size_t i = 0, lim;

	if (!nl)
		return -1;
	lim = (size_t)(nl - buf);
	/* pids fit 7 digits (pid_max is at most 4194304); ticks 20. */
	if (number(buf, lim, &i, 7, &p) < 0 || number(buf, lim, &i, 20, start) < 0 || !p ||
	    !*start)
		return -1;
	*pid = (long)p;
	filter(buf + i, lim - i, cmd);
	return 0;
}

void dks_lock_describe(int fd, char *out, size_t size)
{
	char buf[DKS_LOCK_READ_MAX], cmd[DKS_LOCK_CMD_MAX + 1];
	unsigned long long start;
	struct stat st;
	ssize_t n = -1;
	long pid;

	/* A FIFO or a device planted as the lock file is not read. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = pread(fd, buf, sizeof(buf), 0);
	if (n <= 0 || dks_lock_parse(buf, (size_t)n, &pid, &start, cmd) < 0)
		snprintf(out, size, "held by a process that left no record");
	else if (dks_proc_start_time(pid) != start)
		snprintf(out, size, "held by a process that left no record (the record's "
				    "pid %ld is gone)", pid);
	else
		snprintf(out, size, "held by pid %ld (%s)", pid, cmd);
}
