/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cleanup attributes: an early return cannot leak a buffer or an fd.
 * steal_pointer()/steal_fd() hand ownership on explicitly.
 */
#ifndef DKS_CLEANUP_H
#define DKS_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void dks_freep(void *p)
{
	free(*(void **)p);
}

static inline void dks_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void dks_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* A NULL-terminated array of strings and the strings (NULL is fine). */
static inline void dks_strv_free(char **v)
{
	for (char **s = v; s && *s; s++)
		free(*s);
	free(v);
}

static inline void dks_strv_freep(char ***v)
{
	dks_strv_free(*v);
}

#define cleanup_free __attribute__((cleanup(dks_freep)))
#define cleanup_strv __attribute__((cleanup(dks_strv_freep)))
#define cleanup_close __attribute__((cleanup(dks_closep)))
#define cleanup_fclose __attribute__((cleanup(dks_fclosep)))

static inline void *dks_steal_pointer(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) dks_steal_pointer(pp)

static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

#endif
