# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by run.sh and campaign.sh.

max_len() { # NAME: the longest input for this parser: what the real input can be, with room
	case $1 in
	module|sigtrailer) echo 65536 ;;
	console|dkmsconf|plan|json|manifest) echo 16384 ;;
	*) echo 8192 ;;
	esac
}
