/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A bound on what compiling a POSIX ERE costs. glibc's regcomp() copies a
 * repeated part once per repetition ("a{200}", and "a++++", each '+' one
 * more copy, so doubling): a 150-byte BUILD_EXCLUSIVE_KERNEL "4+++...+"
 * made it allocate more than a gigabyte (found by tests/fuzz/fuzz_dkmsconf).
 * Every ERE a module package or recipe names is checked first.
 */
#ifndef DKS_REGEXCOST_H
#define DKS_REGEXCOST_H

/* The most parse-tree copies an ERE may expand to; the patterns dkms.conf
 * files use cost tens. */
#define DKS_REGEX_COST_MAX 4096

/* NULL when @re's estimated expansion is within DKS_REGEX_COST_MAX, else
 * a static sentence ("expands too far when compiled ...") for messages. */
const char *dks_regex_too_big(const char *re);

#endif
