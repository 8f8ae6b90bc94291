/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The embedded profiles (profiles/*.yaml), NUL-terminated. */
	.section .rodata
	.balign 16
	.global dks_embedded_default, dks_embedded_strict, dks_embedded_debug
dks_embedded_default:
	.incbin "profiles/default.yaml"
	.byte 0
dks_embedded_strict:
	.incbin "profiles/strict.yaml"
	.byte 0
dks_embedded_debug:
	.incbin "profiles/debug.yaml"
	.byte 0
	.section .note.GNU-stack,"",%progbits
