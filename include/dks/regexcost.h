/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A bound on what compiling a POSIX ERE costs. glibc's regcomp() copies a
 * repeated part once per repetition ("a{200}", and "a++++", each '+' one
 * more copy, so doubling): a 150-byte BUILD_EXCLUSIVE_KERNEL "4+++...+"
 * made it allocate more than a gigabyte, and a 50-byte one of optional
 * atoms and stacked '+' took 9 s (both found by tests/fuzz/fuzz_dkmsconf).
 * Every ERE a module package or recipe names is checked first.
 */
#ifndef DKS_REGEXCOST_H
#define DKS_REGEXCOST_H

/* The most parse-tree copies an ERE may expand to; the patterns dkms.conf
 * files use cost tens. */
#define DKS_REGEX_COST_MAX 1024

/* NULL when @re's estimated expansion is within DKS_REGEX_COST_MAX and no
 * repetition follows another ("a+*", "a?+": undefined in POSIX, and
 * exponential in glibc: "Y?++++++++++++" takes 51 s to compile), else a
 * static sentence for messages. */
const char *dks_regex_too_big(const char *re);

#endif
