<?php
use PHPUnit\Framework\TestCase;

final class RouteTest extends TestCase
{
    public function testTheRouteRefusesWhatTheShimDidNotSignFreshlyOnce()
    {
        $secret = 'a-secret-of-the-module-itself';
        $body = '{"action":"ping"}';
        $now = 1700000000;
        $seen = [];
        $store = function ($nonce, $expires) use (&$seen) {
            $was = isset($seen[$nonce]);
            $seen[$nonce] = $expires;

            return $was;
        };
        $sign = function ($ts, $nonce, $body) use ($secret) {
            return hash_hmac('sha256', $ts . '.' . $nonce . '.' . $body, $secret);
        };
        $nonce = 'abcdefabcdefabcd';
        $good = $sign($now, $nonce, $body);
        $this->assertNull(CryptoCheckoutRoute::verify($secret, (string) $now, $nonce, $good, $body, $now, $store));
        $this->assertSame('replayed request', CryptoCheckoutRoute::verify($secret, (string) $now, $nonce, $good, $body, $now, $store));
        $other = 'bcdefabcdefabcda';
        $this->assertSame('bad signature', CryptoCheckoutRoute::verify($secret, (string) $now, $other, $good, $body, $now, $store));
        $this->assertStringContainsString('stale', CryptoCheckoutRoute::verify($secret, (string) ($now + 301), $other, $sign($now + 301, $other, $body), $body, $now, $store));
        $this->assertStringContainsString('no shared secret', CryptoCheckoutRoute::verify('short', (string) $now, $other, $sign($now, $other, $body), $body, $now, $store));
        $this->assertSame('bad nonce', CryptoCheckoutRoute::verify($secret, (string) $now, 'x', $sign($now, 'x', $body), $body, $now, $store));
        $this->assertArrayNotHasKey($other, $seen, 'refused calls leave no nonce behind');
    }

    public function testUpdatesAreChecked()
    {
        $update = ['step' => 'paid', 'invoice_id' => 'inv_1', 'invoice_status' => 'paid', 'key' => 'k', 'notes' => ['x'], 'transaction_id' => 'tx-1'];
        $this->assertIsArray(CryptoCheckoutRoute::parseUpdate($update));
        $this->assertStringContainsString('step must be', CryptoCheckoutRoute::parseUpdate(['step' => 'ship'] + $update));
        $this->assertStringContainsString('plain text', CryptoCheckoutRoute::parseUpdate(['notes' => ['<script>x</script>']] + $update));
        $this->assertStringContainsString('transaction_id', CryptoCheckoutRoute::parseUpdate(['transaction_id' => "a'b"] + $update));
        $this->assertStringContainsString('key', CryptoCheckoutRoute::parseUpdate(['key' => ''] + $update));
    }
}
