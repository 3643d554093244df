<?php
// An independent Cryptomus client, written the way the official PHP SDK and Cryptomus-distributed
// plugins talk to the gateway: json_encode(..., JSON_UNESCAPED_UNICODE), sign = md5(base64(body) . key).
// Usage: php client.php BASE_URL MERCHANT PAYMENT_KEY CALLBACK_URL
// Prints one JSON object per step, for the Rust test to check.

[$_, $base, $merchant, $key, $callback] = $argv;

function call(string $base, string $merchant, string $key, string $path, array $data): array
{
    $body = json_encode($data, JSON_UNESCAPED_UNICODE);
    $context = stream_context_create(['http' => [
        'method' => 'POST',
        'header' => implode("\r\n", [
            'Accept: application/json',
            'Content-Type: application/json;charset=UTF-8',
            'merchant: ' . $merchant,
            'sign: ' . md5(base64_encode($body) . $key),
        ]),
        'content' => $body,
        'ignore_errors' => true,
    ]]);
    $response = file_get_contents(rtrim($base, '/') . '/' . $path, false, $context);
    $status = (int) explode(' ', $http_response_header[0])[1];
    return ['status' => $status, 'body' => json_decode($response, true)];
}

function report(string $step, array $result): void
{
    echo json_encode(['step' => $step] + $result, JSON_UNESCAPED_UNICODE), "\n";
}

// Slashes and non-ASCII text: the parts of PHP's encoding that signatures most often get wrong.
$invoice = call($base, $merchant, $key, 'v1/payment', [
    'amount' => '15.00',
    'currency' => 'USD',
    'order_id' => 'php-1',
    'network' => 'tron',
    'to_currency' => 'USDT',
    'url_callback' => $callback,
    'url_return' => 'https://shop.example/cart?a=1&b=2',
    'additional_data' => "Заказ №1 https://shop.example/o/1 \u{2028} ✓",
    'is_payment_multiple' => true,
    'lifetime' => '3600',
]);
report('create', $invoice);

report('info', call($base, $merchant, $key, 'v1/payment/info', ['order_id' => 'php-1']));
report('services', call($base, $merchant, $key, 'v1/payment/services', []));
report('history', call($base, $merchant, $key, 'v1/payment/list', ['cursor' => '1']));
report('bad_sign', call($base, $merchant, $key . 'x', 'v1/payment/info', ['order_id' => 'php-1']));
report('test_webhook', call($base, $merchant, $key, 'v1/test-webhook/payment', [
    'url_callback' => $callback,
    'currency' => 'USDT',
    'network' => 'tron',
    'order_id' => 'php-1',
    'status' => 'paid',
]));
