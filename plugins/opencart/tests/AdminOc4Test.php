<?php
require_once __DIR__ . '/AdminControllerCase.php';

final class AdminOc4Test extends AdminControllerCase
{
    protected function version()
    {
        return '4.0.2';
    }

    public function testTheFormShowsDefaultsAndTheShimsRoutes()
    {
        list($controller, $registry) = $this->admin([], ['payment_crypto_checkout_status_paid' => 2]);
        $controller->index();
        list($view, $data) = $registry->get('load')->views[0];
        $this->assertSame('extension/crypto_checkout/payment/crypto_checkout', $view);
        $this->assertSame(2, $data['payment_crypto_checkout_status_paid']);
        $this->assertSame(7, $data['payment_crypto_checkout_status_canceled']);
        $this->assertMatchesRegularExpression('/^[0-9a-f]{64}$/', $data['payment_crypto_checkout_secret'], 'a secret is suggested');
        $this->assertSame('https://shop.example/index.php?route=extension/crypto_checkout/payment/crypto_checkout.callback', $data['callback_url']);
        $this->assertStringContainsString('crypto_checkout.save', $data['save']);
        $this->assertCount(9, $data['status_fields']);
        $this->assertSame(17, $data['payment_crypto_checkout_status_underpaid'], 'the extension made its status');
        $this->assertSame('Crypto underpaid', StubOrderStatusModel::$added[0]['order_status'][2]['name'], 'in every language');
    }

    public function testSaveChecksTheSettings()
    {
        list($controller, $registry) = $this->admin(['payment_crypto_checkout_shim_url' => 'pay.example', 'payment_crypto_checkout_secret' => 'short']);
        $controller->save();
        $json = $registry->get('response')->json();
        $this->assertSame(['shim_url', 'shop_token', 'secret', 'warning'], array_keys($json['error']));
        $this->assertFalse($registry->has('model_setting_setting'));

        $post = [
            'payment_crypto_checkout_shim_url' => 'https://pay.example',
            'payment_crypto_checkout_shop_token' => 'shk_1',
            'payment_crypto_checkout_secret' => str_repeat('ab', 16),
            'payment_crypto_checkout_status' => '1',
        ];
        list($controller, $registry) = $this->admin($post);
        $controller->save();
        $this->assertArrayHasKey('success', $registry->get('response')->json());
        $this->assertSame($post, $registry->get('model_setting_setting')->saved['payment_crypto_checkout']);
    }

    public function testInstallCreatesTheNonceTableAndUninstallDropsIt()
    {
        list($controller, $registry) = $this->admin();
        $controller->install();
        $controller->install();
        $this->assertCount(1, StubOrderStatusModel::$added, 'the underpaid status, once');
        $controller->uninstall();
        $queries = $registry->get('db')->queries;
        $this->assertStringStartsWith('CREATE TABLE IF NOT EXISTS `oc_crypto_checkout_nonce`', $queries[0]);
        $this->assertStringContainsString('`nonce` VARCHAR(64)', $queries[0]);
        $this->assertStringContainsString('PRIMARY KEY (`nonce`)', $queries[0]);
        $this->assertSame('DROP TABLE IF EXISTS `oc_crypto_checkout_nonce`', $queries[2]);
    }

    public function testASavedTokenIsNeverWrittenBackAndAnEmptyOneKeepsIt()
    {
        $this->assertTheSavedTokenIsNotShown();

        $post = self::EMPTY_TOKEN;
        $saved = self::SAVED_TOKEN;
        list($controller, $registry) = $this->admin($post, $saved);
        $controller->save();
        $this->assertArrayHasKey('success', $registry->get('response')->json());
        $this->assertSame('shk_saved_secret_token', $registry->get('model_setting_setting')->saved['payment_crypto_checkout']['payment_crypto_checkout_shop_token']);
        list($controller, $registry) = $this->admin(['payment_crypto_checkout_shop_token' => 'shk_new'] + $post, $saved);
        $controller->save();
        $this->assertSame('shk_new', $registry->get('model_setting_setting')->saved['payment_crypto_checkout']['payment_crypto_checkout_shop_token']);
        list($controller, $registry) = $this->admin($post);
        $controller->save();
        $this->assertArrayHasKey('shop_token', $registry->get('response')->json()['error'], 'none saved, none given');
    }
}
