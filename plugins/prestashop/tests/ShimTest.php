<?php
use PHPUnit\Framework\TestCase;

final class ShimTest extends TestCase
{
    private $sent = [];

    private function shim($status, $body)
    {
        return new CryptoCheckoutShim('https://pay.shop.example/', 'shk_secret', function ($url, $headers, $payload) use ($status, $body) {
            $this->sent[] = [$url, $headers, json_decode($payload, true)];
            return [$status, json_encode($body)];
        });
    }

    public function testTheInvoiceIsAskedForWithTheOrdersTotal()
    {
        $request = CryptoCheckoutShim::invoiceRequest(42, '15.000000', 'EUR', 'https://s/history', 'https://s/confirmation');
        $invoice = $this->shim(201, ['id' => 'inv_42', 'pay_url' => 'https://pay/pay/inv_42'])->createInvoice($request);
        $this->assertSame('inv_42', $invoice['id']);
        list($url, $headers, $body) = $this->sent[0];
        $this->assertSame('https://pay.shop.example/v1/invoices', $url);
        $this->assertContains('Authorization: Bearer shk_secret', $headers);
        $this->assertSame([
            'order_id' => '42',
            'amount' => '15.00',
            'currency' => 'EUR',
            'platform_order_ref' => '42',
            'url_return' => 'https://s/history',
            'url_success' => 'https://s/confirmation',
        ], $body);
    }

    public function testTheSameOrderAgainIsFine()
    {
        $invoice = $this->shim(200, ['id' => 'inv_42'])->createInvoice(['order_id' => '42']);
        $this->assertSame('inv_42', $invoice['id']);
    }

    /**
     * @dataProvider failures
     */
    public function testFailuresAreToldPlainly($status, $says)
    {
        $this->expectException(RuntimeException::class);
        $this->expectExceptionMessage($says);
        $this->shim($status, ['error' => ['code' => 'x', 'message' => 'shk_secret must not leak']])->createInvoice(['order_id' => '1']);
    }

    public function failures()
    {
        return [
            'no answer' => [0, 'cannot be reached'],
            'busy' => [503, 'busy'],
            'refused' => [409, 'cannot be paid in crypto'],
        ];
    }

    public function testConnectingGivesTheShimTheShopsRouteAndSecret()
    {
        $answer = $this->shim(200, ['connected' => true, 'plugin' => '0.2.0', 'platform' => 'PrestaShop 8.1.2'])
            ->connect('http://shop.example', 'a-secret-of-the-module-itself');
        $this->assertTrue($answer['connected']);
        $this->assertSame('https://pay.shop.example/v1/platforms/prestashop/connect', $this->sent[0][0]);
        $this->assertContains('Authorization: Bearer shk_secret', $this->sent[0][1]);
        $this->assertSame(['site' => 'http://shop.example', 'secret' => 'a-secret-of-the-module-itself'], $this->sent[0][2]);
        try {
            $this->shim(422, ['error' => ['code' => 'invalid_request', 'message' => 'the shim could not connect to the plugin at http://shop.example: HTTP 401 bad signature']])
                ->connect('http://shop.example', 'a-secret-of-the-module-itself');
            $this->fail('a refusal must be thrown');
        } catch (RuntimeException $e) {
            $this->assertStringContainsString('bad signature', $e->getMessage());
        }
        $this->expectExceptionMessage('shop token');
        $this->shim(401, ['error' => ['code' => 'unauthorized', 'message' => 'unknown shop token']])
            ->connect('http://shop.example', 'a-secret-of-the-module-itself');
    }
}
