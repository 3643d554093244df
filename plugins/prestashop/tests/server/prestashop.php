<?php
/**
 * Just enough of PrestaShop 8, as strict as the real one where the module's route depends on it,
 * for the shim's tests to call the module's REAL route under `php -S` (router.php). The shop's
 * data live in a JSON state (see router.php).
 *
 * Faithful to PrestaShop 8.1 (classes/order/OrderHistory.php, Order.php, CustomerThread.php):
 * - OrderHistory::changeIdOrderState() sets the order's state; into a state with `paid`, it records
 *   an OrderPayment for what is still due, with no transaction id;
 * - addWithemail() saves the history row, then mails when the state has `send_email`, and answers
 *   false when the mail cannot be sent, with the row already saved;
 * - the back office's order page lists the messages of the order's customer threads only: a note
 *   anywhere else (the legacy `message` table, which the Webservice's `messages` writes) is never
 *   seen by the merchant.
 */

define('_PS_VERSION_', '8.1.2');
define('_DB_PREFIX_', 'ps_');
define('_MYSQL_ENGINE_', 'InnoDB');

class PsTestState
{
    /** @var array */
    public static $data = [];
}

class PrestaShopException extends Exception
{
}

function pSQL($text)
{
    return addslashes((string) $text);
}

class Configuration
{
    public static function get($key)
    {
        return isset(PsTestState::$data['config'][$key]) ? PsTestState::$data['config'][$key] : false;
    }

    public static function updateValue($key, $value)
    {
        PsTestState::$data['config'][$key] = $value;

        return true;
    }
}

class PrestaShopLogger
{
    public static function addLog($message, $severity = 1, $code = null, $type = null, $id = null)
    {
        PsTestState::$data['log'][] = $message;

        return true;
    }
}

class Validate
{
    public static function isLoadedObject($object)
    {
        return is_object($object) && !empty($object->id);
    }
}

class Tools
{
    public static function passwdGen($length = 8)
    {
        return substr(bin2hex(random_bytes($length)), 0, $length);
    }
}

/**
 * `Db::getInstance()`, for the statements the module makes on its two tables.
 */
class Db
{
    private $affected = 0;

    public static function getInstance()
    {
        static $db = null;

        return $db ?: ($db = new Db());
    }

    public function execute($sql)
    {
        $this->affected = 0;
        if (preg_match("/^INSERT IGNORE INTO `ps_cryptocheckout_nonce` \\(`nonce`, `expires`\\) VALUES \\('([^']*)', (\\d+)\\)$/", $sql, $m)) {
            if (!isset(PsTestState::$data['nonces'][$m[1]])) {
                PsTestState::$data['nonces'][$m[1]] = (int) $m[2];
                $this->affected = 1;
            }

            return true;
        }
        if (preg_match('/^DELETE FROM `ps_cryptocheckout_nonce` WHERE `expires` < (\d+)$/', $sql, $m)) {
            foreach (PsTestState::$data['nonces'] as $nonce => $expires) {
                if ($expires < (int) $m[1]) {
                    unset(PsTestState::$data['nonces'][$nonce]);
                }
            }

            return true;
        }
        if (preg_match("/^INSERT IGNORE INTO `ps_cryptocheckout_applied` \\(`id_order`, `update_key`, `date_add`\\) VALUES \\((\\d+), '([0-9a-f]+)', NOW\\(\\)\\)$/", $sql, $m)) {
            $row = $m[1] . ':' . $m[2];
            if (!in_array($row, PsTestState::$data['applied'], true)) {
                PsTestState::$data['applied'][] = $row;
                $this->affected = 1;
            }

            return true;
        }
        throw new PrestaShopException('test Db: unexpected statement ' . $sql);
    }

    public function Affected_Rows()
    {
        return $this->affected;
    }

    public function getValue($sql)
    {
        if (preg_match("/^SELECT 1 FROM `ps_cryptocheckout_applied` WHERE `id_order` = (\\d+) AND `update_key` = '([0-9a-f]+)'$/", $sql, $m)) {
            return in_array($m[1] . ':' . $m[2], PsTestState::$data['applied'], true) ? '1' : false;
        }
        throw new PrestaShopException('test Db: unexpected query ' . $sql);
    }
}

class Currency
{
    public $id;
    public $iso_code;
    public $precision = 2;

    public function __construct($id = null)
    {
        $currency = PsTestState::$data['currencies'][(string) $id];
        $this->id = (int) $id;
        $this->iso_code = $currency['iso_code'];
        $this->precision = (int) $currency['precision'];
    }
}

class Customer
{
    public $id;
    public $email;

    public function __construct($id = null)
    {
        $this->id = (int) $id;
        $this->email = PsTestState::$data['customers'][(string) $id];
    }
}

