<?php
/**
 * Crypto Checkout for OpenCart: everything that does not depend on OpenCart, shared by the 3.0 and
 * the 4.x packages. Packaging copies this file to system/library/crypto_checkout/core.php in each,
 * with the rest of the library beside it: shim_client.php (the shim client every platform's package
 * shares, plugins/php-common), catalog.php and admin.php (what the controllers of both versions do,
 * CryptoCheckoutCatalog.php and CryptoCheckoutAdmin.php here). Requiring this file loads them all.
 *
 * - verify(): is a request from the shim authentic (HMAC of timestamp, nonce and body; fresh; once)?
 * - rank() / shouldApply(): order statuses only move forward (never downgrade a paid order, never
 *   reopen a closed one, never repeat a status: each history entry adds a row and may send mail).
 * - orderTotal(), the bodies of the shim's two routes, and the invoice through the shim client.
 *
 * PHP 7.4+ and 8.
 */
if (!class_exists('CryptoCheckoutShimClient', false)) {
    require_once __DIR__ . '/shim_client.php';
}
if (!trait_exists('CryptoCheckoutCatalog', false)) {
    require_once __DIR__ . '/catalog.php';
}
if (!trait_exists('CryptoCheckoutAdmin', false)) {
    require_once __DIR__ . '/admin.php';
}

class CryptoCheckoutCore
{
    /**
     * OpenCart's default order status ids, for settings the merchant has not saved. underpaid is
     * the extension's own "Crypto underpaid" status (see UNDERPAID_NAME), made when it is
     * installed; 0 until then (closed-short payments then stay in the confirming status).
     */
    const DEFAULT_STATUSES = [
        'pending' => 1,
        'confirming' => 2,
        'underpaid' => 0,
        'paid' => 15,
        'complete' => 5,
        'canceled' => 7,
        'expired' => 14,
        'failed' => 10,
        'refunded' => 11,
    ];

    /** The name of the order status the extension makes for payments that closed short. */
    const UNDERPAID_NAME = 'Crypto underpaid';

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
     *
     * @return string|null Null when authentic, else why not
     */
    public static function verify($secret, $timestamp, $nonce, $signature, $body, $now, callable $nonceSeen)
    {
        return CryptoCheckoutShimClient::verify($secret, $timestamp, $nonce, $signature, $body, $now, $nonceSeen, [
            'no_secret' => 'the extension has no shared secret configured',
            'stale' => 'stale request',
        ]);
    }

    /**
     * How far along an order status is: 0 open, 1 confirming, 2 underpaid (closed short: a late
     * top-up may still settle it), 3 settled or closed, 4 refunded.
     *
     * @param int $statusId An OpenCart order_status_id
     * @param array $statuses pending, confirming, paid, ... => order_status_id (the settings)
     *
     * @return int
     */
    public static function rank($statusId, array $statuses)
    {
        $statusId = (int) $statusId;
        if ($statusId === 0 || $statusId === (int) $statuses['pending']) {
            // 0: an order OpenCart has not confirmed yet.
            return 0;
        }
        if ($statusId === (int) $statuses['confirming']) {
            return 1;
        }
        if (!empty($statuses['underpaid']) && $statusId === (int) $statuses['underpaid']) {
            return 2;
        }
        if ($statusId === (int) $statuses['refunded']) {
            return 4;
        }

        // paid, complete, canceled, expired, failed, and any status the merchant set by hand.
        return 3;
    }

    /**
     * The id of the extension's "Crypto underpaid" order status, made when there is none yet (on
     * install, and on the settings page of an extension installed before it had one).
     *
     * @param array $existing OpenCart's order statuses (order_status_id, name)
     * @param array $languages OpenCart's languages (language_id)
     * @param callable $add (['order_status' => [language_id => ['name' => ...]]]) => the new id,
     *                      OpenCart's own localisation/order_status addOrderStatus
     *
     * @return int
     */
    public static function underpaidStatus(array $existing, array $languages, callable $add)
    {
        foreach ($existing as $status) {
            if ((string) $status['name'] === self::UNDERPAID_NAME) {
                return (int) $status['order_status_id'];
            }
        }
        $names = [];
        foreach ($languages as $language) {
            $names[(int) $language['language_id']] = ['name' => self::UNDERPAID_NAME];
        }

        return (int) call_user_func($add, ['order_status' => $names]);
    }

