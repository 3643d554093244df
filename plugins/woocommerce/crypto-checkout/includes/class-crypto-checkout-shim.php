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
	 * Starts connecting this shop to the shim without copying keys: the shim answers the shop's
	 * `/wc-auth/v1/authorize` URL, where the merchant approves a REST key that WooCommerce then posts
	 * to the shim.
	 *
	 * @param string $site       This shop's URL.
	 * @param string $return_url Where WooCommerce sends the merchant back.
	 * @return string The URL to send the merchant to.
	 * @throws Exception With a message for the merchant.
	 */
	public function connect_url( $site, $return_url ) {
		$response = wp_remote_post(
			$this->url . '/v1/platforms/woocommerce/connect',
			array(
				'timeout' => 20,
				'headers' => array(
					'Authorization' => 'Bearer ' . $this->token,
					'Content-Type'  => 'application/json',
					'Accept'        => 'application/json',
				),
				'body'    => wp_json_encode(
					array(
						'site'       => $site,
						'return_url' => $return_url,
					)
				),
			)
		);
		if ( is_wp_error( $response ) ) {
			throw new Exception( __( 'The shim cannot be reached: check its URL.', 'crypto-checkout' ) );
		}
		$body = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( 200 === (int) wp_remote_retrieve_response_code( $response ) && ! empty( $body['authorize_url'] ) ) {
			return (string) $body['authorize_url'];
		}
		if ( 401 === (int) wp_remote_retrieve_response_code( $response ) ) {
			throw new Exception( __( 'The shim does not know this shop token: check it.', 'crypto-checkout' ) );
		}
		throw new Exception( __( 'The shim refused to connect this shop.', 'crypto-checkout' ) );
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
		$response = wp_remote_post(
			$this->url . '/v1/invoices',
			array(
				'timeout' => 20,
				'headers' => array(
					'Authorization' => 'Bearer ' . $this->token,
					'Content-Type'  => 'application/json',
					'Accept'        => 'application/json',
				),
				'body'    => wp_json_encode( $request ),
			)
		);
		if ( is_wp_error( $response ) ) {
			throw new Exception( __( 'The crypto payment service cannot be reached right now. Please try again in a minute.', 'crypto-checkout' ) );
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		$body   = json_decode( (string) wp_remote_retrieve_body( $response ), true );
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
