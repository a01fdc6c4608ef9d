<?php
// SPDX-License-Identifier: ISC
//
// twofactl for a PHP web application: one small function per call.
//
// The application talks to `twofactl serve` on the socket that systemd's
// twofactl.socket opens (README, "Web front end"); it never sees the store or
// its key. Plain PHP (json is built in). Paste what you need.
//
// Every function returns what the call gives, or throws a TwofactlError
// subclass chosen by the answer's stable error word (error.code):
//
//   TwofactlRejected         rejected, replayed      wrong code, or one already used
//   TwofactlLocked           locked, rate_limited    too many failures; resend too soon
//   TwofactlEnrolmentNeeded  enrolment_needed        e.g. send by a channel not enrolled
//   TwofactlNotFound         not_found               no such account
//   TwofactlForbidden        forbidden               not allowed for this role
//   TwofactlCodeRequired     code_required           the account has a factor: pass its code
//   TwofactlBadRequest       usage, bad_request, too_large
//   TwofactlUnavailable      store, delivery, busy   and no answer from the socket
//
// Codes, passwords and tokens travel in the request's "stdin", never in argv.

if (!defined('TWOFACTL_SOCKET')) {   // define it before this file to use another
    define('TWOFACTL_SOCKET', '/run/twofactl/twofactl.sock');
}
const TWOFACTL_TIMEOUT = 30;   // seconds; more than the store's lock timeout (15 s)

// twofactl_check(): what the login needs next (the exit statuses of `twofactl check`)
const TWOFACTL_NO_CODE_NEEDED = 0;
const TWOFACTL_CODE_NEEDED = 10;
const TWOFACTL_ENROLMENT_NEEDED = 11;

class TwofactlError extends RuntimeException
{
    public string $word;          // serve's error.code
    public ?int $exitStatus;      // the command's exit status (null: no answer)

    public function __construct(string $word, string $message, ?int $exitStatus = null)
    {
        parent::__construct($message);
        $this->word = $word;
        $this->exitStatus = $exitStatus;
    }
}
class TwofactlRejected extends TwofactlError {}
class TwofactlLocked extends TwofactlError {}
class TwofactlEnrolmentNeeded extends TwofactlError {}
class TwofactlNotFound extends TwofactlError {}
class TwofactlForbidden extends TwofactlError {}
class TwofactlCodeRequired extends TwofactlError {}
class TwofactlBadRequest extends TwofactlError {}
class TwofactlUnavailable extends TwofactlError {}

const TWOFACTL_ERRORS = [
    'rejected' => TwofactlRejected::class, 'replayed' => TwofactlRejected::class,
    'locked' => TwofactlLocked::class, 'rate_limited' => TwofactlLocked::class,
    'enrolment_needed' => TwofactlEnrolmentNeeded::class,
    'not_found' => TwofactlNotFound::class,
    'forbidden' => TwofactlForbidden::class,
    'code_required' => TwofactlCodeRequired::class,
    'usage' => TwofactlBadRequest::class, 'bad_request' => TwofactlBadRequest::class,
    'too_large' => TwofactlBadRequest::class,
    'store' => TwofactlUnavailable::class, 'delivery' => TwofactlUnavailable::class,
    'busy' => TwofactlUnavailable::class,
];

// One request on its own connection: the answer, or throws.
function twofactl_request(array $argv, ?string $stdin = null, ?string $socket = null): array
{
    $socket = $socket ?? TWOFACTL_SOCKET;
    $req = ['argv' => array_values($argv)];
    if ($stdin !== null) {
        $req['stdin'] = $stdin;
    }
    $s = @stream_socket_client('unix://' . $socket, $errno, $errstr, TWOFACTL_TIMEOUT);
    if ($s === false) {
        throw new TwofactlUnavailable('unavailable', "twofactl at $socket: $errstr");
    }
    stream_set_timeout($s, TWOFACTL_TIMEOUT);
    $data = json_encode($req, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES) . "\n";
    for ($done = 0; $done < strlen($data); $done += $n) {
        $n = @fwrite($s, substr($data, $done));
        if ($n === false || $n === 0) {
            fclose($s);
            throw new TwofactlUnavailable('unavailable', "twofactl at $socket: cannot send");
        }
    }
    stream_socket_shutdown($s, STREAM_SHUT_WR);
    $line = fgets($s, 1 << 20);
    fclose($s);
    $answer = is_string($line) ? json_decode($line, true) : null;
    if (!is_array($answer)) {
        throw new TwofactlUnavailable('unavailable', "twofactl at $socket gave no answer");
    }
    if (!empty($answer['error'])) {
        $class = TWOFACTL_ERRORS[$answer['error']['code']] ?? TwofactlError::class;
        throw new $class((string)$answer['error']['code'], (string)$answer['error']['message'],
                         $answer['exit'] ?? null);
    }
    return $answer;
}

// After the password was accepted: [TWOFACTL_NO_CODE_NEEDED | TWOFACTL_CODE_NEEDED |
// TWOFACTL_ENROLMENT_NEEDED, methods], methods such as ['totp', 'email', 'backup'].
function twofactl_check(string $user, string $ip, ?string $deviceToken = null): array
{
    $argv = ['check', $user, '--ip', $ip];
    if ($deviceToken !== null) {
        array_push($argv, '--device-token', '-');
    }
    $a = twofactl_request($argv, $deviceToken !== null ? $deviceToken . "\n" : null);
    return [$a['exit'], $a['output'][0]['methods'] ?? []];
}

// Send a login code by 'email' or 'sms': the 3-digit session id to show next
// to the code field (the message carries the same number).
function twofactl_send(string $user, string $via = 'email'): string
{
    return twofactl_request(['send', $user, '--via', $via])['output'][0]['session'];
}

// True when the code (app, emailed or texted, or a backup code) is accepted;
// throws TwofactlRejected (wrong or used) or TwofactlLocked.
function twofactl_verify(string $user, string $code, string $ip): bool
{
    twofactl_request(['verify', $user, '--ip', $ip], $code . "\n");
    return true;
}

// Start an enrolment: for 'totp' an array with 'uri' (the otpauth:// URI, the
// QR code's data: draw it with any QR library) and 'secret' (for typing in);
// for 'email' or 'sms' the 'session' of the code just sent. An account that
// has an active factor already needs a current code of it ($code: from the
// app, a login code sent with twofactl_send, or a backup code), else
// TwofactlCodeRequired: nobody adds a factor without holding one.
function twofactl_enroll(string $user, string $method = 'totp', ?string $code = null): array
{
    return twofactl_request(['enroll', $user, '--method', $method, '--qr', 'none'],
                            $code === null ? null : $code . "\n")['output'][0];
}

// Finish the enrolment with a code from the new factor: the backup codes to
// show the user once (empty when the account had some).
function twofactl_confirm(string $user, string $code): array
{
    $out = twofactl_request(['confirm', $user], $code . "\n")['output'];
    return $out[0]['backup_codes'] ?? [];
}
