// SPDX-License-Identifier: GPL-2.0-or-later
/* One YAML document with FILE:LINE errors: include/dks/yamldoc.h. */
#include <errno.h>
#include <stdio.h>

#include "dks/yamldoc.h"

void dks_yaml_doc_release(struct dks_yaml_doc *d)
{
	if (d->have_doc)
		yaml_document_delete(&d->doc);
	if (d->have_parser)
		yaml_parser_delete(&d->parser);
	d->have_doc = d->have_parser = false;
}

static int parser_fail(const yaml_parser_t *ps, const char *source, int exit_code,
		       struct dks_error *err)
{
	const char *problem = ps->problem ? ps->problem : "invalid YAML";

	if (ps->error == YAML_MEMORY_ERROR)
		return dks_err(err, ENOMEM, "%s", source);
	if (ps->context)
		return dks_err_code(err, exit_code, 0, "%s:%lu: %s (%s that starts on line %lu)",
				    source, (unsigned long)ps->problem_mark.line + 1, problem,
				    ps->context, (unsigned long)ps->context_mark.line + 1);
	return dks_err_code(err, exit_code, 0, "%s:%lu: %s", source,
			    (unsigned long)ps->problem_mark.line + 1, problem);
}

/* A second document would be silently ignored: refuse it instead. */
static int single_document(struct dks_yaml_doc *d, const char *source, const char *what,
			   int exit_code, struct dks_error *err)
{
	yaml_document_t extra;
	const yaml_node_t *root;
	unsigned long line = 0;

	if (!yaml_parser_load(&d->parser, &extra))
		return parser_fail(&d->parser, source, exit_code, err);
	root = yaml_document_get_root_node(&extra);
	if (root)
		line = dks_yaml_line(root);
	yaml_document_delete(&extra);
	if (line)
		return dks_err_code(err, exit_code, 0, "%s:%lu: a %s is one YAML document", source,
				    line, what);
	return 0;
}

int dks_yaml_doc_load(struct dks_yaml_doc *d, const char *text, size_t len, const char *source,
		      const char *what, bool empty_ok, int exit_code, struct dks_error *err)
{
	if (!yaml_parser_initialize(&d->parser))
		return dks_err(err, ENOMEM, "%s", source);
	d->have_parser = true;
	yaml_parser_set_input_string(&d->parser, (const unsigned char *)text, len);
	/* On failure yaml_parser_load frees what it built. */
	if (!yaml_parser_load(&d->parser, &d->doc))
		return parser_fail(&d->parser, source, exit_code, err);
	d->have_doc = true;
	if (!yaml_document_get_root_node(&d->doc))
		return empty_ok ? 0 : dks_err_code(err, exit_code, 0, "%s: empty %s", source, what);
	return single_document(d, source, what, exit_code, err) < 0 ? -1 : 1;
}

int dks_yaml_vfail(struct dks_error *err, int exit_code, const char *source, const yaml_node_t *n,
		   const char *fmt, va_list ap)
{
	char msg[DKS_ERROR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return dks_err_code(err, exit_code, 0, "%s:%lu: %s", source, dks_yaml_line(n), msg);
}
