# SPDX-License-Identifier: ISC
# fish completion for twofactl. Every candidate comes from the binary itself
# (twofactl __complete WORD... CURRENT reads its own command table, verb
# tables and option parsers), so commands, verbs and options cannot drift
# from the program; account names are offered only where a NAME goes, from
# the store named by -d DIR or --dir=DIR on the line, else $TWOFACTL_DIR.

function __twofactl_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l prog $tokens[1]
    set -e tokens[1]
    for line in ($prog __complete $tokens "$cur" 2>/dev/null)
        switch $line
            case @files
                __fish_complete_path "$cur"
            case @dirs
                __fish_complete_directories "$cur"
            case '*'
                # fish shows "WORD<TAB>description" as it is
                printf '%s\n' $line
        end
    end
end

complete -c twofactl -f -a '(__twofactl_complete)'
