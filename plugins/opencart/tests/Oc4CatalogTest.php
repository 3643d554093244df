<?php
require_once __DIR__ . '/CatalogControllerCase.php';

OcStub::controllerClass('4.0.2', 'catalog');

final class Oc4TestCatalog extends Opencart\Catalog\Controller\Extension\CryptoCheckout\Payment\CryptoCheckout
{
    use TestHooks;
}

final class Oc4CatalogTest extends CatalogControllerCase
{
    protected function version()
    {
        return '4.0.2';
    }

    protected function controller($registry)
    {
        return new Oc4TestCatalog($registry);
    }

    protected function chosenPaymentMethod()
    {
        return ['code' => 'crypto_checkout.crypto_checkout', 'name' => 'Cryptocurrency'];
    }

    protected function payPage($invoiceId)
    {
        return 'https://shop.example/index.php?route=extension/crypto_checkout/payment/crypto_checkout.pay&language=en-gb&invoice_id=' . $invoiceId;
    }
}
