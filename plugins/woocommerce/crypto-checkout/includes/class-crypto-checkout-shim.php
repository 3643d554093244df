<?php
/**
 * The shim's HTTP API, as the plugin uses it: create an invoice for an order, and connect the shop.
 * The client itself is shared with the other platforms' packages (CryptoCheckoutShimClient, copied
 * beside this file when the plugin is packaged); this is what WordPress and WooCommerce add to it:
 * WordPress's HTTP API, the plugin's translated words, WooCommerce's amounts and log.
 *
 * @package CryptoCheckout
 */

defined( 'ABSPATH' ) || exit;

if ( ! class_exists( 'CryptoCheckoutShimClient', false ) ) {
	require_once __DIR__ . '/class-crypto-checkout-shim-client.php';
}

/**
 * A client of the checkout kit's shim.
 */
class Crypto_Checkout_Shim extends CryptoCheckoutShimClient {

	/**
	 * A client of the shim at `$url` with the shop token `$token`.
	 *
	 * @param string $url   The shim's URL.
	 * @param string $token The shop token.
	 */
	public function __construct( $url, $token ) {
		parent::__construct(
			untrailingslashit( (string) $url ),
			$token,
			array( __CLASS__, 'wp_post' ),
			array(
				'unreachable'         => __( 'The crypto payment service cannot be reached right now. Please try again in a minute.', 'crypto-checkout' ),
				'busy'                => __( 'The crypto payment service is busy. Please try again in a minute.', 'crypto-checkout' ),
				'refused'             => __( 'This order cannot be paid in crypto. Please choose another payment method or contact us.', 'crypto-checkout' ),
				'connect_unreachable' => __( 'The shim cannot be reached: check its URL.', 'crypto-checkout' ),
				'connect_token'       => __( 'The shim does not know this shop token: check it.', 'crypto-checkout' ),
				/* translators: %s: what the shim said */
				'connect_refused'     => __( 'The shim could not connect this shop: %s', 'crypto-checkout' ),
			)
		);
	}

	/**
	 * What the shim needs to create the invoice of `$order`.
	 *
	 * @param WC_Order $order       The order.
	 * @param string   $url_return  Where "return to store" leads.
	 * @param string   $url_success Where the payer goes after paying.
	 * @return array
	 */
	public static function invoice_request( $order, $url_return, $url_success ) {
		return self::invoiceFields(
			$order->get_id(),
			$order->get_id(),
			wc_format_decimal( $order->get_total(), wc_get_price_decimals() ),
			$order->get_currency(),
			$url_return,
			$url_success
		);
	}

	/**
	 * Connects this shop to the shim: the shim stores this shop's route and the secret they
	 * share, once it has called the route with it (so the shim must be able to reach this site).
	 *
	 * @param string $site   This shop's home URL.
	 * @param string $secret The shared secret.
	 * @return array The shim's answer (`connected`, `plugin`, `platform`).
	 * @throws Exception With a message for the merchant.
	 */
	public function connect( $site, $secret ) {
		return $this->connectShop( 'woocommerce', $site, $secret );
	}

	/**
	 * Creates (or, for the same order, returns) the invoice. The shim is idempotent per order, so
	 * a payer who reloads or comes back gets the same invoice. What the shim said when it refuses
	 * goes to WooCommerce's log.
	 *
	 * @param array $request From `invoice_request`.
	 * @return array The invoice (`id`, `pay_url`, ...).
	 * @throws Exception With a message for the payer when the shim refuses or cannot be reached.
	 */
	public function create_invoice( array $request ) {
		try {
			return $this->createInvoice( $request );
		} catch ( Exception $e ) {
			if ( '' !== $this->lastError && function_exists( 'wc_get_logger' ) ) {
				wc_get_logger()->warning( 'Crypto checkout: ' . $this->lastError, array( 'source' => 'crypto-checkout' ) );
			}
			throw $e;
		}
	}

	/**
	 * Posts with WordPress's HTTP API (its proxy settings, its certificates).
	 *
	 * @param string   $url     Where.
	 * @param string[] $headers "Name: value" lines.
	 * @param string   $body    The JSON body.
	 * @return array [HTTP status (0: no answer), body].
	 */
	public static function wp_post( $url, array $headers, $body ) {
		$named = array();
		foreach ( $headers as $header ) {
			list( $name, $value ) = explode( ': ', $header, 2 );
			$named[ $name ]       = $value;
		}
		$response = wp_remote_post(
			$url,
			array(
				'timeout' => self::TIMEOUT,
				'headers' => $named,
				'body'    => $body,
			)
		);
		if ( is_wp_error( $response ) ) {
			return array( 0, '' );
		}
		return array( (int) wp_remote_retrieve_response_code( $response ), (string) wp_remote_retrieve_body( $response ) );
	}
}
