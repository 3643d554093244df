<?php
/**
 * Just enough of OpenCart 3.0 and 4.x for the extension's controllers and models to run, under
 * PHPUnit and in the test server (tests/server/router.php). Orders, settings and the nonce table live
 * in an OcState (the JSON state file of the test server).
 *
 * Faithful where it matters to the extension: Request values are HTML-escaped like OpenCart's
 * (Request::clean), Url::link() writes "&amp;", 4.x's Controller refuses an unknown registry key,
 * 3.x's order model has addOrderHistory and 4.x's addHistory (and not the other).
 */

namespace {

    const OC_PLUGIN_DIR = __DIR__ . '/../..';

    /**
     * The state of the fake shop: settings, orders with their history, the nonce table, and the
     * decimal places of currencies (2 unless listed).
     */
    final class OcState
    {
        /** @var array */
        public $data;

        public function __construct(array $data = [])
        {
            foreach (['config', 'orders', 'nonces', 'currencies'] as $key) {
                if (!isset($data[$key]) || !is_array($data[$key])) {
                    $data[$key] = [];
                }
            }
            foreach ($data['orders'] as $id => $order) {
                $data['orders'][$id]['order_id'] = (int) $id;
                if (!isset($order['history']) || !is_array($order['history'])) {
                    $data['orders'][$id]['history'] = [];
                }
            }
            $this->data = $data;
        }

        /**
         * @throws RuntimeException When the JSON is not a state
         */
        public static function decode($json)
        {
            $data = json_decode((string) $json, true);
            if (!is_array($data)) {
                throw new RuntimeException('the state file is not a JSON object');
            }

            return new self($data);
        }

        public function encode()
        {
            $data = $this->data;
            foreach (['config', 'orders', 'nonces', 'currencies'] as $key) {
                $data[$key] = (object) $data[$key]; // {} even when empty or keyed 0, 1, ...
            }

            return json_encode($data, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n";
        }

        /**
         * @return array|null The order as getOrder() gives it (without its history)
         */
        public function order($orderId)
        {
            if (!isset($this->data['orders'][(int) $orderId])) {
                return null;
            }
            $order = $this->data['orders'][(int) $orderId];
            unset($order['history']);

            return $order;
        }

        public function history($orderId)
        {
            return $this->data['orders'][(int) $orderId]['history'];
        }

        public function addHistory($orderId, $statusId, $comment, $notify)
        {
            if (!isset($this->data['orders'][(int) $orderId])) {
                return; // OpenCart does nothing either
            }
            $this->data['orders'][(int) $orderId]['order_status_id'] = (int) $statusId;
            $this->data['orders'][(int) $orderId]['history'][] = [
                'order_status_id' => (int) $statusId,
                'comment' => (string) $comment,
                'notify' => (bool) $notify,
            ];
        }

        /**
         * @return bool Whether the nonce was new (INSERT IGNORE affected a row)
         */
        public function insertNonce($nonce, $expires)
        {
            if (isset($this->data['nonces'][$nonce])) {
                return false;
            }
            $this->data['nonces'][$nonce] = (int) $expires;

            return true;
        }

        public function pruneNonces($before)
        {
            $this->data['nonces'] = array_filter($this->data['nonces'], function ($expires) use ($before) {
                return $expires >= $before;
            });
        }

        public function decimals($currencyCode)
        {
            return isset($this->data['currencies'][$currencyCode]) ? (int) $this->data['currencies'][$currencyCode] : 2;
        }
    }

    class Registry
    {
        protected $data = [];

        public function get($key)
        {
            return isset($this->data[$key]) ? $this->data[$key] : null;
        }

        public function set($key, $value)
        {
            $this->data[$key] = $value;
        }

        public function has($key)
        {
            return isset($this->data[$key]);
        }
    }

    /** OpenCart 3's engine Controller. */
    abstract class Controller
    {
        protected $registry;

        public function __construct($registry)
        {
            $this->registry = $registry;
        }

        public function __get($key)
        {
            return $this->registry->get($key);
        }

        public function __set($key, $value)
        {
            $this->registry->set($key, $value);
        }
    }

    /** OpenCart 3's engine Model: the registry's objects as properties, as a Controller has them. */
    abstract class Model extends Controller
    {
    }

    /** OpenCart's Config: keys and values, as the 3.0 Registry keeps them. */
    final class StubConfig extends Registry
    {
        public function __construct(array $data)
        {
            $this->data = $data;
        }
    }

