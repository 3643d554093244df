<?php
use PHPUnit\Framework\TestCase;

final class PayControllerTest extends TestCase
{
    private $sent = [];

    protected function setUp(): void
    {
        Registry::reset();
        Registry::$orders[42] = ['id_customer' => 7, 'id_currency' => 2, 'id_cart' => 9, 'total_paid_tax_incl' => '15.000000'];
        Registry::$customers[7] = 'secure7';
        Registry::$currencies[2] = 'USD';
        $this->answer(201, ['id' => 'inv_42']);
    }

    private function answer($status, $body)
    {
        Registry::$shim = new CryptoCheckoutShim('https://pay.shop.example', 'shk', function ($url, $headers, $payload) use ($status, $body) {
            $this->sent[] = json_decode($payload, true);
            return [$status, json_encode($body)];
        });
    }

    public function testThePayerSeesTheWidgetForTheOrdersInvoice()
    {
        Registry::$get = ['id_order' => '42', 'key' => 'secure7'];
        (new CryptoCheckoutPayModuleFrontController())->initContent();
        $this->assertSame('42', $this->sent[0]['order_id']);
        $this->assertSame('15.00', $this->sent[0]['amount']);
        $this->assertSame('USD', $this->sent[0]['currency']);
        $this->assertStringContainsString('order-confirmation', $this->sent[0]['url_success']);
        $this->assertSame('inv_42', Registry::$assigned['crypto_invoice']);
        $this->assertSame('https://pay.shop.example', Registry::$assigned['crypto_shim']);
        $this->assertSame('fr', Registry::$assigned['crypto_locale']);
        $this->assertNull(Registry::$assigned['crypto_error']);
        $this->assertSame('module:cryptocheckout/views/templates/front/pay.tpl', Registry::$template);
    }

    public function testSomeoneElsesOrderIsNotShown()
    {
        Registry::$get = ['id_order' => '42', 'key' => 'guess'];
        $this->expectException(Redirected::class);
        try {
            (new CryptoCheckoutPayModuleFrontController())->initContent();
        } finally {
            $this->assertSame([], $this->sent, 'the shim is not asked');
        }
    }

    public function testAShimThatCannotBeReachedIsSaid()
    {
        $this->answer(0, null);
        Registry::$get = ['id_order' => '42', 'key' => 'secure7'];
        (new CryptoCheckoutPayModuleFrontController())->initContent();
        $this->assertStringContainsString('cannot be reached', Registry::$assigned['crypto_error']);
        $this->assertSame('', Registry::$assigned['crypto_invoice']);
        $this->assertStringContainsString('no invoice for order 42', Registry::$logged[0]);
    }

    public function testARefusalIsWrittenToTheShopsLogWithTheShimsWords()
    {
        $this->answer(409, ['error' => ['code' => 'conflict', 'message' => 'order 42 totals 20.00 USD at the shop']]);
        Registry::$get = ['id_order' => '42', 'key' => 'secure7'];
        (new CryptoCheckoutPayModuleFrontController())->initContent();
        $this->assertStringContainsString('cannot be paid in crypto', Registry::$assigned['crypto_error']);
        $this->assertStringContainsString('totals 20.00 USD', Registry::$logged[0]);
        $this->assertStringNotContainsString('shk', Registry::$logged[0]);
    }

    public function testAmountsHaveTheDecimalsOfTheOrdersCurrency()
    {
        Registry::$orders[43] = ['id_customer' => 7, 'id_currency' => 3, 'id_cart' => 9, 'total_paid_tax_incl' => '1500.000000'];
        Registry::$currencies[3] = 'JPY';
        Registry::$get = ['id_order' => '43', 'key' => 'secure7'];
        (new CryptoCheckoutPayModuleFrontController())->initContent();
        $this->assertSame('1500', $this->sent[0]['amount']);
        $this->assertStringContainsString('order-confirmation', $this->sent[0]['url_return'], 'a guest can open it');
    }
}
