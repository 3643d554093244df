<?php
use PHPUnit\Framework\TestCase;

final class CoreTest extends TestCase
{
    const NOW = 1700000000;

    /** @var array nonces recorded, as [nonce, expires] */
    private $recorded = [];

    private function verify($timestamp, $nonce, $signature, $body, $secret = 'k3y')
    {
        return CryptoCheckoutCore::verify($secret, $timestamp, $nonce, $signature, $body, self::NOW, function ($nonce, $expires) {
            $seen = in_array($nonce, array_column($this->recorded, 0), true);
            $this->recorded[] = [$nonce, $expires];

            return $seen;
        });
    }

    private static function sign($timestamp, $nonce, $body, $secret = 'k3y')
    {
        return hash_hmac('sha256', $timestamp . '.' . $nonce . '.' . $body, $secret);
    }

    public function testAGoodRequestPassesAndItsNonceIsKeptTenMinutes()
    {
        $nonce = 'abcdefABCDEF0123';
        $this->assertNull($this->verify('1700000000', $nonce, self::sign('1700000000', $nonce, '{"order_id":1}'), '{"order_id":1}'));
        $this->assertSame([[$nonce, self::NOW + 600]], $this->recorded);
        // Five minutes either way is still fresh.
        foreach ([self::NOW - 300, self::NOW + 300] as $i => $at) {
            $nonce = 'fresh0000000000' . $i;
            $this->assertNull($this->verify((string) $at, $nonce, self::sign($at, $nonce, ''), ''));
        }
    }

    /**
     * @dataProvider refusals
     */
    public function testRefusalsSayWhyAndRecordNoNonce($timestamp, $nonce, $signature, $body, $secret, $why)
    {
        $this->assertSame($why, $this->verify($timestamp, $nonce, $signature, $body, $secret));
        $this->assertSame([], $this->recorded, 'a refused request records no nonce');
    }

    public function refusals()
    {
        $n = 'nonce0123456789x';
        $t = (string) self::NOW;

        return [
            'stale' => [(string) (self::NOW - 301), $n, self::sign(self::NOW - 301, $n, 'b'), 'b', 'k3y', 'stale request'],
            'from the future' => [(string) (self::NOW + 301), $n, self::sign(self::NOW + 301, $n, 'b'), 'b', 'k3y', 'stale request'],
            'no timestamp' => ['', $n, self::sign('', $n, 'b'), 'b', 'k3y', 'bad timestamp'],
            'short nonce' => [$t, 'abc', self::sign($t, 'abc', 'b'), 'b', 'k3y', 'bad nonce'],
            'nonce with a dot' => [$t, 'nonce.0123456789', self::sign($t, 'nonce.0123456789', 'b'), 'b', 'k3y', 'bad nonce'],
            'another secret' => [$t, $n, self::sign($t, $n, 'b', 'other'), 'b', 'k3y', 'bad signature'],
            'tampered body' => [$t, $n, self::sign($t, $n, '{"order_id":1}'), '{"order_id":2}', 'k3y', 'bad signature'],
            'uppercase hex' => [$t, $n, strtoupper(self::sign($t, $n, 'b')), 'b', 'k3y', 'bad signature'],
            'no secret configured' => [$t, $n, self::sign($t, $n, 'b', ''), 'b', '', 'the extension has no shared secret configured'],
        ];
    }

    public function testAReplayIsRefused()
    {
        $n = 'replay0123456789';
        $signature = self::sign(self::NOW, $n, 'b');
        $this->assertNull($this->verify((string) self::NOW, $n, $signature, 'b'));
        $this->assertSame('replayed request', $this->verify((string) self::NOW, $n, $signature, 'b'));
    }

    /**
     * @dataProvider moves
     */
    public function testStatusesOnlyMoveForward($from, $to, $applies)
    {
        $statuses = CryptoCheckoutCore::DEFAULT_STATUSES;
        $this->assertSame($applies, CryptoCheckoutCore::shouldApply($statuses[$from] ?? $from, $statuses[$to] ?? $to, $statuses));
    }