    /** Like OpenCart's Request: every value HTML-escaped and trimmed. */
    final class StubRequest
    {
        public $get;
        public $post;
        public $server;
        public $cookie = [];
        public $files = [];

        public function __construct(array $get = [], array $post = [], array $server = [])
        {
            $this->get = self::clean($get);
            $this->post = self::clean($post);
            $this->server = self::clean($server + ['REQUEST_METHOD' => 'GET', 'SERVER_PROTOCOL' => 'HTTP/1.1']);
        }

        public static function clean($data)
        {
            if (is_array($data)) {
                $clean = [];
                foreach ($data as $key => $value) {
                    $clean[self::clean($key)] = self::clean($value);
                }

                return $clean;
            }

            return trim(htmlspecialchars((string) $data, ENT_COMPAT, 'UTF-8'));
        }
    }

    final class StubRedirect extends Exception
    {
    }

    final class StubResponse
    {
        public $headers = [];
        public $output = '';

        public function addHeader($header)
        {
            $this->headers[] = $header;
        }

        public function setOutput($output)
        {
            $this->output = $output;
        }

        public function getOutput()
        {
            return $this->output;
        }

        public function redirect($url)
        {
            throw new StubRedirect($url);
        }

        /** The status code the headers set (200 when none). */
        public function status()
        {
            foreach ($this->headers as $header) {
                if (preg_match('#^HTTP/\S+ ([0-9]{3})#', $header, $m)) {
                    return (int) $m[1];
                }
            }

            return 200;
        }

        /** The JSON answer, decoded. */
        public function json()
        {
            return json_decode($this->output, true);
        }

        /** Sends it, as OpenCart's Response::output() does. */
        public function send()
        {
            foreach ($this->headers as $header) {
                if (preg_match('#^HTTP/\S+ ([0-9]{3})#', $header, $m)) {
                    http_response_code((int) $m[1]);
                } else {
                    header($header, true);
                }
            }
            echo $this->output;
        }
    }

    final class StubSession
    {
        public $data = [];
    }

    final class StubUrl
    {
        private $oc3;

        public function __construct($oc3)
        {
            $this->oc3 = $oc3;
        }

        /** OpenCart 3 always writes "&amp;"; 4 unless $js (its third argument) is true. */
        public function link($route, $args = '', $third = false)
        {
            $url = 'https://shop.example/index.php?route=' . $route;
            if ($args !== '') {
                $url .= ($this->oc3 || !$third) ? str_replace('&', '&amp;', '&' . ltrim($args, '&')) : '&' . ltrim($args, '&');
            }

            return $url;
        }
    }

    final class StubCurrency
    {
        private $state;

        public function __construct(OcState $state)
        {
            $this->state = $state;
        }

        public function getDecimalPlace($currency)
        {
            return $this->state->decimals($currency);
        }
    }

    final class StubDocument
    {
        public $title;

        public function setTitle($title)
        {
            $this->title = $title;
        }
    }

    final class StubUser
    {
        public $allowed = true;

        public function hasPermission($key, $value)
        {
            return $this->allowed;
        }
    }

    final class StubLanguage
    {
        private $data = [];

        public function load($file)
        {
            $_ = [];
            if (is_file($file)) {
                require $file;
            }
            $this->data = array_merge($this->data, $_);

            return $this->data;
        }

        public function get($key)
        {
            return isset($this->data[$key]) ? $this->data[$key] : $key;
        }

        public function all()
        {
            return $this->data;
        }
    }

    /** The database, for the queries the extension makes (anything else is a test failure). */
    final class StubDb
    {
        public $queries = [];
        private $state;
        private $affected = 0;

        public function __construct(OcState $state)
        {
            $this->state = $state;
        }

        public function escape($value)
        {
            return addslashes((string) $value);
        }

        public function countAffected()
        {
            return $this->affected;
        }

        public function query($sql)
        {
            $this->queries[] = $sql;
            $table = '`' . DB_PREFIX . 'crypto_checkout_nonce`';
            if (preg_match('/^INSERT IGNORE INTO ' . preg_quote($table) . " \\(`nonce`, `expires`\\) VALUES \\('([A-Za-z0-9]+)', '([0-9]+)'\\)$/", $sql, $m)) {
                $this->affected = $this->state->insertNonce($m[1], (int) $m[2]) ? 1 : 0;

                return true;
            }
            if (preg_match('/^DELETE FROM ' . preg_quote($table) . " WHERE `expires` < '([0-9]+)'$/", $sql, $m)) {
                $this->state->pruneNonces((int) $m[1]);

                return true;
            }
            if (preg_match('/^(CREATE TABLE IF NOT EXISTS|DROP TABLE IF EXISTS) ' . preg_quote($table) . '/', $sql)) {
                return true;
            }
            throw new RuntimeException('unexpected query: ' . $sql);
        }
    }

