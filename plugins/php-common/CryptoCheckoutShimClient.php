<?php
/**
 * The checkout kit's shim as every shop package talks to it: one source, shared by the WooCommerce
 * plugin, the PrestaShop module and the OpenCart 3.0 and 4.x extensions. `cargo xtask dist` copies
 * this file into each package, where the package's own code requires it (when the class is not
 * loaded yet; the PHPUnit bootstraps and test servers load this source first):
 *   WooCommerce  crypto-checkout/includes/class-crypto-checkout-shim-client.php
 *   PrestaShop   cryptocheckout/classes/CryptoCheckoutShimClient.php
 *   OpenCart 3   upload/system/library/crypto_checkout/shim_client.php
 *   OpenCart 4   system/library/crypto_checkout/shim_client.php
 *
 * - To the shim: create (or find again) an order's invoice; connect a shop to it.
 * - From the shim: verify() a signed request (HMAC-SHA256 of "timestamp.nonce.body" with the
 *   secret they share; fresh; never seen before), and the plugin route's calls (ping, order,
 *   update) that WooCommerce and PrestaShop answer: dispatch(), parseUpdate().
 *
 * Nothing here knows a platform: each package keeps its own glue (hooks, order statuses, settings,
 * where nonces are stored), gives its own words where they are the payer's or the merchant's, and
 * may give its own way to post (WordPress: wp_remote_post; cURL otherwise).
 *
 * Syntax of PHP 5.6 (nothing newer than the oldest PHP any of the packages' platforms runs on),
 * clean on PHP 8.
 */
class CryptoCheckoutShimClient
{
    /** How far (seconds, either way) a request's timestamp may be from the shop's clock. */
    const WINDOW = 300;

    /** How long (seconds) a nonce is remembered: longer than the window, so a replay is caught. */
    const NONCE_TTL = 600;

    /**
     * Seconds to wait for the shim: longer than it waits for the shop (8 s) and for the gateway
     * (10 s), so that the shim's own words reach the payer when either is slow.
     */
    const TIMEOUT = 25;

    /** Seconds to wait for a connection to the shim. */
    const CONNECT_TIMEOUT = 10;

    /** What the payer (invoice) or the merchant (connect) is told; a package may give its own words. */
    const MESSAGES = [
        'unreachable' => 'The crypto payment service cannot be reached right now. Please try again in a minute.',
        'busy' => 'The crypto payment service is busy. Please try again in a minute.',
        'refused' => 'This order cannot be paid in crypto. Please contact us.',
        'connect_unreachable' => 'The shim cannot be reached: check its URL.',
        'connect_token' => 'The shim does not know this shop token: check it.',
        /* %s: what the shim said */
        'connect_refused' => 'The shim could not connect this shop: %s',
    ];

    /** Why verify() refuses a request, where a package says it its own way. */
    const REFUSALS = [
        'no_secret' => 'no shared secret',
        'stale' => 'stale request: are the clocks of the shop and the shim right?',
    ];

    /** The plugin route's update steps. */
    const STEPS = ['paid', 'hold', 'cancel', 'fail', 'refund', 'note'];

    /** @var string What the shim said when it last refused an invoice, for the shop's log (never the token) */
    public $lastError = '';

    /** @var string The shim's URL, without a trailing slash */
    private $url;

    /** @var string The shop token */
    private $token;

    /** @var callable|null (url, headers, body) => [HTTP status (0: no answer), body] */
    private $transport;

    /** @var array self::MESSAGES, in the package's words */
    private $messages;

    /**
     * @param string $url The shim's URL
     * @param string $token The shop token (from `server-shim shops add`)
     * @param callable|null $transport (url, headers ["Name: value", ...], body) => [HTTP status
     *                                 (0: no answer), body]; cURL when null
     * @param array $messages Some of self::MESSAGES in the package's words
     */
    public function __construct($url, $token, $transport = null, array $messages = [])
    {
        $this->url = rtrim((string) $url, '/');
        $this->token = (string) $token;
        $this->transport = $transport;
        $this->messages = $messages + self::MESSAGES;
    }

    /**
     * The shim's URL, without a trailing slash.
     *
     * @return string
     */
    public function url()
    {
        return $this->url;
    }

    /**
     * What the shim needs to create an order's invoice.
     *
     * @param string $orderId The order's id at the shim (unique per shop)
     * @param string $reference The order's id as the shop shows it
     * @param string $amount The total in the order's currency, a plain decimal ("11.70")
     * @param string $currency ISO code
     * @param string $urlReturn Where "return to store" leads
     * @param string $urlSuccess Where the payer goes after paying
     *
     * @return array
     */
    public static function invoiceFields($orderId, $reference, $amount, $currency, $urlReturn, $urlSuccess)
    {
        return [
            'order_id' => (string) $orderId,
            'amount' => (string) $amount,
            'currency' => (string) $currency,
            'platform_order_ref' => (string) $reference,
            'url_return' => (string) $urlReturn,
            'url_success' => (string) $urlSuccess,
        ];
    }

