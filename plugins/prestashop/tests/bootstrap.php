<?php
// Just enough of PrestaShop for the module's pay controller to run under PHPUnit, recording what it
// asks the shim for and what it shows.

define('_PS_VERSION_', '8.1.0');

// The shim client's source: packaging puts a copy in the module's classes/, where it is loaded from
// when the class is not there yet.
require_once __DIR__ . '/../../php-common/CryptoCheckoutShimClient.php';
require_once __DIR__ . '/../cryptocheckout/classes/CryptoCheckoutShim.php';
require_once __DIR__ . '/../cryptocheckout/classes/CryptoCheckoutRoute.php';

class Redirected extends Exception
{
}

class PrestaShopLogger
{
    public static function addLog($message, $severity = 1, $code = null, $type = null, $id = null)
    {
        Registry::$logged[] = $message;

        return true;
    }
}

class Registry
{
    public static $get = [];
    public static $orders = [];
    public static $customers = [];
    public static $currencies = [];
    public static $assigned = [];
    public static $template = null;
    public static $shim = null;
    public static $logged = [];

    public static function reset()
    {
        self::$logged = [];
        self::$get = [];
        self::$orders = [];
        self::$customers = [];
        self::$currencies = [];
        self::$assigned = [];
        self::$template = null;
        self::$shim = null;
    }
}

class Tools
{
    public static function getValue($key, $default = false)
    {
        return isset(Registry::$get[$key]) ? Registry::$get[$key] : $default;
    }

    public static function redirect($url)
    {
        throw new Redirected($url);
    }
}

class Validate
{
    public static function isLoadedObject($object)
    {
        return is_object($object) && !empty($object->id);
    }
}

class Order
{
    public $id;
    public $id_customer;
    public $id_currency;
    public $id_cart;
    public $total_paid_tax_incl;

    public function __construct($id = null)
    {
        if ($id && isset(Registry::$orders[$id])) {
            foreach (Registry::$orders[$id] as $field => $value) {
                $this->$field = $value;
            }
            $this->id = $id;
        }
    }
}

class Customer
{
    public $id;
    public $secure_key;

    public function __construct($id = null)
    {
        if ($id && isset(Registry::$customers[$id])) {
            $this->id = $id;
            $this->secure_key = Registry::$customers[$id];
        }
    }
}

class Currency
{
    public $id;
    public $iso_code;
    public $precision;

    public function __construct($id = null)
    {
        $this->id = $id;
        $this->iso_code = isset(Registry::$currencies[$id]) ? Registry::$currencies[$id] : null;
        $this->precision = $this->iso_code === 'JPY' ? 0 : 2;
    }
}

class StubLink
{
    public function getPageLink($page, $ssl = null, $lang = null, $params = [])
    {
        return 'https://shop.example/' . $page . ($params ? '?' . http_build_query($params) : '');
    }
}

class StubSmarty
{
    public function assign($values)
    {
        Registry::$assigned = array_merge(Registry::$assigned, $values);
    }
}

class StubModule
{
    public $id = 77;

    public function shim()
    {
        return Registry::$shim;
    }

    public function l($text, $file = '')
    {
        return $text;
    }
}

class ModuleFrontController
{
    public $module;
    public $context;

    public function __construct()
    {
        $this->module = new StubModule();
        $this->context = (object) [
            'link' => new StubLink(),
            'smarty' => new StubSmarty(),
            'language' => (object) ['iso_code' => 'fr'],
        ];
    }

    public function initContent()
    {
    }

    public function setTemplate($template)
    {
        Registry::$template = $template;
    }
}

require_once __DIR__ . '/../cryptocheckout/controllers/front/pay.php';
