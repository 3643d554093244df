<?php
/**
 * The shim's HTTP API, as the module uses it: create (or find again) the invoice of an order, and
 * connect the shop. The client itself is shared with the other platforms' packages
 * (CryptoCheckoutShimClient, copied beside this file when the module is packaged); this is what
 * PrestaShop adds to it.
 */
if (!class_exists('CryptoCheckoutShimClient', false)) {
    require_once __DIR__ . '/CryptoCheckoutShimClient.php';
}

class CryptoCheckoutShim extends CryptoCheckoutShimClient
{
    /**
     * What the shim needs for an order.
     *
     * @param int $orderId The PrestaShop order id
     * @param float|string $total Total paid, taxes included
     * @param string $currency ISO code
     * @param string $urlReturn Where "return to store" leads
     * @param string $urlSuccess Where the payer goes after paying
     * @param int $decimals The currency's decimal places (JPY 0, KWD 3)
     *
     * @return array
     */
    public static function invoiceRequest($orderId, $total, $currency, $urlReturn, $urlSuccess, $decimals = 2)
    {
        return self::invoiceFields(
            $orderId,
            $orderId,
            number_format((float) $total, (int) $decimals, '.', ''),
            $currency,
            $urlReturn,
            $urlSuccess
        );
    }

    /**
     * Connects this shop to the shim: the shim stores this shop's route and the secret they
     * share, once it has called the route with it (so the shim must be able to reach this site).
     *
     * @param string $site This shop's URL (where its index.php is)
     * @param string $secret The shared secret
     *
     * @return array The shim's answer (connected, plugin, platform)
     *
     * @throws RuntimeException With a message for the merchant
     */
    public function connect($site, $secret)
    {
        return $this->connectShop('prestashop', $site, $secret);
    }
}
