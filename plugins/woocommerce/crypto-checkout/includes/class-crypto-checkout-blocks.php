<?php
/**
 * The payment method in the block checkout (the Store API then calls `process_payment`).
 *
 * @package CryptoCheckout
 */

defined( 'ABSPATH' ) || exit;

use Automattic\WooCommerce\Blocks\Payments\Integrations\AbstractPaymentMethodType;

/**
 * Crypto checkout for the block checkout.
 */
final class Crypto_Checkout_Blocks extends AbstractPaymentMethodType {

	/**
	 * The payment method's name: the gateway's id.
	 *
	 * @var string
	 */
	protected $name = 'crypto_checkout';

	/**
	 * Reads the gateway's settings.
	 */
	public function initialize() {
		$this->settings = get_option( 'woocommerce_crypto_checkout_settings', array() );
	}

	/**
	 * Whether the method is offered: enabled, and able to reach a shim (as the classic checkout's
	 * `is_available`).
	 *
	 * @return bool
	 */
	public function is_active() {
		$set = function ( $name ) {
			return ! empty( $this->settings[ $name ] ) && '' !== trim( (string) $this->settings[ $name ] );
		};
		return $set( 'enabled' ) && 'yes' === $this->settings['enabled'] && $set( 'shim_url' ) && $set( 'shop_token' );
	}

	/**
	 * The script that registers the method with the checkout block.
	 *
	 * @return string[]
	 */
	public function get_payment_method_script_handles() {
		wp_register_script(
			'crypto-checkout-blocks',
			plugins_url( 'assets/blocks.js', CRYPTO_CHECKOUT_FILE ),
			array( 'wc-blocks-registry', 'wc-settings', 'wp-element', 'wp-html-entities', 'wp-i18n' ),
			CRYPTO_CHECKOUT_VERSION,
			true
		);
		wp_set_script_translations( 'crypto-checkout-blocks', 'crypto-checkout' );
		return array( 'crypto-checkout-blocks' );
	}

	/**
	 * What the script shows.
	 *
	 * @return array
	 */
	public function get_payment_method_data() {
		return array(
			'title'       => isset( $this->settings['title'] ) ? $this->settings['title'] : __( 'Pay with crypto', 'crypto-checkout' ),
			'description' => isset( $this->settings['description'] ) ? $this->settings['description'] : '',
			'supports'    => array( 'products' ),
		);
	}
}
