<?php
/**
 * Just enough of WordPress and WooCommerce, as strict as the real ones where the plugin's route
 * depends on them, for the shim's tests to call the plugin's REAL route under `php -S`
 * (router.php). Orders, options and nonces live in a JSON state (see router.php).
 *
 * Faithful to WooCommerce 9.4 (class-wc-order.php, abstract-wc-order.php):
 * - payment_complete() acts only on statuses in `woocommerce_valid_order_statuses_for_payment_complete`
 *   (on-hold, pending, failed, cancelled): transaction id, paid date (once), processing (or completed
 *   when nothing needs processing), stock reduced once, "new order" and "processing" mails;
 * - needs_payment() is true only for `woocommerce_valid_order_statuses_for_payment` (pending,
 *   failed) with a total above zero: what the order-pay page and the REST API's set_paid check;
 * - update_status() writes "<note> Order status changed from X to Y." as one note, restocks on
 *   cancellation of an order whose stock was reduced.
 */

define( 'ABSPATH', __DIR__ . '/' );
define( 'WC_VERSION', '9.4.3' );

/**
 * The shop's state for this request, and what the answer was.
 */
class Wp_Test_State {
	/** @var array */
	public static $data = array();
}

/**
 * What wp_send_json() throws instead of `die`, so that the router can save the state first.
 */
class Wp_Test_Exit extends Exception {
}

require_once __DIR__ . '/../common.php';

$GLOBALS['wp_test_hooks'] = array();

function add_action( $hook, $callback, $priority = 10, $args = 1 ) {
	$GLOBALS['wp_test_hooks'][ $hook ][] = array( $callback, $args );
	return true;
}
function add_filter( $hook, $callback, $priority = 10, $args = 1 ) {
	return add_action( $hook, $callback, $priority, $args );
}
function has_action( $hook ) {
	return ! empty( $GLOBALS['wp_test_hooks'][ $hook ] );
}
function do_action( $hook, ...$values ) {
	foreach ( isset( $GLOBALS['wp_test_hooks'][ $hook ] ) ? $GLOBALS['wp_test_hooks'][ $hook ] : array() as $entry ) {
		call_user_func_array( $entry[0], array_slice( $values, 0, $entry[1] ) );
	}
}
function apply_filters( $hook, $value, ...$more ) {
	foreach ( isset( $GLOBALS['wp_test_hooks'][ $hook ] ) ? $GLOBALS['wp_test_hooks'][ $hook ] : array() as $entry ) {
		$value = call_user_func_array( $entry[0], array_slice( array_merge( array( $value ), $more ), 0, $entry[1] ) );
	}
	return $value;
}
function load_plugin_textdomain( ...$args ) {
	return true;
}
function plugin_basename( $file ) {
	return basename( dirname( $file ) ) . '/' . basename( $file );
}
function wp_unslash( $value ) {
	return $value;
}
function wp_rand( $min = 0, $max = 0 ) {
	return random_int( $min, $max );
}
function wp_generate_password( $length = 12, $special = true, $extra = false ) {
	return substr( bin2hex( random_bytes( $length ) ), 0, $length );
}
function get_option( $name, $default = false ) {
	return array_key_exists( $name, Wp_Test_State::$data['options'] ) ? Wp_Test_State::$data['options'][ $name ] : $default;
}
function update_option( $name, $value, $autoload = null ) {
	Wp_Test_State::$data['options'][ $name ] = $value;
	return true;
}
function wc_get_logger() {
	return new class() {
		public function warning( $message, $context = array() ) {
			Wp_Test_State::$data['log'][] = $message;
		}
	};
}
function wc_get_order_status_name( $status ) {
	$names = array(
		'pending'    => 'Pending payment',
		'processing' => 'Processing',
		'on-hold'    => 'On hold',
		'completed'  => 'Completed',
		'cancelled'  => 'Cancelled',
		'refunded'   => 'Refunded',
		'failed'     => 'Failed',
	);
	return isset( $names[ $status ] ) ? $names[ $status ] : $status;
}
function wc_get_order( $id ) {
	return isset( Wp_Test_State::$data['orders'][ (string) $id ] ) ? new WC_Order( (int) $id ) : false;
}
function wp_send_json( $response, $status_code = null ) {
	http_response_code( null === $status_code ? 200 : $status_code );
	header( 'Content-Type: application/json; charset=UTF-8' );
	echo json_encode( $response );
	throw new Wp_Test_Exit();
}

/**
 * `$wpdb`, for the two statements the route's nonce store makes on the options table.
 */
class Wp_Test_Db {
	public $options = 'wp_options';

