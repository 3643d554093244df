<?php
/**
 * The payment gateway: settings, the invoice at checkout, and the widget on the order-pay page.
 *
 * @package CryptoCheckout
 */

defined( 'ABSPATH' ) || exit;

/**
 * Pay with crypto through the checkout kit's shim.
 */
class WC_Gateway_Crypto_Checkout extends WC_Payment_Gateway {

	/**
	 * The gateway's id.
	 */
	const ID = 'crypto_checkout';

	/**
	 * Meta key of the shim's invoice id on the order.
	 */
	const INVOICE_META = '_crypto_checkout_invoice';

	/**
	 * Sets up the gateway and its settings.
	 */
	public function __construct() {
		$this->id                 = self::ID;
		$this->has_fields         = false;
		$this->method_title       = __( 'Crypto (Cryptomus)', 'crypto-checkout' );
		$this->method_description = __( 'Customers pay in cryptocurrency on your own order page; orders update themselves when the payment arrives.', 'crypto-checkout' );
		$this->supports           = array( 'products' );
		$this->init_form_fields();
		$this->init_settings();
		$this->title       = $this->get_option( 'title' );
		$this->description = $this->get_option( 'description' );
		add_action( 'woocommerce_update_options_payment_gateways_' . $this->id, array( $this, 'process_admin_options' ) );
		add_action( 'woocommerce_receipt_' . $this->id, array( $this, 'receipt_page' ) );
	}

	/**
	 * The settings form.
	 */
	public function init_form_fields() {
		$this->form_fields = array(
			'enabled'     => array(
				'title'   => __( 'Enable', 'crypto-checkout' ),
				'type'    => 'checkbox',
				'label'   => __( 'Accept crypto payments', 'crypto-checkout' ),
				'default' => 'no',
			),
			'title'       => array(
				'title'   => __( 'Title', 'crypto-checkout' ),
				'type'    => 'text',
				'default' => __( 'Pay with crypto', 'crypto-checkout' ),
			),
			'description' => array(
				'title'   => __( 'Description', 'crypto-checkout' ),
				'type'    => 'textarea',
				'default' => __( 'Pay with Bitcoin, USDT and other coins. You will see the address and a QR code on the next page.', 'crypto-checkout' ),
			),
			'shim_url'    => array(
				'title'       => __( 'Shim URL', 'crypto-checkout' ),
				'type'        => 'url',
				'description' => __( 'Where your checkout kit shim runs, for example https://pay.my-shop.example', 'crypto-checkout' ),
				'default'     => '',
			),
			'shop_token'  => array(
				'title'       => __( 'Shop token', 'crypto-checkout' ),
				'type'        => 'password',
				'description' => __( 'The token `server-shim shops add` printed for this shop.', 'crypto-checkout' ),
				'default'     => '',
			),
			'connect'     => array(
				'title'       => __( 'Connection', 'crypto-checkout' ),
				'type'        => 'title',
				'description' => self::connection_text() . ' ' . sprintf(
					/* translators: %s: button that connects the shop to the shim */
					__( 'After saving the shim URL and the shop token, %s so that orders update themselves: the shim and this shop agree on a secret, and the shim checks that it can reach the shop with it.', 'crypto-checkout' ),
					'<a class="button" href="' . esc_url( self::connect_link() ) . '">' . esc_html__( 'connect this shop', 'crypto-checkout' ) . '</a>'
				),
			),
			'underpaid_status' => array(
				'title'       => __( 'Status of underpaid orders', 'crypto-checkout' ),
				'type'        => 'select',
				'description' => __( 'When a crypto payment closes short of the total, or needs a look, the order gets this status and a note. Pick one that does not mean "ship it".', 'crypto-checkout' ),
				'options'     => self::status_options(),
				'default'     => 'on-hold',
			),
			'display'     => array(
				'title'   => __( 'Payment page', 'crypto-checkout' ),
				'type'    => 'select',
				'options' => array(
					'embedded' => __( 'The widget on your order page', 'crypto-checkout' ),
					'hosted'   => __( "The shim's hosted pay page", 'crypto-checkout' ),
				),
				'default' => 'embedded',
			),
		);
	}

	/**
	 * The admin link that starts connecting the shop (with a nonce).
	 *
	 * @return string
	 */
	public static function connect_link() {
		if ( ! function_exists( 'admin_url' ) || ! function_exists( 'wp_nonce_url' ) ) {
			return '';
		}
		return wp_nonce_url( admin_url( 'admin-post.php?action=crypto_checkout_connect' ), 'crypto_checkout_connect' );
	}

