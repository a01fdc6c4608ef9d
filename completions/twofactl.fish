# SPDX-License-Identifier: ISC
# fish completion for twofactl
set -l commands init user enroll confirm show disable verify code backup send check org whitelist trust expire audit recovery export import rekey fsck health batch serve passwd reset oidc webauthn config help

function __twofactl_accounts
    twofactl user list 2>/dev/null
end

complete -c twofactl -f
complete -c twofactl -s d -l dir -r -a '(__fish_complete_directories)' -d 'Store directory'
complete -c twofactl -l json -d 'JSON output'
complete -c twofactl -s q -l quiet -d 'Only results and errors'
complete -c twofactl -l at -r -d 'Evaluate at this time (epoch seconds)'
complete -c twofactl -l via-service -r -d 'Front end named in the audit log'
complete -c twofactl -l rhost -r -d 'Remote host named in the audit log'

complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a init -d 'Create a store'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a user -d 'Accounts'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a enroll -d 'Enrol an app, email or SMS'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a confirm -d 'Activate a pending factor'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a show -d 'Re-show a key and QR code'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a disable -d 'Turn 2FA off'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a verify -d 'Check a code'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a code -d 'The current code'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a backup -d 'Backup codes'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a send -d 'Send a code by email or SMS'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a check -d 'Does this login need a code'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a org -d 'Organisations and policies'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a whitelist -d 'Addresses that skip 2FA'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a trust -d 'Remembered devices'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a expire -d 'The cron job'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a audit -d 'The audit log'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a recovery -d 'Lost-device tickets'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a export -d 'Accounts as JSON'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a import -d 'Import from other tools'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a rekey -d 'A new master key'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a fsck -d 'Check the store'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a health -d 'Monitoring check'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a batch -d 'Commands from stdin'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a serve -d 'JSON requests for front ends'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a passwd -d 'Set a password'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a reset -d 'Password reset by email'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a oidc -d 'OpenID Connect identities'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a webauthn -d 'FIDO2/WebAuthn keys'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a config -d 'Configuration'
complete -c twofactl -n "not __fish_seen_subcommand_from $commands" -a help -d 'List the commands'

complete -c twofactl -n "__fish_seen_subcommand_from user" -a 'add list show set del unlock rename'
complete -c twofactl -n "__fish_seen_subcommand_from reset" -a 'send redeem'
complete -c twofactl -n "__fish_seen_subcommand_from webauthn" -a 'challenge register list del'
complete -c twofactl -n "__fish_seen_subcommand_from webauthn" -l purpose -r -a 'register login'
complete -c twofactl -n "__fish_seen_subcommand_from webauthn" -l file -r -F
complete -c twofactl -n "__fish_seen_subcommand_from webauthn" -l label -r
complete -c twofactl -n "__fish_seen_subcommand_from verify" -l assertion -r -F
complete -c twofactl -n "__fish_seen_subcommand_from oidc" -a 'link unlink lookup'
complete -c twofactl -n "__fish_seen_subcommand_from oidc" -l issuer -r
complete -c twofactl -n "__fish_seen_subcommand_from oidc" -l subject -r
complete -c twofactl -n "__fish_seen_subcommand_from user" -l generate-password
complete -c twofactl -n "__fish_seen_subcommand_from user" -l password-login -r -a 'on off'
complete -c twofactl -n "__fish_seen_subcommand_from user" -l email-reset -r -a 'on off'
complete -c twofactl -n "__fish_seen_subcommand_from user" -l must-enrol -r -a 'on off'
complete -c twofactl -n "__fish_seen_subcommand_from user" -l 2fa -r -a 'required optional off inherit'
complete -c twofactl -n "__fish_seen_subcommand_from user" -l enabled
complete -c twofactl -n "__fish_seen_subcommand_from user" -l disabled
complete -c twofactl -n "__fish_seen_subcommand_from user" -l locked
complete -c twofactl -n "__fish_seen_subcommand_from user" -l method -r -a 'totp hotp email sms webauthn'
complete -c twofactl -n "__fish_seen_subcommand_from user" -l policy -r -a 'required optional off'
complete -c twofactl -n "__fish_seen_subcommand_from backup" -a 'issue list revoke'
complete -c twofactl -n "__fish_seen_subcommand_from org" -a 'add list show set del simulate'
complete -c twofactl -n "__fish_seen_subcommand_from whitelist" -a 'add list del'
complete -c twofactl -n "__fish_seen_subcommand_from trust" -a 'add list revoke'
complete -c twofactl -n "__fish_seen_subcommand_from recovery" -a 'file list show approve deny'
complete -c twofactl -n "__fish_seen_subcommand_from config" -a 'get set list'
complete -c twofactl -n "__fish_seen_subcommand_from audit" -a verify
complete -c twofactl -n "__fish_seen_subcommand_from user enroll confirm show disable verify code backup send check whitelist trust export" -a '(__twofactl_accounts)'