    public function moves()
    {
        return [
            'pending -> paid' => ['pending', 'paid', true],
            'unconfirmed (0) -> pending' => [0, 'pending', false],
            'unconfirmed (0) -> paid' => [0, 'paid', true],
            'pending -> confirming' => ['pending', 'confirming', true],
            'confirming -> expired' => ['confirming', 'expired', true],
            'paid -> canceled' => ['paid', 'canceled', false],
            'paid -> paid' => ['paid', 'paid', false],
            'paid -> confirming' => ['paid', 'confirming', false],
            'canceled -> paid' => ['canceled', 'paid', false],
            'paid -> refunded' => ['paid', 'refunded', true],
            'refunded -> refunded' => ['refunded', 'refunded', false],
            "a merchant's status (3, Shipped) -> paid" => [3, 'paid', false],
            "a merchant's status (3, Shipped) -> refunded" => [3, 'refunded', true],
        ];
    }

    public function testRanksFollowTheSettingsNotTheDefaults()
    {
        $statuses = ['pending' => 21, 'confirming' => 22, 'underpaid' => 24, 'paid' => 23, 'complete' => 5, 'canceled' => 7, 'expired' => 14, 'failed' => 10, 'refunded' => 11];
        $this->assertSame([0, 0, 1, 2, 3, 3, 4], array_map(function ($id) use ($statuses) {
            return CryptoCheckoutCore::rank($id, $statuses);
        }, [0, 21, 22, 24, 23, 1, 11]));
        // Closed short comes after confirming, and a late top-up still settles it.
        $this->assertTrue(CryptoCheckoutCore::shouldApply(22, 24, $statuses));
        $this->assertTrue(CryptoCheckoutCore::shouldApply(24, 23, $statuses));
        $this->assertFalse(CryptoCheckoutCore::shouldApply(23, 24, $statuses));
        // Not made yet (0): no status is taken for it.
        $this->assertSame(0, CryptoCheckoutCore::rank(0, ['underpaid' => 0] + $statuses));
        $this->assertSame(['pending' => 21] + CryptoCheckoutCore::DEFAULT_STATUSES, CryptoCheckoutCore::statuses(function ($name) {
            return $name === 'pending' ? '21' : null;
        }));
    }

    public function testTheUnderpaidStatusIsMadeOnceInEveryLanguage()
    {
        $added = [];
        $add = function (array $data) use (&$added) {
            $added[] = $data;

            return 17;
        };
        $languages = [['language_id' => 1], ['language_id' => 3]];
        $this->assertSame(17, CryptoCheckoutCore::underpaidStatus([['order_status_id' => 2, 'name' => 'Processing']], $languages, $add));
        $this->assertSame([['order_status' => [1 => ['name' => 'Crypto underpaid'], 3 => ['name' => 'Crypto underpaid']]]], $added);
        $this->assertSame(17, CryptoCheckoutCore::underpaidStatus([['order_status_id' => 17, 'name' => 'Crypto underpaid']], $languages, $add));
        $this->assertCount(1, $added, 'not made twice');
    }

    public function testAPaymentThatClosedShortGetsTheUnderpaidStatus()
    {
        $histories = [];
        $orders = [42 => ['order_id' => 42, 'order_status_id' => 2]];
        $shop = [
            'secret' => 's', 'now' => 0, 'statuses' => ['underpaid' => 17] + CryptoCheckoutCore::DEFAULT_STATUSES,
            'nonce_seen' => function () {
                return false;
            },
            'get_order' => function ($id) use (&$orders) {
                return isset($orders[$id]) ? $orders[$id] : [];
            },
            'add_history' => function ($id, $status, $comment, $notify) use (&$histories, &$orders) {
                $histories[] = [$id, $status];
                $orders[$id]['order_status_id'] = $status;
            },
        ];
        $body = '{"order_id":42,"order_status_id":2,"comment":"short","closed_short":true}';
        $request = ['method' => 'POST', 'timestamp' => '0', 'nonce' => 'abcdefabcdefabcd', 'signature' => hash_hmac('sha256', '0.abcdefabcdefabcd.' . $body, 's'), 'body' => $body];
        $this->assertSame([200, ['applied' => true, 'order_status_id' => 17]], CryptoCheckoutCore::handleCallback($request, $shop));
        $this->assertSame([[42, 17]], $histories);
    }

    public function testTheTotalIsInTheOrdersCurrency()
    {
        $this->assertSame('11.70', CryptoCheckoutCore::orderTotal('15.0000', '0.78000000', 2));
        $this->assertSame('2340', CryptoCheckoutCore::orderTotal('15.0000', '156.00000000', 0));
        $this->assertSame('10.00', CryptoCheckoutCore::orderTotal(9.999, 1, 2));
    }