	/**
	 * `admin-post.php?action=crypto_checkout_connect`: gives the shim this shop's route and the
	 * secret they share, and comes back to the settings with what happened.
	 */
	public static function handle_connect() {
		if ( ! current_user_can( 'manage_woocommerce' ) || ! check_admin_referer( 'crypto_checkout_connect' ) ) {
			wp_die( esc_html__( 'You cannot connect this shop.', 'crypto-checkout' ), 403 );
		}
		$gateway = new self();
		try {
			$answer = $gateway->shim()->connect( home_url(), Crypto_Checkout_Route::secret() );
			update_option(
				'crypto_checkout_connected',
				array(
					'at'          => time(),
					'shim'        => $gateway->shim()->url(),
					'platform' => isset( $answer['platform'] ) ? (string) $answer['platform'] : '',
				),
				false
			);
			$notice = array( 'success', __( 'Connected: the shim reached this shop, and orders will update themselves.', 'crypto-checkout' ) );
		} catch ( Exception $e ) {
			$notice = array( 'error', $e->getMessage() );
		}
		set_transient( 'crypto_checkout_connect_notice_' . get_current_user_id(), $notice, 300 );
		wp_safe_redirect( admin_url( 'admin.php?page=wc-settings&tab=checkout&section=' . self::ID ) );
		exit;
	}

	/**
	 * Where the connection stands, and what the last "connect this shop" said, for the settings.
	 *
	 * @return string HTML.
	 */
	private static function connection_text() {
		if ( ! function_exists( 'get_option' ) ) {
			return '';
		}
		$html   = '';
		$notice = function_exists( 'get_current_user_id' ) ? get_transient( 'crypto_checkout_connect_notice_' . get_current_user_id() ) : false;
		if ( is_array( $notice ) && 2 === count( $notice ) ) {
			delete_transient( 'crypto_checkout_connect_notice_' . get_current_user_id() );
			$html .= sprintf( '<span class="crypto-checkout-%1$s" role="status"><strong>%2$s</strong></span> ', esc_attr( $notice[0] ), esc_html( $notice[1] ) );
		}
		$connected = get_option( 'crypto_checkout_connected' );
		if ( is_array( $connected ) && ! empty( $connected['at'] ) ) {
			$html .= esc_html(
				sprintf(
					/* translators: 1: the shim's URL, 2: a date */
					__( 'Connected to %1$s on %2$s.', 'crypto-checkout' ),
					$connected['shim'],
					date_i18n( get_option( 'date_format' ), (int) $connected['at'] )
				)
			);
		} else {
			$html .= esc_html__( 'Not connected yet.', 'crypto-checkout' );
		}
		return $html;
	}

	/**
	 * The order statuses a merchant can pick for underpaid orders, without the wc- prefix.
	 *
	 * @return array
	 */
	private static function status_options() {
		$options = array();
		if ( function_exists( 'wc_get_order_statuses' ) ) {
			foreach ( wc_get_order_statuses() as $status => $label ) {
				$status = 'wc-' === substr( $status, 0, 3 ) ? substr( $status, 3 ) : $status;
				if ( ! in_array( $status, array( 'pending', 'processing', 'completed', 'cancelled', 'refunded', 'failed', 'checkout-draft' ), true ) ) {
					$options[ $status ] = $label;
				}
			}
		}
		return $options ? $options : array( 'on-hold' => __( 'On hold', 'crypto-checkout' ) );
	}

	/**
	 * The status the merchant picked for underpaid orders (without the wc- prefix).
	 *
	 * @return string
	 */
	public static function underpaid_status() {
		$settings = get_option( 'woocommerce_' . self::ID . '_settings', array() );
		$status   = is_array( $settings ) && ! empty( $settings['underpaid_status'] ) ? (string) $settings['underpaid_status'] : 'on-hold';
		return 'wc-' === substr( $status, 0, 3 ) ? substr( $status, 3 ) : $status;
	}

	/**
	 * `woocommerce_valid_order_statuses_for_payment`: a crypto order on hold can still be paid
	 * (its payment is confirming, or partly made): the order-pay page keeps the widget.
	 *
	 * @param string[]      $statuses WooCommerce's list (pending, failed).
	 * @param WC_Order|null $order    The order.
	 * @return string[]
	 */
	public static function payable_statuses( $statuses, $order = null ) {
		if ( is_object( $order ) && method_exists( $order, 'get_payment_method' ) && self::ID === $order->get_payment_method() ) {
			$statuses[] = 'on-hold';
		}
		return $statuses;
	}

