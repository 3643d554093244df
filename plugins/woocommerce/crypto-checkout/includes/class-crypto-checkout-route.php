<?php
/**
 * The route the shim calls to read and move this shop's orders: `POST /?wc-api=crypto_checkout`
 * (WooCommerce's own API endpoint, so it works whatever the permalinks, with or without HTTPS).
 *
 * Every call is a JSON body signed by the shim with the secret this plugin shares with it
 * (X-Shim-Signature: hex HMAC-SHA256 of "timestamp.nonce.body"), within 5 minutes of this shop's
 * clock, with a nonce never seen before; anything else is a 401 that changes nothing. Orders move
 * through WooCommerce's PHP API, as its own gateways move them: `payment_complete()` (processing,
 * or completed when nothing needs processing; paid date, transaction id, stock reduced once, the
 * usual emails), `update_status()`, `add_order_note()`.
 *
 *   {"action": "ping"}                     -> {"plugin": "0.2.0", "platform": "WooCommerce 9.4.3"}
 *   {"action": "order", "order_id": 42}    -> {"order_id", "status", "state", "total", "currency"}
 *   {"action": "update", "order_id": 42, "invoice_id": "inv_...", "invoice_status": "paid",
 *    "step": "paid|hold|cancel|fail|refund|note", "transaction_id": "...", "notes": ["..."],
 *    "key": "..."}                         -> {"applied": bool, "order": {...}}
 *
 * A step is applied once per key (kept on the order), and only when it moves the order forward:
 * a paid order is never held, cancelled or failed; a cancelled one is not held again.
 *
 * @package CryptoCheckout
 */

defined( 'ABSPATH' ) || exit;

if ( ! class_exists( 'CryptoCheckoutShimClient', false ) ) {
	require_once __DIR__ . '/class-crypto-checkout-shim-client.php';
}

/**
 * The shim's route into the shop.
 */
class Crypto_Checkout_Route {

	/**
	 * Option that holds the secret shared with the shim.
	 */
	const SECRET_OPTION = 'crypto_checkout_shared_secret';

	/**
	 * Prefix of the options that remember nonces.
	 */
	const NONCE_PREFIX = 'crypto_checkout_nonce_';

	/**
	 * Order meta: the keys of the updates applied to the order.
	 */
	const DONE_META = '_crypto_checkout_done';

	/**
	 * How many keys an order keeps.
	 */
	const DONE_KEEP = 50;

	/**
	 * The secret shared with the shim, made on first use (40 letters and digits).
	 *
	 * @return string
	 */
	public static function secret() {
		$secret = (string) get_option( self::SECRET_OPTION, '' );
		if ( strlen( $secret ) < 16 ) {
			$secret = wp_generate_password( 40, false, false );
			update_option( self::SECRET_OPTION, $secret, false );
		}
		return $secret;
	}

	/**
	 * `woocommerce_api_crypto_checkout`: answers the shim and ends the request.
	 */
	public static function handle() {
		$body   = (string) file_get_contents( 'php://input' );
		$header = static function ( $name ) {
			$key = 'HTTP_' . strtoupper( str_replace( '-', '_', $name ) );
			return isset( $_SERVER[ $key ] ) ? (string) wp_unslash( $_SERVER[ $key ] ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared, never printed.
		};
		$method = isset( $_SERVER['REQUEST_METHOD'] ) ? (string) $_SERVER['REQUEST_METHOD'] : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput
		if ( 'POST' !== $method ) {
			self::reply( 405, array( 'error' => 'the shim posts to this route' ) );
		}
		$why = self::verify(
			(string) get_option( self::SECRET_OPTION, '' ),
			$header( 'X-Shim-Timestamp' ),
			$header( 'X-Shim-Nonce' ),
			$header( 'X-Shim-Signature' ),
			$body,
			time(),
			array( __CLASS__, 'nonce_seen' )
		);
		if ( null !== $why ) {
			self::log( 'refused a call: ' . $why );
			self::reply( 401, array( 'error' => $why ) );
		}
		list( $status, $answer ) = self::dispatch( json_decode( $body, true ) );
		self::reply( $status, $answer );
	}

	/**
	 * Checks a call from the shim (CryptoCheckoutShimClient::verify()): the plugin's secret is
	 * made when the shop is connected, so a shorter one is none yet.
	 *
	 * @param string   $secret    The shared secret (empty: every call is refused).
	 * @param string   $timestamp X-Shim-Timestamp: decimal Unix seconds.
	 * @param string   $nonce     X-Shim-Nonce: 16 to 64 letters and digits.
	 * @param string   $signature X-Shim-Signature.
	 * @param string   $body      The raw body.
	 * @param int      $now       The shop's clock.
	 * @param callable $nonce_seen (nonce, expires) => bool: records the nonce, true if it was there.
	 * @return string|null Null when authentic, else why not.
	 */
	public static function verify( $secret, $timestamp, $nonce, $signature, $body, $now, $nonce_seen ) {
		return CryptoCheckoutShimClient::verify(
			strlen( (string) $secret ) < 16 ? '' : $secret,
			$timestamp,
			$nonce,
			$signature,
			$body,
			$now,
			$nonce_seen,
			array( 'no_secret' => 'the plugin has no shared secret yet: connect the shop from its settings' )
		);
	}

	/**
	 * Records a nonce; whether it was already recorded. One row each in the options table, added
	 * with INSERT IGNORE so that two requests with the same nonce cannot both get in.
	 *
	 * @param string $nonce   The nonce.
	 * @param int    $expires When it may be forgotten.
	 * @return bool
	 */
	public static function nonce_seen( $nonce, $expires ) {
		global $wpdb;
		$added = $wpdb->query( // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$wpdb->prepare(
				"INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'no')",
				self::NONCE_PREFIX . $nonce,
				(string) $expires
			)
		);
		if ( wp_rand( 1, 50 ) === 1 ) {
			$wpdb->query( // phpcs:ignore WordPress.DB.DirectDatabaseQuery
				$wpdb->prepare(
					"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s AND CAST(option_value AS UNSIGNED) < %d",
					$wpdb->esc_like( self::NONCE_PREFIX ) . '%',
					time()
				)
			);
		}
		return 1 !== $added;
	}