    /**
     * Creates the invoice, or returns the order's existing one (the shim is idempotent per order,
     * so a payer who reloads or comes back gets the same invoice). When the shim refuses,
     * $lastError says what it said.
     *
     * @param array $request invoiceFields()
     *
     * @return array The invoice (id, pay_url, ...)
     *
     * @throws RuntimeException With a message for the payer (never the token)
     */
    public function createInvoice(array $request)
    {
        $this->lastError = '';
        list($status, $answer) = $this->call('/v1/invoices', $request);
        if (($status === 200 || $status === 201) && is_array($answer) && !empty($answer['id']) && is_string($answer['id'])) {
            return $answer;
        }
        if ($status === 0) {
            throw new RuntimeException($this->messages['unreachable']);
        }
        $this->lastError = sprintf('the shim answered %d: %s', $status, self::said($answer));
        if ($status >= 500) {
            throw new RuntimeException($this->messages['busy']);
        }
        throw new RuntimeException($this->messages['refused']);
    }

    /**
     * Connects this shop to the shim: the shim stores the shop's route and the secret they share,
     * once it has called the route with it (so the shim must be able to reach the shop).
     *
     * @param string $platform The shim's name of the platform (woocommerce, prestashop)
     * @param string $site The shop's URL
     * @param string $secret The shared secret
     *
     * @return array The shim's answer (connected, plugin, platform)
     *
     * @throws RuntimeException With a message for the merchant
     */
    public function connectShop($platform, $site, $secret)
    {
        list($status, $answer) = $this->call('/v1/platforms/' . $platform . '/connect', ['site' => $site, 'secret' => $secret]);
        if ($status === 200 && is_array($answer) && !empty($answer['connected'])) {
            return $answer;
        }
        if ($status === 0) {
            throw new RuntimeException($this->messages['connect_unreachable']);
        }
        if ($status === 401) {
            throw new RuntimeException($this->messages['connect_token']);
        }
        $said = self::said($answer);
        throw new RuntimeException(sprintf($this->messages['connect_refused'], $said !== '' ? $said : 'HTTP ' . $status));
    }

    /**
     * Checks a request from the shim. The signature is checked before the nonce is recorded, so
     * forged requests cannot fill the nonce store.
     *
     * @param string $secret The shared secret (empty: every request is refused)
     * @param string $timestamp X-Shim-Timestamp: decimal unix seconds
     * @param string $nonce X-Shim-Nonce: 16 to 64 letters and digits
     * @param string $signature X-Shim-Signature: lowercase hex HMAC-SHA256 of "timestamp.nonce.body"
     * @param string $body The raw request body
     * @param int $now The shop's clock (unix seconds)
     * @param callable $nonceSeen (nonce, expires) => bool: records the nonce, true if it was already there
     * @param array $says Some of self::REFUSALS in the package's words
     *
     * @return string|null Null when authentic, else why not
     */
    public static function verify($secret, $timestamp, $nonce, $signature, $body, $now, callable $nonceSeen, array $says = [])
    {
        $says += self::REFUSALS;
        $secret = (string) $secret;
        $timestamp = (string) $timestamp;
        $nonce = (string) $nonce;
        if ($secret === '') {
            return $says['no_secret'];
        }
        if (!preg_match('/^[0-9]{1,12}$/', $timestamp)) {
            return 'bad timestamp';
        }
        if (abs((int) $timestamp - (int) $now) > self::WINDOW) {
            return $says['stale'];
        }
        if (!preg_match('/^[A-Za-z0-9]{16,64}$/', $nonce)) {
            return 'bad nonce';
        }
        $expected = hash_hmac('sha256', $timestamp . '.' . $nonce . '.' . $body, $secret);
        if (!is_string($signature) || !hash_equals($expected, $signature)) {
            return 'bad signature';
        }
        if (call_user_func($nonceSeen, $nonce, (int) $now + self::NONCE_TTL)) {
            return 'replayed request';
        }

        return null;
    }