    public function testCallbackBodiesAreCheckedStrictly()
    {
        $this->assertSame(
            ['order_id' => 42, 'order_status_id' => 15, 'comment' => '<b>paid</b>', 'notify' => true, 'closed_short' => false],
            CryptoCheckoutCore::parseCallbackRequest('{"order_id":42,"order_status_id":15,"comment":"<b>paid</b>","notify":true}')
        );
        foreach (['', 'null', '[]', '{"order_id":"42","order_status_id":15}', '{"order_id":42,"order_status_id":-1}', '{"order_id":42,"order_status_id":15,"notify":"yes"}'] as $bad) {
            $this->assertIsString(CryptoCheckoutCore::parseCallbackRequest($bad), $bad);
        }
        $this->assertSame(['order_id' => 7], CryptoCheckoutCore::parseOrderRequest('{"order_id":7}'));
        $this->assertIsString(CryptoCheckoutCore::parseOrderRequest('{"order_id":7.5}'));
    }

    public function testTheShimsRequestIsReadFromTheServerVariables()
    {
        $server = [
            'REQUEST_METHOD' => 'POST',
            'HTTP_X_SHIM_TIMESTAMP' => '1700000000',
            'HTTP_X_SHIM_NONCE' => 'abcdefABCDEF0123',
            'HTTP_X_SHIM_SIGNATURE' => 'ff',
        ];
        $this->assertSame(
            ['method' => 'POST', 'timestamp' => '1700000000', 'nonce' => 'abcdefABCDEF0123', 'signature' => 'ff', 'body' => '{}'],
            CryptoCheckoutCore::shimRequest($server, '{}')
        );
        $this->assertSame(
            ['method' => '', 'timestamp' => '', 'nonce' => '', 'signature' => '', 'body' => ''],
            CryptoCheckoutCore::shimRequest([], null),
            'missing headers are empty, and refused by verify()'
        );
    }

    public function testAnswersCarryTheirStatusLineOnlyWhenNotOk()
    {
        $json = ['Content-Type: application/json', 'Cache-Control: no-store'];
        $this->assertSame($json, CryptoCheckoutCore::answerHeaders(200, ['SERVER_PROTOCOL' => 'HTTP/1.1']));
        $this->assertSame(
            array_merge(['HTTP/2.0 401 Unauthorized'], $json),
            CryptoCheckoutCore::answerHeaders(401, ['SERVER_PROTOCOL' => 'HTTP/2.0'])
        );
        $this->assertSame(
            array_merge(['HTTP/1.1 405 Method Not Allowed', 'Allow: POST'], $json),
            CryptoCheckoutCore::answerHeaders(405, ['SERVER_PROTOCOL' => "HTTP/1.1\r\nX-Injected: 1"]),
            'a protocol that is not one is not echoed'
        );
    }

    public function testTheShopGlueRemembersNoncesAndPassesOrdersThrough()
    {
        $nonces = new class {
            public $kept = [];

            public function rememberNonce($nonce, $expires)
            {
                $seen = isset($this->kept[$nonce]);
                $this->kept[$nonce] = $expires;

                return $seen;
            }

            public function pruneNonces($now)
            {
            }
        };
        $history = [];
        $shop = CryptoCheckoutCore::shop(
            'k3y',
            CryptoCheckoutCore::DEFAULT_STATUSES,
            $nonces,
            function ($id) {
                return ['order_id' => $id, 'order_status_id' => 1];
            },
            function ($currency) {
                return 2;
            },
            function ($id, $status, $comment, $notify) use (&$history) {
                $history[] = [$id, $status, $comment, $notify];
            },
            self::NOW
        );
        $this->assertSame(['k3y', self::NOW], [$shop['secret'], $shop['now']]);
        $this->assertFalse(call_user_func($shop['nonce_seen'], 'n1', self::NOW + 600));
        $this->assertTrue(call_user_func($shop['nonce_seen'], 'n1', self::NOW + 600));
        $this->assertSame(7, call_user_func($shop['get_order'], 7)['order_id']);
        call_user_func($shop['add_history'], 7, 15, 'paid', true);
        $this->assertSame([[7, 15, 'paid', true]], $history);
    }
}
