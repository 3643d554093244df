<?php
/**
 * Crypto Checkout for OpenCart: what the catalog controller of both packages does (packaging copies
 * this file to system/library/crypto_checkout/catalog.php; core.php loads it). Each package's
 * controller uses this trait and adapts it to its OpenCart version: its class and ROUTE, index(),
 * how a route names its methods, the payer's language in links, and the order model's history call.
 *
 *   confirm   creates the invoice through the shim, puts the order in "pending" and answers where
 *             the payer goes
 *   pay       the shop's own pay page (setting "hosted" off): the widget for one invoice
 *   order     called by the shim: {"order_id": N} => the order's status, total and currency
 *   callback  called by the shim: {"order_id", "order_status_id", "comment", "notify"} => a history
 *             entry when it moves the order forward
 *
 * The shim's two routes are authenticated by an HMAC of the body (X-Shim-Timestamp, X-Shim-Nonce,
 * X-Shim-Signature). PHP 7.4+ and 8.
 */
trait CryptoCheckoutCatalog
{
    /**
     * This controller's route with one of its methods ("/", "|" or "." between them, as the
     * OpenCart version wants).
     *
     * @return string
     */
    abstract protected function action($method);

    /**
     * A shop URL for a browser or for the shim (without OpenCart's "&amp;").
     *
     * @return string
     */
    abstract protected function link($route, $args = '');

    /**
     * The pay page's breadcrumbs.
     *
     * @return array
     */
    abstract protected function payBreadcrumbs($title, $invoiceId);

    /**
     * Adds an order history entry: OpenCart's own call, which 3.0 and 4.x name differently.
     */
    abstract protected function addHistory($orderId, $statusId, $comment, $notify);

    /**
     * Posted by the confirm button: creates the invoice through the shim, puts the order in
     * "pending" and answers where the payer goes ({"redirect": ...} or {"error": ...}).
     */
    public function confirm()
    {
        $this->load->language(self::ROUTE);
        $json = [];
        $orderId = isset($this->session->data['order_id']) ? (int) $this->session->data['order_id'] : 0;
        $order = [];
        if ($orderId > 0 && $this->isOurPaymentMethod()) {
            $this->load->model('checkout/order');
            $order = $this->model_checkout_order->getOrder($orderId);
        }
        if (!$order) {
            $json['error'] = $this->language->get('error_order');
        } else {
            $request = CryptoCheckoutCore::invoiceRequest(
                $orderId,
                CryptoCheckoutCore::orderTotal($order['total'], $order['currency_value'], $this->decimals($order['currency_code'])),
                $order['currency_code'],
                $this->link('checkout/cart'),
                $this->link('checkout/success')
            );
            try {
                $invoice = CryptoCheckoutCore::createInvoice($this->setting('shim_url'), $this->setting('shop_token'), $request, $this->shimTransport());
                // Only an order OpenCart has not confirmed yet (status 0): a second click adds no row.
                if ((int) $order['order_status_id'] === 0) {
                    $this->addHistory(
                        $orderId,
                        $this->statuses()['pending'],
                        sprintf($this->language->get('text_comment'), $invoice['id']),
                        false
                    );
                }
                $json['redirect'] = $this->payerUrl($invoice);
            } catch (RuntimeException $e) {
                $json['error'] = $e->getMessage();
            }
        }
        $this->response->addHeader('Content-Type: application/json');
        $this->response->setOutput(json_encode($json));
    }

    /**
     * The shop's own pay page (setting "hosted" off): the widget for one invoice.
     */
    public function pay()
    {
        $this->load->language(self::ROUTE);
        $this->document->setTitle($this->language->get('heading_title'));
        $invoiceId = isset($this->request->get['invoice_id']) ? (string) $this->request->get['invoice_id'] : '';
        $data['heading_title'] = $this->language->get('heading_title');
        $data['text_invalid'] = $this->language->get('text_invalid');
        // Checked before it is printed: nothing else gets into the page.
        $data['invoice_id'] = CryptoCheckoutCore::isInvoiceId($invoiceId) ? $invoiceId : '';
        $data['shim_url'] = rtrim($this->setting('shim_url'), '/');
        $data['locale'] = (string) $this->config->get('config_language');
        $data['breadcrumbs'] = $this->payBreadcrumbs($data['heading_title'], $data['invoice_id']);
        $data['column_left'] = $this->load->controller('common/column_left');
        $data['column_right'] = $this->load->controller('common/column_right');
        $data['content_top'] = $this->load->controller('common/content_top');
        $data['content_bottom'] = $this->load->controller('common/content_bottom');
        $data['footer'] = $this->load->controller('common/footer');
        $data['header'] = $this->load->controller('common/header');
        $this->response->setOutput($this->load->view(self::ROUTE . '_pay', $data));
    }