    /** checkout/order of OpenCart 3. */
    class StubOrderModel3
    {
        protected $state;

        public function __construct(OcState $state)
        {
            $this->state = $state;
        }

        public function getOrder($orderId)
        {
            $order = $this->state->order($orderId);

            return $order === null ? false : $order;
        }

        public function addOrderHistory($orderId, $orderStatusId, $comment = '', $notify = false, $override = false)
        {
            $this->state->addHistory($orderId, $orderStatusId, $comment, $notify);
        }
    }

    /** checkout/order of OpenCart 4. */
    class StubOrderModel4
    {
        protected $state;

        public function __construct(OcState $state)
        {
            $this->state = $state;
        }

        public function getOrder(int $orderId): array
        {
            $order = $this->state->order($orderId);

            return $order === null ? [] : $order;
        }

        public function addHistory(int $orderId, int $orderStatusId, string $comment = '', bool $notify = false, bool $override = false): void
        {
            $this->state->addHistory($orderId, $orderStatusId, $comment, $notify);
        }
    }

    /** setting/setting (admin). */
    final class StubSettingModel
    {
        public $saved = [];

        public function editSetting($code, $data)
        {
            $this->saved[$code] = $data;
        }
    }

    /** localisation/order_status (admin), with OpenCart's default statuses. */
    final class StubOrderStatusModel
    {
        /** @var array what addOrderStatus() was given, each time */
        public static $added = [];
        public static $names = [];

        public static function reset()
        {
            self::$added = [];
            self::$names = [1 => 'Pending', 2 => 'Processing', 3 => 'Shipped', 5 => 'Complete', 7 => 'Canceled', 8 => 'Denied', 9 => 'Canceled Reversal', 10 => 'Failed', 11 => 'Refunded', 12 => 'Reversed', 13 => 'Chargeback', 14 => 'Expired', 15 => 'Processed', 16 => 'Voided'];
        }

        public function getOrderStatuses()
        {
            $statuses = [];
            foreach (self::$names as $id => $name) {
                $statuses[] = ['order_status_id' => $id, 'name' => $name];
            }

            return $statuses;
        }

        /** As OpenCart's: one row per language under one new id. */
        public function addOrderStatus($data)
        {
            self::$added[] = $data;
            $id = max(array_keys(self::$names)) + 1;
            $first = reset($data['order_status']);
            self::$names[$id] = $first['name'];

            return $id;
        }
    }
    StubOrderStatusModel::reset();

    /** localisation/language (admin). */
    final class StubLanguageModel
    {
        public function getLanguages()
        {
            return [
                'en-gb' => ['language_id' => 1, 'code' => 'en-gb', 'name' => 'English'],
                'de-de' => ['language_id' => 2, 'code' => 'de-de', 'name' => 'Deutsch'],
            ];
        }
    }

    final class StubLoader
    {
        /** @var array [route, data] of each view rendered */
        public $views = [];
        private $registry;
        private $version;
        private $app;

        public function __construct($registry, $version, $app)
        {
            $this->registry = $registry;
            $this->version = $version;
            $this->app = $app;
        }

        public function model($route)
        {
            $key = 'model_' . str_replace('/', '_', $route);
            if ($this->registry->has($key)) {
                return;
            }
            $state = $this->registry->get('stub_state');
            $oc3 = $this->version === '3';
            switch ($route) {
                case 'checkout/order':
                    $model = $oc3 ? new StubOrderModel3($state) : new StubOrderModel4($state);
                    break;
                case 'setting/setting':
                    $model = new StubSettingModel();
                    break;
                case 'localisation/order_status':
                    $model = new StubOrderStatusModel();
                    break;
                case 'localisation/language':
                    $model = new StubLanguageModel();
                    break;
                case OcStub::route($this->version):
                    require_once OcStub::file($this->version, $this->app, 'model');
                    $class = $oc3 ? 'ModelExtensionPaymentCryptoCheckout' : 'Opencart\\' . ucfirst($this->app) . '\\Model\\Extension\\CryptoCheckout\\Payment\\CryptoCheckout';
                    $model = new $class($this->registry);
                    break;
                default:
                    throw new RuntimeException('no stub for model ' . $route);
            }
            $this->registry->set($key, $model);
        }