    /** The settings the form never shows once saved (the shop token). */
    const SECRET_SETTINGS = ['payment_crypto_checkout_shop_token'];

    /**
     * A posted settings form as it is to be saved: a secret left empty keeps its saved value, since
     * the form never shows it back.
     *
     * @param array $post The posted settings
     * @param callable $saved (key) => the saved value, or null
     *
     * @return array
     */
    public static function withKeptSecrets(array $post, callable $saved)
    {
        foreach (self::SECRET_SETTINGS as $key) {
            $kept = (string) call_user_func($saved, $key);
            if ((!isset($post[$key]) || $post[$key] === '') && $kept !== '') {
                $post[$key] = $kept;
            }
        }

        return $post;
    }

    /**
     * Whether moving an order from one status to another is a step forward.
     *
     * @return bool
     */
    public static function shouldApply($currentId, $requestedId, array $statuses)
    {
        return self::rank($requestedId, $statuses) > self::rank($currentId, $statuses);
    }

    /**
     * The settings' status ids, with OpenCart's defaults for those not saved.
     *
     * @param callable $setting (name, e.g. "paid") => the saved value or null
     *
     * @return array pending, confirming, ... => order_status_id
     */
    public static function statuses(callable $setting)
    {
        $statuses = [];
        foreach (self::DEFAULT_STATUSES as $name => $default) {
            $value = call_user_func($setting, $name);
            $statuses[$name] = ($value === null || $value === '' || $value === false) ? $default : (int) $value;
        }

        return $statuses;
    }

    /**
     * An order's total in the order's currency (OpenCart stores it in the default currency).
     *
     * @param float|string $total The order's total
     * @param float|string $currencyValue The order's currency_value
     * @param int $decimals The currency's decimal places
     *
     * @return string A plain decimal, e.g. "11.70"
     */
    public static function orderTotal($total, $currencyValue, $decimals)
    {
        return number_format((float) $total * (float) $currencyValue, (int) $decimals, '.', '');
    }

    /**
     * Whether a string is an invoice id of the shim (safe to print and to put in a URL).
     *
     * @return bool
     */
    public static function isInvoiceId($id)
    {
        return is_string($id) && preg_match('/^inv_[0-9a-f]{32}$/', $id) === 1;
    }

    /**
     * The body of the shim's "order" request: {"order_id": <int>}.
     *
     * @return array|string ['order_id' => int], or what is wrong with the body
     */
    public static function parseOrderRequest($body)
    {
        $data = json_decode((string) $body, true);
        if (!is_array($data) || !isset($data['order_id']) || !is_int($data['order_id']) || $data['order_id'] < 1) {
            return 'expected a JSON object with a positive integer order_id';
        }

        return ['order_id' => $data['order_id']];
    }

    /**
     * The body of the shim's "callback" request:
     * {"order_id": <int>, "order_status_id": <int, 0: comment only>, "comment": "...", "notify": <bool>}.
     * comment and notify may be left out ("" and false).
     *
     * @return array|string The four fields, or what is wrong with the body
     */
    public static function parseCallbackRequest($body)
    {
        $data = json_decode((string) $body, true);
        if (!is_array($data)) {
            return 'expected a JSON object';
        }
        if (!isset($data['order_id']) || !is_int($data['order_id']) || $data['order_id'] < 1) {
            return 'order_id must be a positive integer';
        }
        if (!isset($data['order_status_id']) || !is_int($data['order_status_id']) || $data['order_status_id'] < 0) {
            return 'order_status_id must be an integer, 0 for a comment only';
        }
        $comment = array_key_exists('comment', $data) ? $data['comment'] : '';
        if (!is_string($comment)) {
            return 'comment must be a string';
        }
        $notify = array_key_exists('notify', $data) ? $data['notify'] : false;
        if (!is_bool($notify)) {
            return 'notify must be true or false';
        }
        $closedShort = array_key_exists('closed_short', $data) ? $data['closed_short'] : false;
        if (!is_bool($closedShort)) {
            return 'closed_short must be true or false';
        }

        return [
            'order_id' => $data['order_id'],
            'order_status_id' => $data['order_status_id'],
            'comment' => $comment,
            'notify' => $notify,
            'closed_short' => $closedShort,
        ];
    }

