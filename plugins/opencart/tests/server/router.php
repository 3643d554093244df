<?php
/**
 * A fake OpenCart shop for the Rust tests: serves the extension's two routes for the shim (order,
 * callback) with the REAL catalog controller of one version's package, on stubs of OpenCart whose
 * settings, orders and nonce table live in a JSON state file.
 *
 *   OPENCART_STATE=/tmp/state.json OPENCART_VERSION=4.0.2 \
 *     php -S 127.0.0.1:8080 plugins/opencart/tests/server/router.php
 *
 * OPENCART_VERSION: 3 (route=extension/payment/crypto_checkout/order), 4.0.0
 * (route=extension/crypto_checkout/payment/crypto_checkout|order) or 4.0.2 (...crypto_checkout.order).
 * Any other route, or another version's syntax: 404 {"error":"no route"}.
 *
 * The state file is read and written under an exclusive flock, and written before the answer is
 * sent: once a client has its answer, the file shows what the request did. Its format:
 *   {"config": {"payment_crypto_checkout_secret": "...", ...}, "currencies": {"JPY": 0},
 *    "orders": {"42": {"order_id": 42, "order_status_id": 1, "total": "15.0000",
 *                      "currency_code": "USD", "currency_value": "1.00000000", "history": []}},
 *    "nonces": {"<nonce>": <expires>}, "down": 0}
 * (currencies: decimal places, 2 when not listed; each history entry added is
 * {"order_status_id": N, "comment": "...", "notify": bool}; down: how many requests are still
 * answered 503 before the extension is reached).
 */

require __DIR__ . '/../stubs/opencart.php';
require __DIR__ . '/../stubs/constants.php';

/**
 * Answers without the extension (the server's own errors).
 */
function oc_test_server_reply($status, array $body)
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body);
}

$version = (string) getenv('OPENCART_VERSION');
$statePath = (string) getenv('OPENCART_STATE');
if (!isset(OcStub::VERSIONS[$version])) {
    oc_test_server_reply(500, ['error' => 'test server: OPENCART_VERSION must be 3, 4.0.0 or 4.0.2']);

    return true;
}
define('VERSION', OcStub::VERSIONS[$version]);

$path = parse_url(isset($_SERVER['REQUEST_URI']) ? $_SERVER['REQUEST_URI'] : '/', PHP_URL_PATH);
$action = in_array($path, ['/', '/index.php'], true)
    ? OcStub::action($version, isset($_GET['route']) ? $_GET['route'] : '')
    : null;
if ($action === null) {
    oc_test_server_reply(404, ['error' => 'no route']);

    return true;
}

$file = $statePath !== '' ? @fopen($statePath, 'c+') : false;
if ($file === false) {
    oc_test_server_reply(500, ['error' => 'test server: cannot open OPENCART_STATE']);

    return true;
}
flock($file, LOCK_EX);
try {
    $state = OcState::decode(stream_get_contents($file));
    if (isset($state->data['down']) && $state->data['down'] > 0) {
        // The tests' "the shop is down for N requests": PHP-FPM gone, a 503 from the web server.
        $state->data['down']--;
        ftruncate($file, 0);
        rewind($file);
        fwrite($file, $state->encode());
        flock($file, LOCK_UN);
        fclose($file);
        oc_test_server_reply(503, ['error' => 'test server: down']);

        return true;
    }
    $before = $state->encode();
    $registry = OcStub::registry($version, $state, 'catalog', $_GET, $_POST, $_SERVER);
    $class = OcStub::controllerClass($version, 'catalog');
    $controller = new $class($registry);
    $controller->$action();
    $after = $state->encode();
    if ($after !== $before) { // a refused request leaves the file as it was, byte for byte
        ftruncate($file, 0);
        rewind($file);
        fwrite($file, $after);
        fflush($file);
    }
} catch (Throwable $e) {
    flock($file, LOCK_UN);
    fclose($file);
    oc_test_server_reply(500, ['error' => 'test server: ' . $e->getMessage()]);

    return true;
}
flock($file, LOCK_UN);
fclose($file);
$registry->get('response')->send();

return true;
