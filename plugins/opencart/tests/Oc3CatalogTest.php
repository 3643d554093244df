<?php
require_once __DIR__ . '/CatalogControllerCase.php';

OcStub::controllerClass('3', 'catalog');

final class Oc3TestCatalog extends ControllerExtensionPaymentCryptoCheckout
{
    use TestHooks;
}

final class Oc3CatalogTest extends CatalogControllerCase
{
    protected function version()
    {
        return '3';
    }

    protected function controller($registry)
    {
        return new Oc3TestCatalog($registry);
    }

    protected function chosenPaymentMethod()
    {
        return ['code' => 'crypto_checkout', 'title' => 'Cryptocurrency', 'terms' => '', 'sort_order' => ''];
    }

    protected function payPage($invoiceId)
    {
        return 'https://shop.example/index.php?route=extension/payment/crypto_checkout/pay&invoice_id=' . $invoiceId;
    }
}
