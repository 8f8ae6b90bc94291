/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One YAML document, loaded whole with libyaml, with errors that name
 * FILE:LINE: the shared loader of profiles, config.yaml and recipes,
 * which include/dks/yamlwalk.h then walks against each one's key tables.
 */
#ifndef DKS_YAMLDOC_H
#define DKS_YAMLDOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "dks/error.h"

struct dks_yaml_doc {
	yaml_parser_t parser;
	yaml_document_t doc;
	bool have_parser, have_doc;
};

/* Load exactly one document from @text. @what ("profile", "recipe", ...)
 * names it in errors, which carry @exit_code. Returns 1 with a root node,
 * 0 for an empty text when @empty_ok, negative on error. */
int dks_yaml_doc_load(struct dks_yaml_doc *d, const char *text, size_t len, const char *source,
		      const char *what, bool empty_ok, int exit_code, struct dks_error *err);
/* For __attribute__((cleanup)). */
void dks_yaml_doc_release(struct dks_yaml_doc *d);

static inline unsigned long dks_yaml_line(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

/* "SOURCE:LINE: message" for node @n, with @exit_code; returns -1. */
int dks_yaml_vfail(struct dks_error *err, int exit_code, const char *source, const yaml_node_t *n,
		   const char *fmt, va_list ap);

#endif