	public function prepare( $sql, ...$args ) {
		return array( $sql, $args );
	}
	public function esc_like( $text ) {
		return addcslashes( $text, '_%\\' );
	}
	public function query( $prepared ) {
		list( $sql, $args ) = $prepared;
		if ( 0 === strpos( $sql, 'INSERT IGNORE INTO wp_options' ) ) {
			if ( array_key_exists( $args[0], Wp_Test_State::$data['options'] ) ) {
				return 0;
			}
			Wp_Test_State::$data['options'][ $args[0] ] = $args[1];
			return 1;
		}
		if ( 0 === strpos( $sql, 'DELETE FROM wp_options WHERE option_name LIKE' ) ) {
			$prefix  = str_replace( '\\', '', substr( $args[0], 0, -1 ) );
			$deleted = 0;
			foreach ( Wp_Test_State::$data['options'] as $name => $value ) {
				if ( 0 === strpos( $name, $prefix ) && (int) $value < $args[1] ) {
					unset( Wp_Test_State::$data['options'][ $name ] );
					$deleted++;
				}
			}
			return $deleted;
		}
		throw new RuntimeException( 'test $wpdb: unexpected statement ' . $sql );
	}
}
$GLOBALS['wpdb'] = new Wp_Test_Db();

/**
 * An order, read from and written to the state as WooCommerce's data store would.
 */
class WC_Order {
	private $id;

	public function __construct( $id ) {
		$this->id = (int) $id;
	}
	private function &data() {
		return Wp_Test_State::$data['orders'][ (string) $this->id ];
	}
	public function get_id() {
		return $this->id;
	}
	public function get_status() {
		return $this->data()['status'];
	}
	public function has_status( $status ) {
		return in_array( $this->get_status(), (array) $status, true );
	}
	public function get_total() {
		return $this->data()['total'];
	}
	public function get_currency() {
		return $this->data()['currency'];
	}
	public function get_payment_method() {
		return $this->data()['payment_method'];
	}
	public function get_meta( $key ) {
		$meta = $this->data()['meta'];
		return isset( $meta[ $key ] ) ? $meta[ $key ] : '';
	}
	public function update_meta_data( $key, $value ) {
		$this->data()['meta'][ $key ] = $value;
	}
	public function save() {
		return $this->id;
	}
	public function add_order_note( $note ) {
		$this->data()['notes'][] = $note;
		return count( $this->data()['notes'] );
	}
	public function needs_payment() {
		$valid = apply_filters( 'woocommerce_valid_order_statuses_for_payment', array( 'pending', 'failed' ), $this );
		return $this->has_status( $valid ) && (float) $this->get_total() > 0;
	}
	public function needs_processing() {
		return ! empty( $this->data()['needs_processing'] );
	}
	public function payment_complete( $transaction_id = '' ) {
		$valid = apply_filters( 'woocommerce_valid_order_statuses_for_payment_complete', array( 'on-hold', 'pending', 'failed', 'cancelled' ), $this );
		if ( ! $this->has_status( $valid ) ) {
			return true;
		}
		$order = &$this->data();
		if ( '' !== (string) $transaction_id ) {
			$order['transaction_id'] = (string) $transaction_id;
		}
		if ( empty( $order['date_paid'] ) ) {
			$order['date_paid'] = time();
		}
		$this->transition( $this->needs_processing() ? 'processing' : 'completed', '' );
		return true;
	}
	public function update_status( $new_status, $note = '', $manual = false ) {
		$new_status = 'wc-' === substr( $new_status, 0, 3 ) ? substr( $new_status, 3 ) : $new_status;
		$this->transition( $new_status, $note );
		return true;
	}
	/**
	 * A status change with its note, mails and stock, as WC_Order::status_transition() makes it.
	 */
	private function transition( $to, $note ) {
		$order = &$this->data();
		$from  = $order['status'];
		if ( $from === $to ) {
			if ( '' !== $note ) {
				$this->add_order_note( $note );
			}
			return;
		}
		$order['status'] = $to;
		$this->add_order_note( trim( $note . ' ' . sprintf( 'Order status changed from %1$s to %2$s.', wc_get_order_status_name( $from ), wc_get_order_status_name( $to ) ) ) );
		Wp_Test_State::$data['writes'][] = array( $this->id, $from . ' -> ' . $to );
		// wc_maybe_reduce_stock_levels / wc_maybe_increase_stock_levels.
		if ( in_array( $to, array( 'processing', 'completed', 'on-hold' ), true ) && empty( $order['stock_reduced'] ) ) {
			$order['stock_reduced'] = true;
		} elseif ( in_array( $to, array( 'cancelled', 'pending' ), true ) && ! empty( $order['stock_reduced'] ) ) {
			$order['stock_reduced'] = false;
		}
		// The mails WooCommerce sends on these transitions (WC_Email_*'s triggers).
		$mails = array(
			'pending_to_processing' => 'customer_processing_order',
			'pending_to_on-hold'    => 'customer_on_hold_order',
			'on-hold_to_processing' => 'customer_processing_order',
			'failed_to_processing'  => 'customer_processing_order',
			'pending_to_cancelled'  => 'cancelled_order',
			'on-hold_to_cancelled'  => 'cancelled_order',
			'pending_to_failed'     => 'failed_order',
			'on-hold_to_failed'     => 'failed_order',
		);
		if ( isset( $mails[ $from . '_to_' . $to ] ) ) {
			$order['mails'][] = $mails[ $from . '_to_' . $to ];
		}
		if ( 'completed' === $to ) {
			$order['mails'][] = 'customer_completed_order';
		}
	}
}
