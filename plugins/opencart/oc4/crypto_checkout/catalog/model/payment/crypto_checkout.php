<?php
/**
 * Crypto Checkout for OpenCart 4.0 and 4.1: the payment method at checkout (getMethod for
 * 4.0.0-4.0.1, getMethods for 4.0.2+), and the nonces of the shim's requests (table
 * crypto_checkout_nonce, created on install).
 */
namespace Opencart\Catalog\Model\Extension\CryptoCheckout\Payment;

class CryptoCheckout extends \Opencart\System\Engine\Model
{
    /**
     * OpenCart 4.0.0-4.0.1: the payment method, or an empty array when not offered.
     */
    public function getMethod(array $address = []): array
    {
        if (!$this->offered()) {
            return [];
        }

        return [
            'code' => 'crypto_checkout',
            'title' => $this->title(),
            'sort_order' => $this->config->get('payment_crypto_checkout_sort_order'),
        ];
    }

    /**
     * OpenCart 4.0.2+: the payment method with its one option, or an empty array when not offered.
     */
    public function getMethods(array $address = []): array
    {
        if (!$this->offered()) {
            return [];
        }
        $title = $this->title();

        return [
            'code' => 'crypto_checkout',
            'name' => $title,
            'option' => [
                'crypto_checkout' => ['code' => 'crypto_checkout.crypto_checkout', 'name' => $title],
            ],
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
    public function rememberNonce(string $nonce, int $expires): bool
    {
        $this->db->query("INSERT IGNORE INTO `" . DB_PREFIX . "crypto_checkout_nonce` (`nonce`, `expires`) VALUES ('" . $this->db->escape($nonce) . "', '" . (int) $expires . "')");

        return (int) $this->db->countAffected() < 1;
    }

    /**
     * Forgets the nonces that expired.
     */
    public function pruneNonces(int $now): void
    {
        $this->db->query("DELETE FROM `" . DB_PREFIX . "crypto_checkout_nonce` WHERE `expires` < '" . (int) $now . "'");
    }

    /**
     * When the extension is set up; not for subscriptions (crypto payments cannot be taken again
     * by the shop).
     */
    private function offered(): bool
    {
        $configured = $this->config->get('payment_crypto_checkout_shim_url')
            && $this->config->get('payment_crypto_checkout_shop_token')
            && $this->config->get('payment_crypto_checkout_secret');
        $subscription = $this->registry->has('cart') && method_exists($this->cart, 'hasSubscription') && $this->cart->hasSubscription();

        return $configured && !$subscription;
    }

    private function title(): string
    {
        $this->load->language('extension/crypto_checkout/payment/crypto_checkout');
        $title = trim((string) $this->config->get('payment_crypto_checkout_title'));

        return $title !== '' ? $title : $this->language->get('text_title');
    }
}