        public function language($route)
        {
            $file = $route === OcStub::route($this->version) ? OcStub::file($this->version, $this->app, 'language') : '';

            return $this->registry->get('language')->load($file);
        }

        public function view($route, array $data = [])
        {
            $this->views[] = [$route, $data];

            return 'view:' . $route;
        }

        public function controller($route)
        {
            return '';
        }
    }

    final class OcStub
    {
        /** The VERSION constant of each version the test server plays. */
        const VERSIONS = ['3' => '3.0.3.8', '4.0.0' => '4.0.0.0', '4.0.2' => '4.0.2.3'];

        /** The extension's route in a version. */
        public static function route($version)
        {
            return $version === '3' ? 'extension/payment/crypto_checkout' : 'extension/crypto_checkout/payment/crypto_checkout';
        }

        /**
         * The action a route calls in a version, or null (another route, or the other versions'
         * syntax). The shim calls "order" and "callback".
         */
        public static function action($version, $route)
        {
            $separator = ['3' => '/', '4.0.0' => '|', '4.0.2' => '.'];
            if (!isset($separator[$version])) {
                return null;
            }
            $pattern = '#^' . preg_quote(self::route($version) . $separator[$version], '#') . '(order|callback)$#';

            return preg_match($pattern, (string) $route, $m) ? $m[1] : null;
        }

        /**
         * A file of the package: $kind controller, model or language, for the admin or catalog.
         * The languages, the same in both, have one source that packaging copies into each.
         */
        public static function file($version, $app, $kind)
        {
            if ($kind === 'language') {
                return OC_PLUGIN_DIR . "/core/language/en-gb/$app.php";
            }
            if ($version === '3') {
                return OC_PLUGIN_DIR . "/oc3/upload/$app/$kind/extension/payment/crypto_checkout.php";
            }

            return OC_PLUGIN_DIR . "/oc4/crypto_checkout/$app/$kind/payment/crypto_checkout.php";
        }

        /**
         * The class of the package's controller (its file loaded).
         */
        public static function controllerClass($version, $app)
        {
            require_once self::file($version, $app, 'controller');

            return $version === '3'
                ? 'ControllerExtensionPaymentCryptoCheckout'
                : 'Opencart\\' . ucfirst($app) . '\\Controller\\Extension\\CryptoCheckout\\Payment\\CryptoCheckout';
        }

        /**
         * What a controller finds in the registry.
         */
        public static function registry($version, OcState $state, $app = 'catalog', array $get = [], array $post = [], array $server = [])
        {
            $registry = $version === '3' ? new Registry() : new \Opencart\System\Engine\Registry();
            $registry->set('stub_state', $state);
            $registry->set('config', new StubConfig($state->data['config'] + ['config_language' => 'en-gb']));
            $registry->set('request', new StubRequest($get, $post, $server));
            $registry->set('response', new StubResponse());
            $registry->set('session', new StubSession());
            $registry->set('url', new StubUrl($version === '3'));
            $registry->set('currency', new StubCurrency($state));
            $registry->set('document', new StubDocument());
            $registry->set('user', new StubUser());
            $registry->set('db', new StubDb($state));
            $registry->set('language', new StubLanguage());
            $registry->set('load', new StubLoader($registry, $version, $app));

            return $registry;
        }
    }
}

namespace Opencart\System\Engine {

    final class Registry
    {
        private $data = [];

        public function get(string $key)
        {
            return isset($this->data[$key]) ? $this->data[$key] : null;
        }

        public function set(string $key, $value): void
        {
            $this->data[$key] = $value;
        }

        public function has(string $key): bool
        {
            return isset($this->data[$key]);
        }
    }

    /** OpenCart 4's engine Controller: an unknown registry key is an error. */
    class Controller
    {
        protected $registry;

        public function __construct(\Opencart\System\Engine\Registry $registry)
        {
            $this->registry = $registry;
        }

        public function __get(string $key)
        {
            if ($this->registry->has($key)) {
                return $this->registry->get($key);
            }
            throw new \Exception('Error: Could not call registry key ' . $key . '!');
        }

        public function __set(string $key, $value): void
        {
            $this->registry->set($key, $value);
        }
    }

    /** OpenCart 4's engine Model. */
    class Model extends Controller
    {
    }
}