    /**
     * Answers a call to the plugin route (WooCommerce, PrestaShop) that verify() accepted:
     *   {"action": "ping"}                   -> the shop's ping answer (plugin, platform)
     *   {"action": "order", "order_id": 42}  -> the order as the shop describes it
     *   {"action": "update", "order_id": 42, "invoice_id": "inv_...", "invoice_status": "paid",
     *    "step": "paid|hold|cancel|fail|refund|note", "transaction_id": "...", "notes": ["..."],
     *    "key": "..."}                       -> {"applied": bool, "order": {...}}
     *
     * @param mixed $call The decoded body
     * @param array $shop ping (() => answer), find (id => the order, or null when there is none),
     *                    describe (order => answer), apply (order, update => whether anything was
     *                    written), and parse (call => update or what is wrong; parseUpdate() if not given)
     *
     * @return array [HTTP status, answer]
     */
    public static function dispatch($call, array $shop)
    {
        $action = is_array($call) && isset($call['action']) ? $call['action'] : null;
        if ($action === 'ping') {
            return [200, call_user_func($shop['ping'])];
        }
        if ($action !== 'order' && $action !== 'update') {
            return [400, ['error' => 'action must be ping, order or update']];
        }
        if (!isset($call['order_id']) || !is_int($call['order_id']) || $call['order_id'] < 1) {
            return [400, ['error' => 'order_id must be a positive integer']];
        }
        $order = call_user_func($shop['find'], $call['order_id']);
        if (!$order) {
            return [404, ['error' => 'no order ' . $call['order_id']]];
        }
        if ($action === 'order') {
            return [200, call_user_func($shop['describe'], $order)];
        }
        $update = call_user_func(isset($shop['parse']) ? $shop['parse'] : [__CLASS__, 'parseUpdate'], $call);
        if (is_string($update)) {
            return [400, ['error' => $update]];
        }
        $applied = (bool) call_user_func($shop['apply'], $order, $update);

        // Read again: the platform (or another plugin's hook) has the last word.
        return [200, ['applied' => $applied, 'order' => call_user_func($shop['describe'], call_user_func($shop['find'], $call['order_id']))]];
    }

    /**
     * An update's fields, checked.
     *
     * @param array $call The decoded body
     *
     * @return array|string step, invoice_id, invoice_status, key, notes, transaction_id; or what
     *                      is wrong with them
     */
    public static function parseUpdate(array $call)
    {
        if (!isset($call['step']) || !in_array($call['step'], self::STEPS, true)) {
            return 'step must be one of ' . implode(', ', self::STEPS);
        }
        foreach (['invoice_id', 'invoice_status', 'key'] as $field) {
            if (!isset($call[$field]) || !is_string($call[$field]) || $call[$field] === '' || strlen($call[$field]) > 200) {
                return $field . ' must be a non-empty string';
            }
        }
        $notes = isset($call['notes']) ? $call['notes'] : [];
        if (!is_array($notes) || count($notes) > 5) {
            return 'notes must be a list of at most 5 strings';
        }
        foreach ($notes as $note) {
            if (!is_string($note) || strlen($note) > 2000) {
                return 'notes must be a list of at most 5 strings';
            }
        }
        $transaction = isset($call['transaction_id']) ? $call['transaction_id'] : '';
        if (!is_string($transaction) || strlen($transaction) > 200) {
            return 'transaction_id must be a string';
        }

        return [
            'step' => $call['step'],
            'invoice_id' => $call['invoice_id'],
            'invoice_status' => $call['invoice_status'],
            'key' => $call['key'],
            'notes' => array_values($notes),
            'transaction_id' => $transaction,
        ];
    }

    /**
     * The message of a shim error body ("" when there is none).
     *
     * @return string
     */
    private static function said($answer)
    {
        return is_array($answer) && isset($answer['error']['message']) && is_string($answer['error']['message'])
            ? $answer['error']['message']
            : '';
    }

    /**
     * Posts $request as JSON to the shim's $path with the shop token.
     *
     * @return array [HTTP status (0: no answer), the decoded answer]
     */
    private function call($path, array $request)
    {
        $headers = [
            'Authorization: Bearer ' . $this->token,
            'Content-Type: application/json',
            'Accept: application/json',
        ];
        $url = $this->url . $path;
        $body = json_encode($request);
        list($status, $answer) = $this->transport !== null
            ? call_user_func($this->transport, $url, $headers, $body)
            : self::curlPost($url, $headers, $body);

        return [(int) $status, json_decode((string) $answer, true)];
    }

    /**
     * @return array [HTTP status (0: no answer), body]
     */
    private static function curlPost($url, array $headers, $body)
    {
        if (!function_exists('curl_init')) {
            return [0, ''];
        }
        $curl = curl_init($url);
        curl_setopt_array($curl, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => self::CONNECT_TIMEOUT,
            CURLOPT_TIMEOUT => self::TIMEOUT,
        ]);
        $answer = curl_exec($curl);
        $status = $answer === false ? 0 : (int) curl_getinfo($curl, CURLINFO_HTTP_CODE);
        if (PHP_VERSION_ID < 80000) {
            curl_close($curl); // a no-op since PHP 8
        }

        return [$status, $answer === false ? '' : $answer];
    }
}
