# SPDX-License-Identifier: ISC
# bash completion for twofactl. Every candidate comes from the binary itself
# (twofactl __complete WORD... CURRENT reads its own command table, verb
# tables and option parsers), so commands, verbs and options cannot drift
# from the program; account names are offered only where a NAME goes, from
# the store named by -d DIR or --dir=DIR on the line, else $TWOFACTL_DIR.
_twofactl() {
	local prog=${COMP_WORDS[0]} i w joined=0 cword=0 cur line
	local -a words=()
	# rejoin "--dir" "=" "DIR", which COMP_WORDBREAKS splits
	for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == "=" && ${#words[@]} -gt 0 && ${words[-1]} == --* ]]; then
			words[-1]+="="
			joined=1
		elif ((joined)); then
			words[-1]+=$w
			joined=0
		else
			words+=("$w")
		fi
		((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
	done
	((COMP_CWORD >= ${#COMP_WORDS[@]})) && { words+=(""); cword=$((${#words[@]} - 1)); }
	cur=${COMP_WORDS[COMP_CWORD]}
	[[ $cur == "=" ]] && cur=""
	[[ ${words[cword]} == --*=* ]] && return 0   # --opt=VALUE: no values offered here
	for ((i = 0; i < cword; i++)); do
		[[ ${words[i]} == \~/* ]] && words[i]=$HOME/${words[i]#\~/}
	done
	words[cword]=$cur
	COMPREPLY=()
	while IFS= read -r line; do
		case $line in
		"") ;;
		@files)
			compopt -o filenames 2>/dev/null
			mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur") ;;
		@dirs)
			compopt -o filenames 2>/dev/null
			mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur") ;;
		*) COMPREPLY+=("${line%%$'\t'*}") ;;
		esac
	done < <("$prog" __complete "${words[@]:0:cword+1}" 2>/dev/null)
}
complete -F _twofactl twofactl
