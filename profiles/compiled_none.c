// SPDX-License-Identifier: GPL-2.0-or-later
/* No compiled profiles: links profiles/compile.c itself, which makes them. */
#include <stddef.h>

#include "dks/profile.h"

const struct dks_profile *const dks_profiles_compiled[] = {NULL};
