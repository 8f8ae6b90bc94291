/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tree's locks (flock on a file: <m>/.lock, .depmod-<kver>.lock) say
 * who holds them (docs/tree.md "Locks"). The holder writes one line into
 * the lock file after taking it:
 *
 *     <pid> <start time> <command line>\n
 *
 * (the start time is field 22 of /proc/<pid>/stat, in clock ticks since
 * boot; the command line printable ASCII only, at most
 * DKS_LOCK_CMD_MAX bytes) and empties it before it lets go. A command
 * that finds the lock busy prints once, on stderr,
 *
 *     dkms-sandbox: waiting for hello's lock (/var/lib/dkms/hello/.lock),
 *     held by pid 1234 (dkms-sandbox install hello/1.0 -k 6.1.0-57-amd64)
 *
 * and waits. The line is a lock file's content, which a damaged tree (or
 * whoever could write there) controls: it is named only when its pid is
 * alive with the recorded start time, and shown through a filter that
 * lets printable ASCII alone through (docs/security.md).
 */
#ifndef DKS_LOCKWAIT_H
#define DKS_LOCKWAIT_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/error.h"

/* The command line kept in a record, and the most shown of one. */
#define DKS_LOCK_CMD_MAX 256
/* The most of a lock file a waiter reads. */
#define DKS_LOCK_READ_MAX 512
/* What describe writes at most ("pid N (" + command + ")" or the
 * unknown-holder words). */
#define DKS_LOCK_HOLDER_MAX (DKS_LOCK_CMD_MAX + 96)

struct dks_lock_wait {
	const char *what;   /* "hello's lock", "kernel 6.1.0-57-amd64's depmod lock" */
	const char *path;   /* the lock file, for the messages */
	int timeout;        /* seconds; 0: wait as long as it takes (dkms) */
	bool announced;     /* the waiting line was printed (once per command) */
};

/* flock(@fd, LOCK_EX), saying who holds it when it is busy (once per
 * @w), then the holder's record written. With a timeout, a lock still
 * busy after it fails with one line naming the lock and its holder. */
int dks_lock_take(int fd, struct dks_lock_wait *w, struct dks_error *err);

/* Empty the record and close @fd (which releases the lock). */
void dks_lock_release(int fd);

/* Write this process's record into @fd (held). 0, or -1 with errno. */
int dks_lock_record(int fd);

/* Who holds @fd's lock, from its record: "pid N (COMMAND)" when the
 * record's pid is alive and started when the record says, else words
 * saying the holder is unknown. Never more than @size - 1 bytes; only
 * printable ASCII. */
void dks_lock_describe(int fd, char *out, size_t size);

/* The record's parts, parsed from @len bytes of @buf: 0, or -1 when it is
 * not a record. @cmd (DKS_LOCK_CMD_MAX + 1 bytes) gets the command,
 * filtered (pure: tests feed it hostile bytes). */
int dks_lock_parse(const char *buf, size_t len, long *pid, unsigned long long *start,
		   char *cmd);

/* Field 22 of /proc/<pid>/stat (the start time), 0 when there is no such
 * process or it cannot be read. */
unsigned long long dks_proc_start_time(long pid);

#endif
