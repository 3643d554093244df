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
				'description' => sprintf(
					/* translators: %s: link that connects the shop to the shim */
					__( 'After saving the shim URL and the shop token, %s so that orders update themselves (you approve a WooCommerce REST key for the shim).', 'crypto-checkout' ),
					'<a class="button" href="' . esc_url( self::connect_link() ) . '">' . esc_html__( 'connect this shop', 'crypto-checkout' ) . '</a>'
				),
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
	 * `admin-post.php?action=crypto_checkout_connect`: sends the merchant to approve the key.
	 */
	public static function handle_connect() {
		if ( ! current_user_can( 'manage_woocommerce' ) || ! check_admin_referer( 'crypto_checkout_connect' ) ) {
			wp_die( esc_html__( 'You cannot connect this shop.', 'crypto-checkout' ), 403 );
		}
		$settings = admin_url( 'admin.php?page=wc-settings&tab=checkout&section=' . self::ID );
		$gateway  = new self();
		try {
			$url = $gateway->shim()->connect_url( home_url(), $settings );
		} catch ( Exception $e ) {
			WC_Admin_Settings::add_error( $e->getMessage() );
			wp_safe_redirect( $settings );
			exit;
		}
		// The shop's own /wc-auth/v1/authorize page.
		wp_safe_redirect( $url );
		exit;
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
	 */
	public function process_payment( $order_id ) {
		$order = wc_get_order( $order_id );
		if ( ! $order ) {
			wc_add_notice( __( 'The order could not be found.', 'crypto-checkout' ), 'error' );
			return array( 'result' => 'failure' );
		}
		$request = Crypto_Checkout_Shim::invoice_request( $order, wc_get_cart_url(), $this->get_return_url( $order ) );
		try {
			$invoice = $this->shim()->create_invoice( $request );
		} catch ( Exception $e ) {
			wc_add_notice( $e->getMessage(), 'error' );
			return array( 'result' => 'failure' );
		}
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
