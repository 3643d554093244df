<?php
/**
 * Crypto Checkout for OpenCart 3.0: the payment method at checkout, and the nonces of the shim's
 * requests (table crypto_checkout_nonce, created on install).
 */
class ModelExtensionPaymentCryptoCheckout extends Model
{
    /**
     * The payment method, when the extension is set up; not for subscriptions (crypto payments
     * cannot be taken again by the shop).
     *
     * @param array $address The payment address
     * @param float $total The cart's total
     *
     * @return array Empty when not offered
     */
    public function getMethod($address, $total)
    {
        $this->load->language('extension/payment/crypto_checkout');
        $configured = $this->config->get('payment_crypto_checkout_shim_url')
            && $this->config->get('payment_crypto_checkout_shop_token')
            && $this->config->get('payment_crypto_checkout_secret');
        $recurring = is_object($this->cart) && method_exists($this->cart, 'hasRecurringProducts') && $this->cart->hasRecurringProducts();
        if (!$configured || $recurring) {
            return [];
        }
        $title = trim((string) $this->config->get('payment_crypto_checkout_title'));

        return [
            'code' => 'crypto_checkout',
            'title' => $title !== '' ? $title : $this->language->get('text_title'),
            'terms' => '',
            'sort_order' => $this->config->get('payment_crypto_checkout_sort_order'),
        ];
    }

    /**
     * Records a nonce (atomically, by its primary key).
     *
     * @param string $nonce Letters and digits, checked by the core
     * @param int $expires Unix time after which it may be forgotten
     *
     * @return bool True if it had been seen before
     */
    public function rememberNonce($nonce, $expires)
    {
        $this->db->query("INSERT IGNORE INTO `" . DB_PREFIX . "crypto_checkout_nonce` (`nonce`, `expires`) VALUES ('" . $this->db->escape($nonce) . "', '" . (int) $expires . "')");

        return (int) $this->db->countAffected() < 1;
    }

    /**
     * Forgets the nonces that expired.
     *
     * @param int $now Unix time
     */
    public function pruneNonces($now)
    {
        $this->db->query("DELETE FROM `" . DB_PREFIX . "crypto_checkout_nonce` WHERE `expires` < '" . (int) $now . "'");
    }
}
