<?php
/**
 * Crypto Checkout for OpenCart 4.0 and 4.1: the checkout step (confirm button, invoice, pay page) and
 * the two routes the shim calls, authenticated by an HMAC of the body (X-Shim-Timestamp,
 * X-Shim-Nonce, X-Shim-Signature):
 *   index.php?route=extension/crypto_checkout/payment/crypto_checkout.order     (4.0.2+; "|order" before)
 *   index.php?route=extension/crypto_checkout/payment/crypto_checkout.callback  (4.0.2+; "|callback" before)
 * What they do is CryptoCheckoutCatalog's (the extension's library); this is OpenCart 4's side.
 */
namespace Opencart\Catalog\Controller\Extension\CryptoCheckout\Payment;

if (!class_exists('CryptoCheckoutCore', false)) {
    require_once DIR_EXTENSION . 'crypto_checkout/system/library/crypto_checkout/core.php';
}

class CryptoCheckout extends \Opencart\System\Engine\Controller
{
    use \CryptoCheckoutCatalog;

    const ROUTE = 'extension/crypto_checkout/payment/crypto_checkout';

    /**
     * The confirm button on the checkout's last step.
     */
    public function index(): string
    {
        $this->load->language(self::ROUTE);
        $data['text_instruction'] = $this->language->get('text_instruction');
        $data['button_confirm'] = $this->language->get('button_confirm');
        $data['confirm'] = $this->link($this->action('confirm'));

        return $this->load->view(self::ROUTE, $data);
    }

    /**
     * "|" between a route and its method in 4.0.0-4.0.1, "." since 4.0.2.
     */
    protected function action($method)
    {
        return self::ROUTE . (defined('VERSION') && version_compare(VERSION, '4.0.2.0', '<') ? '|' : '.') . $method;
    }

    /**
     * In the payer's language.
     */
    protected function link($route, $args = '')
    {
        $args = 'language=' . $this->config->get('config_language') . ($args !== '' ? '&' . $args : '');

        return str_replace('&amp;', '&', $this->url->link($route, $args, true));
    }

    protected function payBreadcrumbs($title, $invoiceId)
    {
        $language = 'language=' . $this->config->get('config_language');

        return [
            ['text' => $this->language->get('text_home'), 'href' => $this->url->link('common/home', $language)],
            ['text' => $title, 'href' => $this->url->link($this->action('pay'), $language . '&invoice_id=' . $invoiceId)],
        ];
    }

    protected function addHistory($orderId, $statusId, $comment, $notify)
    {
        $this->model_checkout_order->addHistory($orderId, $statusId, $comment, $notify);
    }
}
