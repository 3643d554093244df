<?php
// Stubs of OpenCart 3.0 and 4.x (tests/stubs), the extension's library, and what the test subclasses
// of the two catalog controllers change: their request body and their way to the shim.

require __DIR__ . '/stubs/opencart.php';
require __DIR__ . '/stubs/constants.php';
define('VERSION', '4.0.2.3'); // only 4.x reads it: "." between route and method
require_once DIR_SYSTEM . 'library/crypto_checkout/core.php';

/**
 * What the tests change in a catalog controller.
 */
trait TestHooks
{
    /** @var string The request body */
    public $body = '';

    /** @var callable|null The way to the shim */
    public $transport;

    protected function rawBody()
    {
        return $this->body;
    }

    protected function shimTransport()
    {
        return $this->transport;
    }
}

// The test subclasses of the controllers are in Oc3CatalogTest.php and Oc4CatalogTest.php: the
// OpenCart 3 admin controller has the catalog one's class name, and AdminOc3Test loads it in a
// process of its own.

/**
 * Signs requests as the shim does.
 */
final class Shim
{
    const SECRET = 's3cret-s3cret-s3cret';

    /**
     * The server values of a signed POST.
     */
    public static function signed($body, $secret = self::SECRET, $timestamp = null, $nonce = null)
    {
        $timestamp = (string) ($timestamp === null ? time() : $timestamp);
        $nonce = $nonce === null ? bin2hex(random_bytes(12)) : $nonce;

        return [
            'REQUEST_METHOD' => 'POST',
            'HTTP_X_SHIM_TIMESTAMP' => $timestamp,
            'HTTP_X_SHIM_NONCE' => $nonce,
            'HTTP_X_SHIM_SIGNATURE' => hash_hmac('sha256', $timestamp . '.' . $nonce . '.' . $body, $secret),
        ];
    }
}