	/**
	 * What a call asks for, answered (CryptoCheckoutShimClient::dispatch()): [HTTP status, body].
	 *
	 * @param mixed $call The decoded body.
	 * @return array
	 */
	public static function dispatch( $call ) {
		return CryptoCheckoutShimClient::dispatch(
			$call,
			array(
				'ping'     => static function () {
					return array(
						'plugin'   => CRYPTO_CHECKOUT_VERSION,
						'platform' => 'WooCommerce ' . ( defined( 'WC_VERSION' ) ? WC_VERSION : '' ),
					);
				},
				'find'     => static function ( $id ) {
					$order = wc_get_order( $id );
					return $order && is_a( $order, 'WC_Order' ) ? $order : null;
				},
				'describe' => array( __CLASS__, 'describe' ),
				'parse'    => array( __CLASS__, 'parse_update' ),
				'apply'    => array( __CLASS__, 'apply' ),
			)
		);
	}

	/**
	 * An update's fields, checked (CryptoCheckoutShimClient::parseUpdate()).
	 *
	 * @param array $call The decoded body.
	 * @return array|string The update, or what is wrong with it.
	 */
	public static function parse_update( array $call ) {
		return CryptoCheckoutShimClient::parseUpdate( $call );
	}

	/**
	 * The order as the shim reads it.
	 *
	 * @param WC_Order $order The order.
	 * @return array
	 */
	public static function describe( $order ) {
		return array(
			'order_id' => $order->get_id(),
			'status'   => $order->get_status(),
			'state'    => self::state( $order->get_status() ),
			'total'    => wc_format_decimal( $order->get_total(), wc_get_price_decimals() ),
			'currency' => $order->get_currency(),
		);
	}

	/**
	 * What a status means to the shim: awaiting, on_hold, paid, cancelled, failed or refunded.
	 * A status this plugin does not know (another plugin's, set by the merchant) counts as paid,
	 * so that the shim leaves the order alone and only writes notes.
	 *
	 * @param string $status A status without the wc- prefix.
	 * @return string
	 */
	public static function state( $status ) {
		switch ( $status ) {
			case 'pending':
			case 'checkout-draft':
				return 'awaiting';
			case 'on-hold':
				return 'on_hold';
			case 'cancelled':
				return 'cancelled';
			case 'failed':
				return 'failed';
			case 'refunded':
				return 'refunded';
		}
		return WC_Gateway_Crypto_Checkout::underpaid_status() === $status ? 'on_hold' : 'paid';
	}

	/**
	 * Carries out an update once; whether anything was written.
	 *
	 * @param WC_Order $order  The order.
	 * @param array    $update From parse_update().
	 * @return bool
	 */
	public static function apply( $order, array $update ) {
		$done = $order->get_meta( self::DONE_META );
		$done = is_array( $done ) ? $done : array();
		if ( in_array( $update['key'], $done, true ) ) {
			return false;
		}
		$state = self::state( $order->get_status() );
		$open  = in_array( $state, array( 'awaiting', 'on_hold' ), true );
		$notes = $update['notes'];
		switch ( $update['step'] ) {
			case 'paid':
				if ( 'paid' === $state || 'refunded' === $state ) {
					return false;
				}
				$order->payment_complete( $update['transaction_id'] );
				break;
			case 'hold':
				if ( ! $open ) {
					return false;
				}
				$closed_short = in_array( $update['invoice_status'], array( 'underpaid', 'review' ), true );
				$target       = $closed_short ? WC_Gateway_Crypto_Checkout::underpaid_status() : 'on-hold';
				if ( ! $order->has_status( $target ) ) {
					$order->update_status( $target, (string) array_shift( $notes ) );
				}
				break;
			case 'cancel':
			case 'fail':
				if ( ! $open ) {
					return false;
				}
				$order->update_status( 'cancel' === $update['step'] ? 'cancelled' : 'failed', (string) array_shift( $notes ) );
				break;
			case 'refund':
				if ( ! in_array( $state, array( 'paid', 'on_hold' ), true ) ) {
					return false;
				}
				$order->update_status( 'refunded', (string) array_shift( $notes ) );
				break;
		}
		$order = wc_get_order( $order->get_id() );
		foreach ( $notes as $note ) {
			$order->add_order_note( $note );
		}
		$done[] = $update['key'];
		$order->update_meta_data( self::DONE_META, array_slice( $done, -self::DONE_KEEP ) );
		$order->save();
		return true;
	}

	/**
	 * Writes to WooCommerce's log (WooCommerce > Status > Logs, source crypto-checkout).
	 *
	 * @param string $message What happened (never a secret).
	 */
	private static function log( $message ) {
		if ( function_exists( 'wc_get_logger' ) ) {
			wc_get_logger()->warning( 'Crypto checkout route: ' . $message, array( 'source' => 'crypto-checkout' ) );
		}
	}

	/**
	 * Sends `$body` as JSON with `$status`, and ends the request.
	 *
	 * @param int   $status HTTP status.
	 * @param array $body   The answer.
	 */
	private static function reply( $status, array $body ) {
		wp_send_json( $body, $status );
	}
}
