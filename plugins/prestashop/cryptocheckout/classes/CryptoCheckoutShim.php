<?php
/**
 * The shim's HTTP API, as the module uses it: create (or find again) the invoice of an order.
 */

class CryptoCheckoutShim
{
    /** Seconds to wait for the shim: longer than it waits for the shop (8 s) and the gateway (10 s). */
    const TIMEOUT = 25;

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
     * @param int $decimals The currency's decimal places (JPY 0, KWD 3)
     *
     * @return array
     */
    public static function invoiceRequest($orderId, $total, $currency, $urlReturn, $urlSuccess, $decimals = 2)
    {
        return [
            'order_id' => (string) $orderId,
            'amount' => number_format((float) $total, (int) $decimals, '.', ''),
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
        list($status, $decoded) = $this->call('/v1/invoices', $request);
        if (($status === 200 || $status === 201) && is_array($decoded) && !empty($decoded['id'])) {
            return $decoded;
        }
        $this->lastError = sprintf('the shim answered %d: %s', $status, self::said($decoded));
        if ($status === 0) {
            throw new RuntimeException('The crypto payment service cannot be reached right now. Please try again in a minute.');
        }
        if ($status >= 500) {
            throw new RuntimeException('The crypto payment service is busy. Please try again in a minute.');
        }
        throw new RuntimeException('This order cannot be paid in crypto. Please contact us.');
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
        list($status, $decoded) = $this->call('/v1/platforms/prestashop/connect', ['site' => $site, 'secret' => $secret]);
        if ($status === 200 && is_array($decoded) && !empty($decoded['connected'])) {
            return $decoded;
        }
        if ($status === 0) {
            throw new RuntimeException('The shim cannot be reached: check its URL.');
        }
        if ($status === 401) {
            throw new RuntimeException('The shim does not know this shop token: check it.');
        }
        throw new RuntimeException('The shim could not connect this shop: ' . self::said($decoded, 'HTTP ' . $status));
    }

    /** @var string What the shim said about the last refused invoice, for the shop's log. */
    public $lastError = '';

    /**
     * The message of a shim error body.
     *
     * @return string
     */
    private static function said($decoded, $otherwise = '')
    {
        return is_array($decoded) && isset($decoded['error']['message']) ? (string) $decoded['error']['message'] : $otherwise;
    }

    /**
     * Posts `$request` as JSON to the shim's `$path` with the shop token.
     *
     * @return array [HTTP status (0: no answer), decoded answer]
     */
    private function call($path, array $request)
    {
        $headers = [
            'Authorization: Bearer ' . $this->token,
            'Content-Type: application/json',
            'Accept: application/json',
        ];
        list($status, $body) = $this->post($this->url . $path, $headers, json_encode($request));

        return [$status, json_decode((string) $body, true)];
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
            CURLOPT_TIMEOUT => self::TIMEOUT,
        ]);
        $answer = curl_exec($curl);
        $status = $answer === false ? 0 : (int) curl_getinfo($curl, CURLINFO_HTTP_CODE);
        curl_close($curl);

        return [$status, $answer === false ? '' : $answer];
    }
}
