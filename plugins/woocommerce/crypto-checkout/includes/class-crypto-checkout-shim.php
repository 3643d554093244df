<?php
/**
 * The shim's HTTP API, as the plugin uses it: create an invoice for an order.
 *
 * @package CryptoCheckout
 */

defined( 'ABSPATH' ) || exit;

/**
 * A client of the checkout kit's shim.
 */
class Crypto_Checkout_Shim {

	/**
	 * Seconds to wait for the shim.
	 */
	const TIMEOUT = 25;

	/**
	 * The shim's URL, without a trailing slash.
	 *
	 * @var string
	 */
	private $url;

	/**
	 * The shop's API token from `server-shim shops add`.
	 *
	 * @var string
	 */
	private $token;

	/**
	 * A client of the shim at `$url` with the shop token `$token`.
	 *
	 * @param string $url   The shim's URL.
	 * @param string $token The shop token.
	 */
	public function __construct( $url, $token ) {
		$this->url   = untrailingslashit( (string) $url );
		$this->token = (string) $token;
	}

	/**
	 * The shim's URL.
	 *
	 * @return string
	 */
	public function url() {
		return $this->url;
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
		return array(
			'order_id'           => (string) $order->get_id(),
			'amount'             => wc_format_decimal( $order->get_total(), wc_get_price_decimals() ),
			'currency'           => $order->get_currency(),
			'platform_order_ref' => (string) $order->get_id(),
			'url_return'         => $url_return,
			'url_success'        => $url_success,
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
		list( $status, $body ) = $this->post(
			'/v1/platforms/woocommerce/connect',
			array(
				'site'   => $site,
				'secret' => $secret,
			),
			__( 'The shim cannot be reached: check its URL.', 'crypto-checkout' )
		);
		if ( 200 === $status && ! empty( $body['connected'] ) ) {
			return $body;
		}
		if ( 401 === $status ) {
			throw new Exception( __( 'The shim does not know this shop token: check it.', 'crypto-checkout' ) );
		}
		$said = is_array( $body ) && isset( $body['error']['message'] ) ? (string) $body['error']['message'] : '';
		/* translators: %s: what the shim said */
		throw new Exception( sprintf( __( 'The shim could not connect this shop: %s', 'crypto-checkout' ), '' !== $said ? $said : 'HTTP ' . $status ) );
	}

	/**
	 * Posts `$body` to the shim's `$path` with the shop token; [status, decoded answer].
	 *
	 * @param string $path        The API path.
	 * @param array  $body        The JSON body.
	 * @param string $unreachable The message when the shim cannot be reached.
	 * @return array
	 * @throws Exception With `$unreachable`.
	 */
	private function post( $path, array $body, $unreachable ) {
		$response = wp_remote_post(
			$this->url . $path,
			array(
				// Longer than the shim waits for this shop (8 s) and for the gateway (10 s), so the
				// shim's own words reach the payer when either is slow.
				'timeout' => self::TIMEOUT,
				'headers' => array(
					'Authorization' => 'Bearer ' . $this->token,
					'Content-Type'  => 'application/json',
					'Accept'        => 'application/json',
				),
				'body'    => wp_json_encode( $body ),
			)
		);
		if ( is_wp_error( $response ) ) {
			throw new Exception( $unreachable );
		}
		return array(
			(int) wp_remote_retrieve_response_code( $response ),
			json_decode( (string) wp_remote_retrieve_body( $response ), true ),
		);
	}

	/**
	 * Creates (or, for the same order, returns) the invoice. The shim is idempotent per order, so
	 * a payer who reloads or comes back gets the same invoice.
	 *
	 * @param array $request From `invoice_request`.
	 * @return array The invoice (`id`, `pay_url`, ...).
	 * @throws Exception With a message for the payer when the shim refuses or cannot be reached.
	 */
	public function create_invoice( array $request ) {
		list( $status, $body ) = $this->post(
			'/v1/invoices',
			$request,
			__( 'The crypto payment service cannot be reached right now. Please try again in a minute.', 'crypto-checkout' )
		);
		if ( ( 200 === $status || 201 === $status ) && is_array( $body ) && ! empty( $body['id'] ) ) {
			return $body;
		}
		$message = is_array( $body ) && isset( $body['error']['message'] ) ? (string) $body['error']['message'] : '';
		if ( function_exists( 'wc_get_logger' ) ) {
			wc_get_logger()->warning( sprintf( 'Crypto checkout: the shim answered %d: %s', $status, $message ), array( 'source' => 'crypto-checkout' ) );
		}
		if ( $status >= 500 ) {
			throw new Exception( __( 'The crypto payment service is busy. Please try again in a minute.', 'crypto-checkout' ) );
		}
		throw new Exception( __( 'This order cannot be paid in crypto. Please choose another payment method or contact us.', 'crypto-checkout' ) );
	}
}
