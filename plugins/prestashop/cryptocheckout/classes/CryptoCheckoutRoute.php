<?php
/**
 * The route the shim calls to read and move this shop's orders: the module's front controller
 * `shim` (index.php?fc=module&module=cryptocheckout&controller=shim, with or without friendly URLs).
 *
 * Every call is a JSON body signed by the shim with the secret this module shares with it
 * (X-Shim-Signature: hex HMAC-SHA256 of "timestamp.nonce.body"), within 5 minutes of this shop's
 * clock, with a nonce never seen before; anything else is a 401 that changes nothing. Orders move
 * through PrestaShop's own API, as payment modules move them: an order history (state change with
 * its mail; "Payment accepted" records the payment, whose transaction id is then set), and private
 * messages in the order's customer thread, which the order page shows under Messages.
 *
 *   {"action": "ping"}                   -> {"plugin": "0.2.0", "platform": "PrestaShop 8.1.2"}
 *   {"action": "order", "order_id": 42}  -> {"order_id", "status", "state", "total", "currency"}
 *   {"action": "update", "order_id": 42, "invoice_id": "inv_...", "invoice_status": "paid",
 *    "step": "paid|hold|cancel|fail|refund|note", "transaction_id": "...", "notes": ["..."],
 *    "key": "..."}                       -> {"applied": bool, "order": {...}}
 *
 * A step is applied once per key (the table cryptocheckout_applied), and only when it moves the
 * order forward. A state saved whose mail could not be sent (which PrestaShop reports as a
 * failure) is logged and the update goes on: the notes are written all the same, once.
 */
if (!class_exists('CryptoCheckoutShimClient', false)) {
    require_once __DIR__ . '/CryptoCheckoutShimClient.php';
}

class CryptoCheckoutRoute
{
    /**
     * Answers the shim: [HTTP status, body].
     *
     * @param CryptoCheckout $module
     * @param string $method The request's method
     * @param callable $header (name) => the request header's value, or ''
     * @param string $body The raw body
     *
     * @return array
     */
    public static function handle($module, $method, callable $header, $body)
    {
        if ($method !== 'POST') {
            return [405, ['error' => 'the shim posts to this route']];
        }
        $why = self::verify(
            (string) Configuration::get(CryptoCheckout::CONFIG_SECRET),
            $header('X-Shim-Timestamp'),
            $header('X-Shim-Nonce'),
            $header('X-Shim-Signature'),
            (string) $body,
            time(),
            [__CLASS__, 'nonceSeen']
        );
        if ($why !== null) {
            PrestaShopLogger::addLog('Crypto checkout route: refused a call: ' . $why, 2, null, 'CryptoCheckout');

            return [401, ['error' => $why]];
        }

        return self::dispatch($module, json_decode((string) $body, true));
    }

    /**
     * Checks a call from the shim (CryptoCheckoutShimClient::verify()): the module's secret is
     * made when the shop is connected, so a shorter one is none yet.
     *
     * @return string|null Null when authentic, else why not
     */
    public static function verify($secret, $timestamp, $nonce, $signature, $body, $now, callable $nonceSeen)
    {
        return CryptoCheckoutShimClient::verify(
            strlen((string) $secret) < 16 ? '' : $secret,
            $timestamp,
            $nonce,
            $signature,
            $body,
            $now,
            $nonceSeen,
            ['no_secret' => 'the module has no shared secret yet: connect the shop from its configuration page']
        );
    }

    /**
     * Records a nonce; whether it was already recorded (INSERT IGNORE: two requests with the same
     * nonce cannot both get in).
     *
     * @return bool
     */
    public static function nonceSeen($nonce, $expires)
    {
        $db = Db::getInstance();
        $db->execute('INSERT IGNORE INTO `' . _DB_PREFIX_ . 'cryptocheckout_nonce` (`nonce`, `expires`) VALUES (\''
            . pSQL($nonce) . '\', ' . (int) $expires . ')');
        $added = (int) $db->Affected_Rows();
        if (mt_rand(1, 50) === 1) {
            $db->execute('DELETE FROM `' . _DB_PREFIX_ . 'cryptocheckout_nonce` WHERE `expires` < ' . (int) time());
        }

        return $added !== 1;
    }