	/**
	 * `woocommerce_valid_order_statuses_for_payment_complete`: a crypto order in the merchant's
	 * underpaid status can still be completed (a late top-up the gateway accepts).
	 *
	 * @param string[]      $statuses WooCommerce's list (on-hold, pending, failed, cancelled).
	 * @param WC_Order|null $order    The order.
	 * @return string[]
	 */
	public static function completable_statuses( $statuses, $order = null ) {
		if ( is_object( $order ) && method_exists( $order, 'get_payment_method' ) && self::ID === $order->get_payment_method() ) {
			$statuses[] = self::underpaid_status();
		}
		return $statuses;
	}

	/**
	 * Password fields (the shop token): a saved value is never written back into the page; the
	 * field shows empty, saying that a value is saved.
	 *
	 * @param string $key  The field's key.
	 * @param array  $data The field.
	 * @return string HTML.
	 */
	public function generate_password_html( $key, $data ) {
		$saved = (string) $this->get_option( $key );
		if ( '' !== $saved ) {
			$data['placeholder'] = __( 'Saved: leave empty to keep it', 'crypto-checkout' );
		}
		$this->settings[ $key ] = '';
		$html                   = parent::generate_password_html( $key, $data );
		$this->settings[ $key ] = $saved;
		return $html;
	}

	/**
	 * A password field saved empty keeps the saved value (the page never showed it).
	 *
	 * @param string      $key   The field's key.
	 * @param string|null $value What was posted.
	 * @return string
	 */
	public function validate_password_field( $key, $value ) {
		$value = is_null( $value ) ? '' : trim( stripslashes( (string) $value ) );
		return '' === $value ? (string) $this->get_option( $key ) : $value;
	}

	/**
	 * Offered only once it can reach a shim.
	 *
	 * @return bool
	 */
	public function is_available() {
		return parent::is_available() && '' !== $this->get_option( 'shim_url' ) && '' !== $this->get_option( 'shop_token' );
	}

	/**
	 * The shim client with the saved settings.
	 *
	 * @return Crypto_Checkout_Shim
	 */
	protected function shim() {
		return new Crypto_Checkout_Shim( $this->get_option( 'shim_url' ), $this->get_option( 'shop_token' ) );
	}

	/**
	 * Creates the invoice through the shim and sends the payer to pay it.
	 *
	 * @param int $order_id The order.
	 * @return array
	 * @throws Exception With a message for the payer when no invoice can be made.
	 */
	public function process_payment( $order_id ) {
		$order = wc_get_order( $order_id );
		if ( ! $order ) {
			throw new Exception( esc_html__( 'The order could not be found.', 'crypto-checkout' ) );
		}
		$request = Crypto_Checkout_Shim::invoice_request( $order, wc_get_cart_url(), $this->get_return_url( $order ) );
		// A refusal is thrown, not returned: the classic checkout and the block checkout (Store
		// API) both show a thrown message to the payer, while the block checkout drops notices.
		$invoice = $this->shim()->create_invoice( $request );
		$order->update_meta_data( self::INVOICE_META, sanitize_text_field( $invoice['id'] ) );
		$order->save();
		$hosted   = 'hosted' === $this->get_option( 'display' ) && ! empty( $invoice['pay_url'] );
		$redirect = $hosted ? esc_url_raw( $invoice['pay_url'] ) : $order->get_checkout_payment_url( true );
		return array(
			'result'   => 'success',
			'redirect' => $redirect,
		);
	}

	/**
	 * The order-pay page: the widget, mounted from the shim.
	 *
	 * @param int $order_id The order.
	 */
	public function receipt_page( $order_id ) {
		$order   = wc_get_order( $order_id );
		$invoice = $order ? (string) $order->get_meta( self::INVOICE_META ) : '';
		if ( '' === $invoice ) {
			echo '<p>' . esc_html__( 'This order has no crypto invoice yet. Please go back to the checkout.', 'crypto-checkout' ) . '</p>';
			return;
		}
		$shim = $this->shim()->url();
		printf(
			'<div id="crypto-checkout-widget"></div><script src="%1$s" data-invoice="%2$s" data-api-base="%3$s" data-target="crypto-checkout-widget" data-locale="%4$s" async></script>',
			esc_url( $shim . '/widget/embed.js' ),
			esc_attr( $invoice ),
			esc_url( $shim ),
			esc_attr( str_replace( '_', '-', determine_locale() ) )
		);
	}
}