    /**
     * The shim's "order" request: the order's status, total and currency. Both packages' controllers
     * answer with this, so they behave the same.
     *
     * @param array $request method, timestamp, nonce, signature (the X-Shim-* headers), body (raw)
     * @param array $shop secret, now, nonce_seen (verify()), get_order (id => array, or empty when
     *                    there is none), decimals (currency code => decimal places)
     *
     * @return array [HTTP status, the JSON answer as an array]
     */
    public static function handleOrder(array $request, array $shop)
    {
        $refused = self::refuse($request, $shop);
        if ($refused !== null) {
            return $refused;
        }
        $parsed = self::parseOrderRequest($request['body']);
        if (is_string($parsed)) {
            return [400, ['error' => $parsed]];
        }
        $order = call_user_func($shop['get_order'], $parsed['order_id']);
        if (!$order) {
            return [404, ['error' => 'no such order']];
        }
        $currency = (string) $order['currency_code'];

        return [200, [
            'order_id' => (int) $order['order_id'],
            'order_status_id' => (int) $order['order_status_id'],
            'underpaid_status_id' => isset($shop['statuses']['underpaid']) ? (int) $shop['statuses']['underpaid'] : 0,
            'total' => self::orderTotal($order['total'], $order['currency_value'], call_user_func($shop['decimals'], $currency)),
            'currency' => $currency,
        ]];
    }

    /**
     * The shim's "callback" request: adds a history entry when it moves the order forward
     * (shouldApply()), or a comment under the current status when order_status_id is 0.
     *
     * @param array $request As for handleOrder()
     * @param array $shop As for handleOrder(), and statuses (statuses()) and add_history
     *                    (id, order_status_id, comment, notify)
     *
     * @return array [HTTP status, the JSON answer as an array]
     */
    public static function handleCallback(array $request, array $shop)
    {
        $refused = self::refuse($request, $shop);
        if ($refused !== null) {
            return $refused;
        }
        $parsed = self::parseCallbackRequest($request['body']);
        if (is_string($parsed)) {
            return [400, ['error' => $parsed]];
        }
        $orderId = $parsed['order_id'];
        $order = call_user_func($shop['get_order'], $orderId);
        if (!$order) {
            return [404, ['error' => 'no such order']];
        }
        $current = (int) $order['order_status_id'];
        if ($parsed['closed_short'] && $parsed['order_status_id'] !== 0 && !empty($shop['statuses']['underpaid'])) {
            // The payment closed short (or needs a look): the extension's own status, which does
            // not say "ship it", instead of the confirming one the shim names.
            $parsed['order_status_id'] = (int) $shop['statuses']['underpaid'];
        }
        if ($parsed['order_status_id'] === 0) {
            // A note for the merchant: the status stays, the customer is not mailed.
            call_user_func($shop['add_history'], $orderId, $current, $parsed['comment'], false);
        } elseif (self::shouldApply($current, $parsed['order_status_id'], $shop['statuses'])) {
            call_user_func($shop['add_history'], $orderId, $parsed['order_status_id'], $parsed['comment'], $parsed['notify']);
        } else {
            return [200, ['applied' => false, 'order_status_id' => $current]];
        }
        // Read it again: OpenCart (or an event of another extension) has the last word.
        $after = call_user_func($shop['get_order'], $orderId);

        return [200, ['applied' => true, 'order_status_id' => $after ? (int) $after['order_status_id'] : $current]];
    }

    /**
     * The shim's request as handleOrder() and handleCallback() read it, from PHP's $_SERVER (as
     * OpenCart's request object holds it) and the raw body.
     *
     * @param array $server The request's server variables
     * @param string $body The raw request body
     *
     * @return array method, timestamp, nonce, signature, body
     */
    public static function shimRequest(array $server, $body)
    {
        $get = function ($name) use ($server) {
            return isset($server[$name]) ? (string) $server[$name] : '';
        };

        return [
            'method' => $get('REQUEST_METHOD'),
            'timestamp' => $get('HTTP_X_SHIM_TIMESTAMP'),
            'nonce' => $get('HTTP_X_SHIM_NONCE'),
            'signature' => $get('HTTP_X_SHIM_SIGNATURE'),
            'body' => (string) $body,
        ];
    }

