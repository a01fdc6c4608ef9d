# SPDX-License-Identifier: ISC
# bash completion for twofactl
_twofactl() {
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
	}
	local commands="init user enroll confirm show disable verify code backup send check org whitelist trust expire audit recovery export import rekey fsck health batch serve passwd reset oidc webauthn config help"
	local globals="--dir --json --quiet --at --via-service --rhost --help --version"
	local i cmd="" verb="" dir=""
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-d|--dir) dir=${words[i+1]}; ((i++)) ;;
		--at|--via-service|--rhost) ((i++)) ;;
		-*) ;;
		*) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $verb ]]; then verb=${words[i]}; fi ;;
		esac
	done
	case $prev in
	-d|--dir|--key-file) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-o|--output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--policy) COMPREPLY=($(compgen -W "required optional off" -- "$cur")); return ;;
	--method) COMPREPLY=($(compgen -W "totp hotp email sms" -- "$cur")); return ;;
	--via) COMPREPLY=($(compgen -W "email sms" -- "$cur")); return ;;
	--purpose) [[ $cmd == webauthn ]] && { COMPREPLY=($(compgen -W "register login" -- "$cur")); return; }
	           COMPREPLY=($(compgen -W "login enroll confirm" -- "$cur")); return ;;
	--algo) COMPREPLY=($(compgen -W "sha1 sha256 sha512" -- "$cur")); return ;;
	--digits) COMPREPLY=($(compgen -W "6 8" -- "$cur")); return ;;
	--qr) COMPREPLY=($(compgen -W "ansi utf8 png svg none" -- "$cur")); return ;;
	esac
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands $globals" -- "$cur"))
		return
	fi
	local opts=""
	case $cmd in
	init) opts="--key-file --passphrase-file" ;;
	user) [[ -z $verb ]] && { COMPREPLY=($(compgen -W "add list show set del unlock rename" -- "$cur")); return; }
	      [[ $prev == --2fa ]] && { COMPREPLY=($(compgen -W "required optional off inherit" -- "$cur")); return; }
	      [[ $prev == --policy ]] && { COMPREPLY=($(compgen -W "required optional off" -- "$cur")); return; }
	      [[ $prev == --method ]] && { COMPREPLY=($(compgen -W "totp hotp email sms webauthn" -- "$cur")); return; }
	      opts="--email --phone --org --lang --2fa --service --generate-password --password-login --email-reset --must-enrol --enabled --disabled --locked --method --policy" ;;
	reset) [[ -z $verb ]] && { COMPREPLY=($(compgen -W "send redeem" -- "$cur")); return; } ;;
	webauthn) [[ -z $verb ]] && { COMPREPLY=($(compgen -W "challenge register list del" -- "$cur")); return; }
	          opts="--file --label --purpose" ;;
	oidc) [[ -z $verb ]] && { COMPREPLY=($(compgen -W "link unlink lookup" -- "$cur")); return; }
	      opts="--issuer --subject" ;;
	enroll) opts="--method --algo --digits --period --issuer --label --qr --output" ;;
	show) opts="--factor --issuer --qr --output" ;;
	confirm) opts="--factor --sms-code --by-link --link" ;;
	code) opts="--factor" ;;
	send) opts="--via --purpose" ;;
	disable) opts="--factor --force" ;;
	verify) opts="--ip --password --assertion" ;;
	check) opts="--ip --device-token" ;;
	expire) opts="--dry-run" ;;
	fsck) opts="--repair" ;;
	export) opts="--include-secrets" ;;
	import) [[ $prev == --format ]] && { COMPREPLY=($(compgen -W "twofactl usersfile google-authenticator uri" -- "$cur")); return; }
	        [[ $cur != -* ]] && { COMPREPLY=($(compgen -f -- "$cur")); return; }
	        opts="--format --user" ;;
	audit) [[ -z $verb && $cur != -* ]] && { COMPREPLY=($(compgen -W "verify" -- "$cur")); return; }
	       opts="--user --since --until" ;;
	recovery) [[ -z $verb ]] && { COMPREPLY=($(compgen -W "file list show approve deny" -- "$cur")); return; }
	          opts="--reason --contact --by --status" ;;
	org) [[ -z $verb ]] && { COMPREPLY=($(compgen -W "add list show set del simulate" -- "$cur")); return; }
	     opts="--policy --no-notify" ;;
	whitelist) [[ -z $verb ]] && { COMPREPLY=($(compgen -W "add list del" -- "$cur")); return; }
	           opts="--ttl --note --org --allow-broad" ;;
	trust) [[ -z $verb ]] && { COMPREPLY=($(compgen -W "add list revoke" -- "$cur")); return; }
	       opts="--days --label --all" ;;
	backup) [[ -z $verb ]] && { COMPREPLY=($(compgen -W "issue list revoke" -- "$cur")); return; }
	        opts="--count --all" ;;
	config) [[ -z $verb ]] && { COMPREPLY=($(compgen -W "get set list" -- "$cur")); return; }
	        if [[ $verb == get || $verb == set ]]; then
	        	COMPREPLY=($(compgen -W "$(twofactl ${dir:+-d "$dir"} config list 2>/dev/null | awk '{print $1}')" -- "$cur"))
	        	return
	        fi ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts $globals" -- "$cur"))
	elif [[ $cmd != init && $cmd != help ]]; then
		# account names: cheap enough for stores of a few thousand accounts
		COMPREPLY=($(compgen -W "$(twofactl ${dir:+-d "$dir"} user list 2>/dev/null)" -- "$cur"))
	fi
}
complete -F _twofactl twofactl