    /**
     * What a call asks for, answered (CryptoCheckoutShimClient::dispatch()): [HTTP status, body].
     *
     * @return array
     */
    public static function dispatch($module, $call)
    {
        return CryptoCheckoutShimClient::dispatch($call, [
            'ping' => function () use ($module) {
                return ['plugin' => (string) $module->version, 'platform' => 'PrestaShop ' . _PS_VERSION_];
            },
            'find' => function ($id) {
                $order = new Order($id);

                return Validate::isLoadedObject($order) ? $order : null;
            },
            'describe' => [__CLASS__, 'describe'],
            'parse' => [__CLASS__, 'parseUpdate'],
            'apply' => [__CLASS__, 'apply'],
        ]);
    }

    /**
     * An update's fields, checked (CryptoCheckoutShimClient::parseUpdate()), and kept to what
     * PrestaShop's objects take: notes of plain text (customer messages), and payment ids of
     * letters, digits and -_.: (order payments).
     *
     * @return array|string The update, or what is wrong with it
     */
    public static function parseUpdate(array $call)
    {
        $update = CryptoCheckoutShimClient::parseUpdate($call);
        if (is_string($update)) {
            return $update;
        }
        foreach ($update['notes'] as $note) {
            if ($note !== strip_tags($note)) {
                return 'notes must be a list of at most 5 strings of plain text';
            }
        }
        if (!preg_match('/^[A-Za-z0-9_.:-]{0,200}$/', $update['transaction_id'])) {
            return 'transaction_id must be letters, digits and -_.:';
        }

        return $update;
    }

    /**
     * The order as the shim reads it.
     *
     * @return array
     */
    public static function describe($order)
    {
        $currency = new Currency((int) $order->id_currency);
        $decimals = isset($currency->precision) ? (int) $currency->precision : 2;

        return [
            'order_id' => (int) $order->id,
            'status' => (string) (int) $order->current_state,
            'state' => self::state((int) $order->current_state),
            'total' => number_format((float) $order->total_paid_tax_incl, $decimals, '.', ''),
            'currency' => (string) $currency->iso_code,
        ];
    }

    /**
     * What an order state means to the shim: awaiting, on_hold, paid, cancelled, failed or
     * refunded. A state this module does not know (shipped, delivered, another module's) counts as
     * paid, so that the shim leaves the order alone and only writes notes.
     *
     * @return string
     */
    public static function state($stateId)
    {
        $is = function ($key) use ($stateId) {
            return $stateId === (int) Configuration::get($key);
        };
        if ($stateId === 0 || $is(CryptoCheckout::CONFIG_AWAITING)) {
            return 'awaiting';
        }
        if ($is(CryptoCheckout::CONFIG_CONFIRMING) || $is(CryptoCheckout::CONFIG_UNDERPAID)) {
            return 'on_hold';
        }
        if ($is('PS_OS_CANCELED')) {
            return 'cancelled';
        }
        if ($is('PS_OS_ERROR')) {
            return 'failed';
        }
        if ($is('PS_OS_REFUND')) {
            return 'refunded';
        }

        return 'paid';
    }