    /**
     * The shop as handleOrder() and handleCallback() use it, over OpenCart's models.
     *
     * @param string $secret The shared secret
     * @param array $statuses statuses()
     * @param object $nonces The extension's model: rememberNonce(nonce, expires), pruneNonces(now)
     * @param callable $getOrder id => the order as OpenCart's checkout/order model reads it
     * @param callable $decimals currency code => decimal places
     * @param callable $addHistory (id, order_status_id, comment, notify): OpenCart's own call,
     *                             which 3.0 and 4.x name differently
     * @param int $now The shop's clock (unix seconds)
     *
     * @return array
     */
    public static function shop($secret, array $statuses, $nonces, callable $getOrder, callable $decimals, callable $addHistory, $now)
    {
        return [
            'secret' => $secret,
            'now' => $now,
            'statuses' => $statuses,
            'nonce_seen' => function ($nonce, $expires) use ($nonces, $now) {
                if (mt_rand(1, 50) === 1) {
                    $nonces->pruneNonces($now); // now and then, so the table stays small
                }

                return $nonces->rememberNonce($nonce, $expires);
            },
            'get_order' => $getOrder,
            'decimals' => $decimals,
            'add_history' => $addHistory,
        ];
    }

    /**
     * The headers of an answer with HTTP status $status: the status line where it is not 200
     * (with the request's protocol, if it names one), Allow for a 405, JSON, never cached.
     *
     * @param int $status The core's HTTP status
     * @param array $server The request's server variables
     *
     * @return string[]
     */
    public static function answerHeaders($status, array $server)
    {
        $reasons = [400 => 'Bad Request', 401 => 'Unauthorized', 404 => 'Not Found', 405 => 'Method Not Allowed'];
        $headers = [];
        if (isset($reasons[$status])) {
            $protocol = isset($server['SERVER_PROTOCOL']) ? (string) $server['SERVER_PROTOCOL'] : '';
            if (!preg_match('#^HTTP/[0-9.]+$#D', $protocol)) {
                $protocol = 'HTTP/1.1';
            }
            $headers[] = $protocol . ' ' . $status . ' ' . $reasons[$status];
        }
        if ($status === 405) {
            $headers[] = 'Allow: POST';
        }
        $headers[] = 'Content-Type: application/json';
        $headers[] = 'Cache-Control: no-store';

        return $headers;
    }

    /**
     * Refuses what is not a POST from the shim.
     *
     * @return array|null [HTTP status, answer], or null to go on
     */
    private static function refuse(array $request, array $shop)
    {
        if (strtoupper((string) $request['method']) !== 'POST') {
            return [405, ['error' => 'use POST']];
        }
        $error = self::verify(
            $shop['secret'],
            $request['timestamp'],
            $request['nonce'],
            $request['signature'],
            $request['body'],
            $shop['now'],
            $shop['nonce_seen']
        );

        return $error === null ? null : [401, ['error' => $error]];
    }

    /**
     * What the shim needs to create an order's invoice.
     *
     * @param int $orderId The OpenCart order id
     * @param string $amount The total in the order's currency (orderTotal())
     * @param string $currency ISO code
     * @param string $urlReturn Where "return to store" leads
     * @param string $urlSuccess Where the payer goes after paying
     *
     * @return array
     */
    public static function invoiceRequest($orderId, $amount, $currency, $urlReturn, $urlSuccess)
    {
        return CryptoCheckoutShimClient::invoiceFields('oc-' . $orderId, $orderId, $amount, $currency, $urlReturn, $urlSuccess);
    }

    /**
     * Creates the invoice, or returns the order's existing one (the shim is idempotent per order).
     *
     * @param string $shimUrl The shim's URL
     * @param string $token The shop token
     * @param array $request invoiceRequest()
     * @param callable|null $transport (url, headers, body) => [status (0: no answer), body]; cURL when null
     *
     * @return array The invoice (id, pay_url, ...)
     *
     * @throws RuntimeException With a message for the payer (never the token)
     */
    public static function createInvoice($shimUrl, $token, array $request, ?callable $transport = null)
    {
        $shim = new CryptoCheckoutShimClient($shimUrl, $token, $transport);

        return $shim->createInvoice($request);
    }
}
