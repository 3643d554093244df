<?php
// A webhook receiver as Cryptomus documents it and its plugins implement it, run under `php -S`.
// Env: PAYMENT_KEY, LOG (file to append "verified <status>" or "refused" lines to).

$key = getenv('PAYMENT_KEY');
$data = json_decode(file_get_contents('php://input'), true);
$sign = is_array($data) ? ($data['sign'] ?? '') : '';
if (is_array($data)) {
    unset($data['sign']);
}
$hash = md5(base64_encode(json_encode($data, JSON_UNESCAPED_UNICODE)) . $key);
if (is_array($data) && is_string($sign) && hash_equals($hash, $sign)) {
    file_put_contents(getenv('LOG'), 'verified ' . $data['status'] . ' ' . $data['additional_data'] . "\n", FILE_APPEND);
    http_response_code(200);
    echo 'ok';
} else {
    file_put_contents(getenv('LOG'), "refused\n", FILE_APPEND);
    http_response_code(400);
    echo 'bad sign';
}