    /**
     * Carries out an update once; whether anything was written.
     *
     * @return bool
     */
    public static function apply($order, array $update)
    {
        $db = Db::getInstance();
        $key = pSQL(substr(hash('sha256', $update['key']), 0, 40));
        if ($db->getValue('SELECT 1 FROM `' . _DB_PREFIX_ . 'cryptocheckout_applied` WHERE `id_order` = '
            . (int) $order->id . ' AND `update_key` = \'' . $key . '\'')) {
            return false;
        }
        $state = self::state((int) $order->current_state);
        $open = in_array($state, ['awaiting', 'on_hold'], true);
        switch ($update['step']) {
            case 'paid':
                if ($state === 'paid' || $state === 'refunded') {
                    return false;
                }
                self::move($order, (int) Configuration::get('PS_OS_PAYMENT'), true);
                self::recordTransaction(new Order($order->id), $update['transaction_id']);
                break;
            case 'hold':
                if (!$open) {
                    return false;
                }
                $short = in_array($update['invoice_status'], ['underpaid', 'review'], true);
                $target = (int) Configuration::get($short ? CryptoCheckout::CONFIG_UNDERPAID : CryptoCheckout::CONFIG_CONFIRMING);
                if ($target && (int) $order->current_state !== $target) {
                    self::move($order, $target, false);
                }
                break;
            case 'cancel':
            case 'fail':
                if (!$open) {
                    return false;
                }
                self::move($order, (int) Configuration::get($update['step'] === 'cancel' ? 'PS_OS_CANCELED' : 'PS_OS_ERROR'), $update['step'] === 'cancel');
                break;
            case 'refund':
                if (!in_array($state, ['paid', 'on_hold'], true)) {
                    return false;
                }
                self::move($order, (int) Configuration::get('PS_OS_REFUND'), true);
                break;
        }
        foreach ($update['notes'] as $note) {
            self::note($order, $note);
        }
        $db->execute('INSERT IGNORE INTO `' . _DB_PREFIX_ . 'cryptocheckout_applied` (`id_order`, `update_key`, `date_add`) VALUES ('
            . (int) $order->id . ', \'' . $key . '\', NOW())');

        return true;
    }

    /**
     * Moves the order to `$stateId` with an order history, mailing the customer when the state
     * says so. A mail that cannot be sent does not undo the state, as in the back office.
     */
    private static function move($order, $stateId, $mail)
    {
        $history = new OrderHistory();
        $history->id_order = (int) $order->id;
        $history->id_employee = 0;
        $history->changeIdOrderState($stateId, (int) $order->id);
        $saved = $mail ? $history->addWithemail(true) : $history->add(true);
        if (!$saved && !$history->id) {
            throw new PrestaShopException('the order history could not be saved');
        }
        if (!$saved) {
            PrestaShopLogger::addLog('Crypto checkout: order ' . (int) $order->id . ' moved to state ' . (int) $stateId
                . ', but its mail to the customer could not be sent', 2, null, 'Order', (int) $order->id);
        }
    }

    /**
     * Writes the gateway's payment id on the order's payments that have none (the Payment block of
     * the order page shows it).
     */
    private static function recordTransaction($order, $transaction)
    {
        if ($transaction === '') {
            return;
        }
        foreach ($order->getOrderPaymentCollection() as $payment) {
            if ((string) $payment->transaction_id === '') {
                $payment->transaction_id = $transaction;
                $payment->update();
            }
        }
    }

    /**
     * A private message in the order's customer thread, for the merchant (the order page lists
     * these under Messages; the customer never sees them).
     */
    private static function note($order, $text)
    {
        $customer = new Customer((int) $order->id_customer);
        $thread = (int) CustomerThread::getIdCustomerThreadByEmailAndIdOrder($customer->email, (int) $order->id);
        if (!$thread) {
            $new = new CustomerThread();
            $new->id_contact = 0;
            $new->id_customer = (int) $order->id_customer;
            $new->id_shop = (int) $order->id_shop;
            $new->id_order = (int) $order->id;
            $new->id_lang = (int) $order->id_lang;
            $new->email = $customer->email;
            $new->status = 'open';
            $new->token = Tools::passwdGen(12);
            $new->add();
            $thread = (int) $new->id;
        }
        $message = new CustomerMessage();
        $message->id_customer_thread = $thread;
        // Shown as written by the employee who connected the shop (0 would show the customer).
        $message->id_employee = (int) Configuration::get(CryptoCheckout::CONFIG_EMPLOYEE);
        $message->message = $text;
        $message->private = 1;
        $message->add();
    }
}
