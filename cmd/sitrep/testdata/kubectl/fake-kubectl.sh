#!/bin/sh
# A stand-in for kubectl: it appends its arguments, one a line, after a
# "--call--" line, to $HOME/kubectl-calls, and answers like kubectl.
{
	echo "--call--"
	for a in "$@"; do
		printf '%s\n' "$a"
	done
} >>"$HOME/kubectl-calls"
echo "deployment.apps/${3#deployment/} restarted"