complete -c twofactl -n "__fish_seen_subcommand_from user" -l email -r
complete -c twofactl -n "__fish_seen_subcommand_from user" -l phone -r
complete -c twofactl -n "__fish_seen_subcommand_from user" -l org -r
complete -c twofactl -n "__fish_seen_subcommand_from user" -l lang -r
complete -c twofactl -n "__fish_seen_subcommand_from user" -l service
complete -c twofactl -n "__fish_seen_subcommand_from enroll" -l method -r -a 'totp hotp email sms'
complete -c twofactl -n "__fish_seen_subcommand_from enroll" -l algo -r -a 'sha1 sha256 sha512'
complete -c twofactl -n "__fish_seen_subcommand_from enroll" -l digits -r -a '6 8'
complete -c twofactl -n "__fish_seen_subcommand_from enroll" -l period -r
complete -c twofactl -n "__fish_seen_subcommand_from enroll show" -l issuer -r
complete -c twofactl -n "__fish_seen_subcommand_from enroll" -l label -r
complete -c twofactl -n "__fish_seen_subcommand_from enroll show" -l qr -r -a 'ansi utf8 png svg none'
complete -c twofactl -n "__fish_seen_subcommand_from enroll show" -s o -l output -r -F
complete -c twofactl -n "__fish_seen_subcommand_from confirm show disable code" -l factor -r
complete -c twofactl -n "__fish_seen_subcommand_from confirm" -l sms-code -r
complete -c twofactl -n "__fish_seen_subcommand_from confirm" -l by-link
complete -c twofactl -n "__fish_seen_subcommand_from confirm" -l link
complete -c twofactl -n "__fish_seen_subcommand_from disable" -l force
complete -c twofactl -n "__fish_seen_subcommand_from verify check" -l ip -r
complete -c twofactl -n "__fish_seen_subcommand_from verify" -l password
complete -c twofactl -n "__fish_seen_subcommand_from check" -l device-token -r
complete -c twofactl -n "__fish_seen_subcommand_from backup" -l count -r
complete -c twofactl -n "__fish_seen_subcommand_from backup trust" -l all
complete -c twofactl -n "__fish_seen_subcommand_from send" -l via -r -a 'email sms'
complete -c twofactl -n "__fish_seen_subcommand_from send" -l purpose -r -a 'login enroll confirm'
complete -c twofactl -n "__fish_seen_subcommand_from org" -l policy -r -a 'required optional off'
complete -c twofactl -n "__fish_seen_subcommand_from org" -l no-notify
complete -c twofactl -n "__fish_seen_subcommand_from whitelist" -l ttl -r
complete -c twofactl -n "__fish_seen_subcommand_from whitelist" -l note -r
complete -c twofactl -n "__fish_seen_subcommand_from whitelist" -l allow-broad
complete -c twofactl -n "__fish_seen_subcommand_from whitelist" -l org
complete -c twofactl -n "__fish_seen_subcommand_from trust" -l days -r
complete -c twofactl -n "__fish_seen_subcommand_from trust" -l label -r
complete -c twofactl -n "__fish_seen_subcommand_from expire" -l dry-run
complete -c twofactl -n "__fish_seen_subcommand_from audit" -l user -r
complete -c twofactl -n "__fish_seen_subcommand_from audit" -l since -r
complete -c twofactl -n "__fish_seen_subcommand_from audit" -l until -r
complete -c twofactl -n "__fish_seen_subcommand_from recovery" -l reason -r
complete -c twofactl -n "__fish_seen_subcommand_from recovery" -l contact -r
complete -c twofactl -n "__fish_seen_subcommand_from recovery" -l by -r
complete -c twofactl -n "__fish_seen_subcommand_from recovery" -l status -r -a 'pending approved denied'
complete -c twofactl -n "__fish_seen_subcommand_from export" -l include-secrets
complete -c twofactl -n "__fish_seen_subcommand_from import" -l format -r -a 'twofactl usersfile google-authenticator uri'
complete -c twofactl -n "__fish_seen_subcommand_from import" -l user -r
complete -c twofactl -n "__fish_seen_subcommand_from import" -F
complete -c twofactl -n "__fish_seen_subcommand_from fsck" -l repair
