<?php
/**
 * A fake PrestaShop shop for the Rust tests: serves the module's REAL route for the shim
 * (`POST /index.php?fc=module&module=cryptocheckout&controller=shim`) on the stubs of
 * prestashop.php, whose data live in a JSON state file.
 *
 *   PRESTA_STATE=/tmp/state.json php -S 127.0.0.1:8080 plugins/prestashop/tests/server/router.php
 *
 * Any other address: 404. The state file is read and written under an exclusive flock, and written
 * before the answer is sent: once a client has its answer, the file shows what the request did.
 * Its format:
 *   {"config": {"CRYPTOCHECKOUT_SHARED_SECRET": "...", "CRYPTOCHECKOUT_OS_AWAITING": 14, ...,
 *               "PS_OS_PAYMENT": 2, ...},
 *    "states": {"2": {"paid": 1, "send_email": 1}, ...},
 *    "orders": {"42": {"current_state": 14, "total_paid_tax_incl": "15.000000", "id_currency": 1,
 *                      "id_customer": 7, "reference": "XKBKNABJK", "history": [14],
 *                      "payments": [{"amount", "transaction_id"}], "mails": [2]}},
 *    "customers": {"7": "payer@example.com"}, "currencies": {"1": {"iso_code": "USD", "precision": 2}},
 *    "threads": [{"email", "id_order"}], "messages": [{"id_customer_thread", "message", "private"}],
 *    "nonces": {}, "applied": [], "log": [], "mail_fails": false, "down": 0}
 * (mail_fails: every mail fails, as on a shop whose mail server is down; down: how many requests
 * are still answered 503 before PrestaShop is reached).
 */

require __DIR__ . '/prestashop.php';

$path = parse_url(isset($_SERVER['REQUEST_URI']) ? $_SERVER['REQUEST_URI'] : '/', PHP_URL_PATH);
$route = isset($_GET['fc'], $_GET['module'], $_GET['controller'])
    && $_GET['fc'] === 'module' && $_GET['module'] === 'cryptocheckout' && $_GET['controller'] === 'shim';
if ($path !== '/index.php' || !$route) {
    http_response_code(404);
    echo '<html><body>Page not found</body></html>';

    return true;
}
$file = @fopen((string) getenv('PRESTA_STATE'), 'c+');
if ($file === false) {
    http_response_code(500);
    echo 'test server: cannot open PRESTA_STATE';

    return true;
}
flock($file, LOCK_EX);
PsTestState::$data = json_decode(stream_get_contents($file), true);
$answer = null;
if (!empty(PsTestState::$data['down'])) {
    PsTestState::$data['down']--;
    $answer = [503, null];
} else {
    try {
        $answer = CryptoCheckoutRoute::handle(
            new CryptoCheckout(),
            $_SERVER['REQUEST_METHOD'],
            function ($name) {
                $key = 'HTTP_' . strtoupper(str_replace('-', '_', $name));

                return isset($_SERVER[$key]) ? (string) $_SERVER[$key] : '';
            },
            (string) file_get_contents('php://input')
        );
    } catch (PrestaShopException $e) {
        // What PrestaShop shows for an uncaught exception in production: a 500 page.
        PsTestState::$data['log'][] = 'exception: ' . $e->getMessage();
        $answer = [500, null];
    }
}
ftruncate($file, 0);
rewind($file);
fwrite($file, json_encode(PsTestState::$data, JSON_PRETTY_PRINT));
flock($file, LOCK_UN);
fclose($file);
http_response_code($answer[0]);
if ($answer[1] === null) {
    echo '<html><body>' . ($answer[0] === 503 ? '503 Service Unavailable' : 'An error occurred') . '</body></html>';
} else {
    header('Content-Type: application/json; charset=utf-8');
    echo json_encode($answer[1]);
}

return true;
