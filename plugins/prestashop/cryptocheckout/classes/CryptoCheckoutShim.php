<?php
/**
 * The shim's HTTP API, as the module uses it: create (or find again) the invoice of an order.
 */

class CryptoCheckoutShim
{
    /** @var string */
    private $url;
    /** @var string */
    private $token;
    /** @var callable|null (url, headers, body) => [status, body] */
    private $transport;

    /**
     * @param string $url The shim's URL
     * @param string $token The shop token
     * @param callable|null $transport For tests; cURL otherwise
     */
    public function __construct($url, $token, $transport = null)
    {
        $this->url = rtrim((string) $url, '/');
        $this->token = (string) $token;
        $this->transport = $transport;
    }

    public function url()
    {
        return $this->url;
    }

    /**
     * What the shim needs for an order.
     *
     * @param int $orderId The PrestaShop order id
     * @param float|string $total Total paid, taxes included
     * @param string $currency ISO code
     * @param string $urlReturn Where "return to store" leads
     * @param string $urlSuccess Where the payer goes after paying
     *
     * @return array
     */
    public static function invoiceRequest($orderId, $total, $currency, $urlReturn, $urlSuccess)
    {
        return [
            'order_id' => (string) $orderId,
            'amount' => number_format((float) $total, 2, '.', ''),
            'currency' => (string) $currency,
            'platform_order_ref' => (string) $orderId,
            'url_return' => (string) $urlReturn,
            'url_success' => (string) $urlSuccess,
        ];
    }

    /**
     * Creates the invoice, or returns the order's existing one (the shim is idempotent per order).
     *
     * @return array The invoice (id, pay_url, ...)
     *
     * @throws RuntimeException With a message for the payer
     */
    public function createInvoice(array $request)
    {
        $headers = [
            'Authorization: Bearer ' . $this->token,
            'Content-Type: application/json',
            'Accept: application/json',
        ];
        list($status, $body) = $this->post($this->url . '/v1/invoices', $headers, json_encode($request));
        $decoded = json_decode((string) $body, true);
        if (($status === 200 || $status === 201) && is_array($decoded) && !empty($decoded['id'])) {
            return $decoded;
        }
        if ($status === 0) {
            throw new RuntimeException('The crypto payment service cannot be reached right now. Please try again in a minute.');
        }
        if ($status >= 500) {
            throw new RuntimeException('The crypto payment service is busy. Please try again in a minute.');
        }
        throw new RuntimeException('This order cannot be paid in crypto. Please contact us.');
    }

    /**
     * @return array [HTTP status (0: no answer), body]
     */
    private function post($url, array $headers, $body)
    {
        if ($this->transport !== null) {
            return call_user_func($this->transport, $url, $headers, $body);
        }
        $curl = curl_init($url);
        curl_setopt_array($curl, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => 10,
            CURLOPT_TIMEOUT => 20,
        ]);
        $answer = curl_exec($curl);
        $status = $answer === false ? 0 : (int) curl_getinfo($curl, CURLINFO_HTTP_CODE);
        curl_close($curl);

        return [$status, $answer === false ? '' : $answer];
    }
}