    /**
     * Called by the shim: {"order_id": N} => the order's status, total and currency.
     */
    public function order()
    {
        $this->answer(CryptoCheckoutCore::handleOrder($this->shimRequest(), $this->shop()));
    }

    /**
     * Called by the shim: {"order_id", "order_status_id", "comment", "notify"} => a history entry
     * when it moves the order forward.
     */
    public function callback()
    {
        $this->answer(CryptoCheckoutCore::handleCallback($this->shimRequest(), $this->shop()));
    }

    /**
     * The raw request body (tests give their own).
     *
     * @return string
     */
    protected function rawBody()
    {
        return (string) file_get_contents('php://input');
    }

    /**
     * How the shim is called: null for cURL (tests give their own).
     *
     * @return callable|null
     */
    protected function shimTransport()
    {
        return null;
    }

    /**
     * A setting of the extension as the merchant typed it (OpenCart stores posted forms
     * HTML-escaped, which would break a secret or a URL with "&" in it).
     *
     * @return string
     */
    private function setting($name)
    {
        return html_entity_decode((string) $this->config->get('payment_crypto_checkout_' . $name), ENT_QUOTES, 'UTF-8');
    }

    /**
     * @return array pending, confirming, ... => order_status_id
     */
    private function statuses()
    {
        return CryptoCheckoutCore::statuses(function ($name) {
            return $this->config->get('payment_crypto_checkout_status_' . $name);
        });
    }

    private function decimals($currencyCode)
    {
        return is_object($this->currency) ? (int) $this->currency->getDecimalPlace($currencyCode) : 2;
    }

    /**
     * Whether the payer chose this extension at checkout.
     */
    private function isOurPaymentMethod()
    {
        $method = isset($this->session->data['payment_method']) ? $this->session->data['payment_method'] : null;
        $code = is_array($method) && isset($method['code']) ? $method['code'] : $method;

        return is_string($code) && explode('.', $code)[0] === 'crypto_checkout';
    }

    /**
     * Where the payer goes after confirming: the shim's pay page, or the shop's own.
     */
    private function payerUrl(array $invoice)
    {
        $payUrl = isset($invoice['pay_url']) ? (string) $invoice['pay_url'] : '';
        if ($this->setting('hosted') === '1' && preg_match('#^https?://#i', $payUrl)) {
            return $payUrl;
        }

        return $this->link($this->action('pay'), 'invoice_id=' . rawurlencode($invoice['id']));
    }

    /**
     * The shim's request as the core reads it.
     */
    private function shimRequest()
    {
        return CryptoCheckoutCore::shimRequest($this->request->server, $this->rawBody());
    }

    /**
     * The shop as the core uses it: settings, orders and the nonce table (the extension's model).
     */
    private function shop()
    {
        $this->load->model(self::ROUTE);
        $this->load->model('checkout/order');
        $orders = $this->model_checkout_order;

        return CryptoCheckoutCore::shop(
            $this->setting('secret'),
            $this->statuses(),
            $this->{'model_' . str_replace('/', '_', self::ROUTE)},
            function ($orderId) use ($orders) {
                return $orders->getOrder($orderId);
            },
            function ($currencyCode) {
                return $this->decimals($currencyCode);
            },
            function ($orderId, $statusId, $comment, $notify) {
                $this->addHistory($orderId, $statusId, $comment, $notify);
            },
            time()
        );
    }

    /**
     * Sends the core's [status, answer] as JSON.
     */
    private function answer(array $result)
    {
        list($status, $body) = $result;
        foreach (CryptoCheckoutCore::answerHeaders($status, $this->request->server) as $header) {
            $this->response->addHeader($header);
        }
        $this->response->setOutput(json_encode($body));
    }
}