class Order
{
    public $id;
    public $current_state;
    public $id_currency;
    public $id_customer;
    public $id_shop = 1;
    public $id_lang = 1;
    public $total_paid_tax_incl;
    public $reference;

    public function __construct($id = null)
    {
        if (!isset(PsTestState::$data['orders'][(string) $id])) {
            return;
        }
        $order = PsTestState::$data['orders'][(string) $id];
        $this->id = (int) $id;
        foreach (['current_state', 'id_currency', 'id_customer', 'total_paid_tax_incl', 'reference'] as $field) {
            $this->$field = $order[$field];
        }
    }

    public function getOrderPaymentCollection()
    {
        $payments = [];
        foreach (PsTestState::$data['orders'][(string) $this->id]['payments'] as $i => $payment) {
            $payments[] = new OrderPayment($this->id, $i);
        }

        return $payments;
    }
}

class OrderPayment
{
    public $transaction_id;
    private $order;
    private $index;

    public function __construct($order, $index)
    {
        $this->order = $order;
        $this->index = $index;
        $this->transaction_id = PsTestState::$data['orders'][(string) $order]['payments'][$index]['transaction_id'];
    }

    public function update()
    {
        PsTestState::$data['orders'][(string) $this->order]['payments'][$this->index]['transaction_id'] = $this->transaction_id;

        return true;
    }
}

class OrderHistory
{
    public $id;
    public $id_order;
    public $id_employee;
    public $id_order_state;

    public function changeIdOrderState($state, $orderId, $useExistingPayment = false)
    {
        $states = PsTestState::$data['states'];
        if (!isset($states[(string) $state])) {
            throw new PrestaShopException('Invalid new order status');
        }
        $order = &PsTestState::$data['orders'][(string) $orderId];
        $this->id_order_state = (int) $state;
        $order['current_state'] = (int) $state;
        if (!empty($states[(string) $state]['paid'])) {
            $paid = 0.0;
            foreach ($order['payments'] as $payment) {
                $paid += (float) $payment['amount'];
            }
            $rest = (float) $order['total_paid_tax_incl'] - $paid;
            if ($rest > 0) {
                $order['payments'][] = ['amount' => number_format($rest, 6, '.', ''), 'transaction_id' => ''];
            }
        }
    }

    public function add($autodate = true)
    {
        $order = &PsTestState::$data['orders'][(string) $this->id_order];
        $order['history'][] = $this->id_order_state;
        $this->id = count($order['history']);

        return true;
    }

    public function addWithemail($autodate = true, $templateVars = false, $context = null)
    {
        if (!$this->add($autodate)) {
            return false;
        }
        if (empty(PsTestState::$data['states'][(string) $this->id_order_state]['send_email'])) {
            return true;
        }
        if (!empty(PsTestState::$data['mail_fails'])) {
            return false;
        }
        PsTestState::$data['orders'][(string) $this->id_order]['mails'][] = $this->id_order_state;

        return true;
    }
}

class CustomerThread
{
    public $id;
    public $id_contact;
    public $id_customer;
    public $id_shop;
    public $id_order;
    public $id_lang;
    public $email;
    public $status;
    public $token;

    public static function getIdCustomerThreadByEmailAndIdOrder($email, $orderId)
    {
        foreach (PsTestState::$data['threads'] as $i => $thread) {
            if ($thread['email'] === $email && (int) $thread['id_order'] === (int) $orderId) {
                return $i + 1;
            }
        }

        return false;
    }

    public function add()
    {
        PsTestState::$data['threads'][] = ['email' => $this->email, 'id_order' => (int) $this->id_order];
        $this->id = count(PsTestState::$data['threads']);

        return true;
    }
}

class CustomerMessage
{
    public $id;
    public $id_customer_thread;
    public $id_employee;
    public $message;
    public $private;

    public function add()
    {
        if (!is_string($this->message) || $this->message === '' || $this->message !== strip_tags($this->message)) {
            throw new PrestaShopException('Property CustomerMessage->message is not valid');
        }
        PsTestState::$data['messages'][] = [
            'id_customer_thread' => (int) $this->id_customer_thread,
            'message' => $this->message,
            'private' => (int) $this->private,
            'id_employee' => (int) $this->id_employee,
        ];
        $this->id = count(PsTestState::$data['messages']);

        return true;
    }
}

/**
 * The base class of payment modules, so that the module's own class loads and constructs.
 */
class PaymentModule
{
    public $name;
    public $version;
    public $active = true;

    public function __construct()
    {
    }

    public function l($text, $file = '')
    {
        return $text;
    }
}

// The shim client's source: packaging puts a copy in the module's classes/, where it is loaded from
// when the class is not there yet.
require_once __DIR__ . '/../../../php-common/CryptoCheckoutShimClient.php';
require_once __DIR__ . '/../../cryptocheckout/cryptocheckout.php';
