<?php
// Just enough of WordPress and WooCommerce for the plugin's classes to run under PHPUnit: each stub
// records what the plugin asked for, so the tests can check what it sends to the shim and what it
// does with the answer.

define( 'ABSPATH', __DIR__ . '/' );
define( 'CRYPTO_CHECKOUT_FILE', __DIR__ . '/../crypto-checkout/crypto-checkout.php' );
define( 'CRYPTO_CHECKOUT_VERSION', 'test' );

require_once __DIR__ . '/common.php';

class Stubs {
	public static $requests = array();
	public static $response = null;
	public static $notices  = array();
	public static $orders   = array();
	public static $settings = array();
	public static $logged   = array();

	public static function reset() {
		self::$requests = array();
		self::$response = null;
		self::$notices  = array();
		self::$orders   = array();
		self::$settings = array();
		self::$logged   = array();
	}
}

class WP_Error {
	public $message;
	public function __construct( $code = '', $message = '' ) {
		$this->message = $message;
	}
}

function add_action( ...$args ) {}
function add_filter( ...$args ) {}
function esc_url_raw( $url ) {
	return (string) $url;
}
function sanitize_text_field( $text ) {
	return trim( strip_tags( (string) $text ) );
}
function determine_locale() {
	return 'pt_BR';
}
function is_wp_error( $thing ) {
	return $thing instanceof WP_Error;
}
function wp_remote_post( $url, $args ) {
	Stubs::$requests[] = array( 'url' => $url, 'args' => $args );
	return Stubs::$response;
}
function wp_remote_retrieve_response_code( $response ) {
	return $response['response']['code'];
}
function wp_remote_retrieve_body( $response ) {
	return $response['body'];
}
function wc_get_cart_url() {
	return 'https://shop.example/cart/';
}
function wc_add_notice( $message, $type = 'success' ) {
	Stubs::$notices[] = array( $type, $message );
}
function get_option( $name, $default = false ) {
	return 'woocommerce_crypto_checkout_settings' === $name ? Stubs::$settings : $default;
}
function wc_get_order( $id ) {
	return isset( Stubs::$orders[ $id ] ) ? Stubs::$orders[ $id ] : false;
}
function wc_get_logger() {
	return new class() {
		public function warning( $message, $context = array() ) {
			Stubs::$logged[] = $message;
		}
	};
}

class WC_Order {
	private $id;
	private $total;
	private $currency;
	private $meta  = array();
	public $saved = 0;

	private $method;

	public function __construct( $id, $total, $currency, $method = 'crypto_checkout' ) {
		$this->id       = $id;
		$this->total    = $total;
		$this->currency = $currency;
		$this->method   = $method;
	}
	public function get_payment_method() {
		return $this->method;
	}
	public function get_id() {
		return $this->id;
	}
	public function get_total() {
		return $this->total;
	}
	public function get_currency() {
		return $this->currency;
	}
	public function update_meta_data( $key, $value ) {
		$this->meta[ $key ] = $value;
	}
	public function get_meta( $key ) {
		return isset( $this->meta[ $key ] ) ? $this->meta[ $key ] : '';
	}
	public function save() {
		$this->saved++;
	}
	public function get_checkout_payment_url( $on_checkout = false ) {
		return 'https://shop.example/checkout/order-pay/' . $this->id . '/?key=wc_order_abc';
	}
}

class WC_Payment_Gateway {
	public $id;
	public $form_fields = array();
	public $settings    = array();
	public $enabled     = 'no';

	public function init_settings() {
		$this->settings = Stubs::$settings;
		$this->enabled  = isset( $this->settings['enabled'] ) ? $this->settings['enabled'] : 'no';
	}
	public function get_option( $key, $empty_value = null ) {
		if ( isset( $this->settings[ $key ] ) ) {
			return $this->settings[ $key ];
		}
		return isset( $this->form_fields[ $key ]['default'] ) ? $this->form_fields[ $key ]['default'] : '';
	}
	public function is_available() {
		return 'yes' === $this->enabled;
	}
	/** As WC_Settings_API's: the saved value in the field's value attribute. */
	public function generate_password_html( $key, $data ) {
		return '<input type="password" name="woocommerce_crypto_checkout_' . esc_attr( $key ) . '" value="' . esc_attr( $this->get_option( $key ) ) . '" placeholder="' . esc_attr( isset( $data['placeholder'] ) ? $data['placeholder'] : '' ) . '" />';
	}
	public function get_return_url( $order ) {
		return 'https://shop.example/checkout/order-received/' . $order->get_id() . '/';
	}
}

require_once __DIR__ . '/../crypto-checkout/includes/class-crypto-checkout-shim.php';
require_once __DIR__ . '/../crypto-checkout/includes/class-wc-gateway-crypto-checkout.php';
require_once __DIR__ . '/../crypto-checkout/includes/class-crypto-checkout-route.php';
