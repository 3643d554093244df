<?php
use PHPUnit\Framework\TestCase;

final class ShimClientTest extends TestCase
{
    private $sent = [];

    private function transport($status, $body)
    {
        return function ($url, $headers, $payload) use ($status, $body) {
            $this->sent[] = [$url, $headers, json_decode($payload, true)];

            return [$status, is_string($body) ? $body : json_encode($body)];
        };
    }

    public function testTheInvoiceIsAskedForWithTheBearerToken()
    {
        $request = CryptoCheckoutCore::invoiceRequest(42, '11.70', 'EUR', 'https://s/cart', 'https://s/success');
        $invoice = CryptoCheckoutCore::createInvoice('https://pay.example/', 'shk_secret', $request, $this->transport(201, ['id' => 'inv_1', 'pay_url' => 'https://pay.example/pay/inv_1']));
        $this->assertSame('https://pay.example/pay/inv_1', $invoice['pay_url']);
        list($url, $headers, $body) = $this->sent[0];
        $this->assertSame('https://pay.example/v1/invoices', $url);
        $this->assertContains('Authorization: Bearer shk_secret', $headers);
        $this->assertSame([
            'order_id' => 'oc-42',
            'amount' => '11.70',
            'currency' => 'EUR',
            'platform_order_ref' => '42',
            'url_return' => 'https://s/cart',
            'url_success' => 'https://s/success',
        ], $body);
    }

    /**
     * @dataProvider failures
     */
    public function testFailuresAreToldPlainlyWithoutTheToken($status, $body, $says)
    {
        try {
            CryptoCheckoutCore::createInvoice('https://pay.example', 'shk_secret', ['order_id' => 'oc-1'], $this->transport($status, $body));
            $this->fail('no exception');
        } catch (RuntimeException $e) {
            $this->assertStringContainsString($says, $e->getMessage());
            $this->assertStringNotContainsString('shk_secret', $e->getMessage());
        }
    }

    public function failures()
    {
        $leak = ['error' => ['code' => 'unauthorized', 'message' => 'token shk_secret is unknown']];

        return [
            'no answer' => [0, '', 'cannot be reached'],
            'busy' => [503, $leak, 'busy'],
            'refused' => [401, $leak, 'cannot be paid in crypto'],
            'not JSON' => [200, '<html>shk_secret</html>', 'cannot be paid in crypto'],
        ];
    }
}
