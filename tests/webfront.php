<?php
// SPDX-License-Identifier: ISC
// Drive share/examples/twofactl_client.php as a web application would:
// php webfront.php SOCKET CALL ARGS..., a code or token on standard input.
// Prints one JSON object: what the call returned, or {"error": CLASS, "word": ...}
// (exit 1) when it threw. tests/webfront.py is the same for Python.
define('TWOFACTL_SOCKET', $argv[1]);
require __DIR__ . '/../share/examples/twofactl_client.php';

$call = $argv[2];
$args = array_slice($argv, 3);
$secret = fn() => rtrim((string)fgets(STDIN), "\n");
try {
    switch ($call) {
    case 'check':
        $token = ($args[2] ?? null) === '-' ? $secret() : null;
        [$need, $methods] = twofactl_check($args[0], $args[1], $token);
        $out = ['need' => $need, 'methods' => $methods];
        break;
    case 'send':
        $out = ['session' => twofactl_send(...$args)];
        break;
    case 'verify':
        $out = ['accepted' => twofactl_verify($args[0], $secret(), $args[1])];
        break;
    case 'enroll':   // USER [METHOD] [-]: "-" reads the account's code from stdin
        $code = end($args) === '-' ? $secret() : null;
        $plain = array_values(array_filter($args, fn($a) => $a !== '-'));
        $out = twofactl_enroll($plain[0], $plain[1] ?? 'totp', $code);
        break;
    case 'confirm':
        $out = ['backup_codes' => twofactl_confirm($args[0], $secret())];
        break;
    case 'request':
        $a = twofactl_request(json_decode($args[0], true));
        $out = ['exit' => $a['exit'], 'output' => $a['output']];
        break;
    default:
        fwrite(STDERR, "unknown call $call\n");
        exit(2);
    }
} catch (TwofactlError $e) {
    echo json_encode(['error' => preg_replace('/^Twofactl/', '', get_class($e)), 'word' => $e->word,
                      'exit' => $e->exitStatus, 'message' => $e->getMessage()]), "\n";
    exit(1);
}
echo json_encode($out, JSON_UNESCAPED_SLASHES), "\n";
