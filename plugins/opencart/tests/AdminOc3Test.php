<?php
require_once __DIR__ . '/AdminControllerCase.php';

/**
 * In processes of their own: OpenCart 3's admin controller has the catalog one's class name.
 *
 * @runTestsInSeparateProcesses
 * @preserveGlobalState disabled
 */
final class AdminOc3Test extends AdminControllerCase
{
    protected function version()
    {
        return '3';
    }

    public function testTheFormShowsErrorsAndSavesGoodSettings()
    {
        list($controller, $registry) = $this->admin(['payment_crypto_checkout_shim_url' => 'ftp://pay.example']);
        $controller->index();
        $data = $registry->get('load')->views[0][1];
        $this->assertNotSame('', $data['error_shim_url']);
        $this->assertNotSame('', $data['error_secret']);
        $this->assertSame(15, $data['payment_crypto_checkout_status_paid']);
        $this->assertSame('https://shop.example/index.php?route=extension/payment/crypto_checkout/order', $data['order_url']);

        $post = [
            'payment_crypto_checkout_shim_url' => 'https://pay.example',
            'payment_crypto_checkout_shop_token' => 'shk_1',
            'payment_crypto_checkout_secret' => 'a&b-0123456789abcdef', // stored escaped, as OpenCart does
        ];
        list($controller, $registry) = $this->admin($post);
        try {
            $controller->index();
            $this->fail('no redirect');
        } catch (StubRedirect $e) {
            $this->assertStringContainsString('marketplace/extension', $e->getMessage());
        }
        $this->assertSame('a&amp;b-0123456789abcdef', $registry->get('model_setting_setting')->saved['payment_crypto_checkout']['payment_crypto_checkout_secret']);
    }

    public function testInstallCreatesTheNonceTable()
    {
        list($controller, $registry) = $this->admin();
        $controller->install();
        $controller->uninstall();
        $queries = $registry->get('db')->queries;
        $this->assertStringStartsWith('CREATE TABLE IF NOT EXISTS `oc_crypto_checkout_nonce`', $queries[0]);
        $this->assertSame('DROP TABLE IF EXISTS `oc_crypto_checkout_nonce`', $queries[1]);
    }

    public function testASavedTokenIsNeverWrittenBackAndAnEmptyOneKeepsIt()
    {
        $this->assertTheSavedTokenIsNotShown();

        list($controller, $registry) = $this->admin(self::EMPTY_TOKEN, self::SAVED_TOKEN);
        try {
            $controller->index();
            $this->fail('no redirect');
        } catch (StubRedirect $e) {
            $this->assertStringContainsString('marketplace/extension', $e->getMessage());
        }
        $this->assertSame('shk_saved_secret_token', $registry->get('model_setting_setting')->saved['payment_crypto_checkout']['payment_crypto_checkout_shop_token']);
    }
}
