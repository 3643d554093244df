<?php
/**
 * Crypto Checkout for OpenCart 3.0: the checkout step (confirm button, invoice, pay page) and the two
 * routes the shim calls, authenticated by an HMAC of the body (X-Shim-Timestamp, X-Shim-Nonce,
 * X-Shim-Signature):
 *   index.php?route=extension/payment/crypto_checkout/order     the order's status, total, currency
 *   index.php?route=extension/payment/crypto_checkout/callback  adds a history entry (forward only)
 * What they do is CryptoCheckoutCatalog's (the extension's library); this is OpenCart 3.0's side.
 */
if (!class_exists('CryptoCheckoutCore', false)) {
    require_once DIR_SYSTEM . 'library/crypto_checkout/core.php';
}

class ControllerExtensionPaymentCryptoCheckout extends Controller
{
    use CryptoCheckoutCatalog;

    const ROUTE = 'extension/payment/crypto_checkout';

    /**
     * The confirm button on the checkout's last step.
     */
    public function index()
    {
        $this->load->language(self::ROUTE);
        $data['text_instruction'] = $this->language->get('text_instruction');
        $data['text_loading'] = $this->language->get('text_loading');
        $data['button_confirm'] = $this->language->get('button_confirm');

        return $this->load->view(self::ROUTE, $data);
    }

    protected function action($method)
    {
        return self::ROUTE . '/' . $method;
    }

    protected function link($route, $args = '')
    {
        return str_replace('&amp;', '&', $this->url->link($route, $args, true));
    }

    protected function payBreadcrumbs($title, $invoiceId)
    {
        return [
            ['text' => $this->language->get('text_home'), 'href' => $this->url->link('common/home')],
            ['text' => $title, 'href' => $this->url->link($this->action('pay'), 'invoice_id=' . $invoiceId, true)],
        ];
    }

    protected function addHistory($orderId, $statusId, $comment, $notify)
    {
        $this->model_checkout_order->addOrderHistory($orderId, $statusId, $comment, $notify);
    }
}
