<?php
/**
 * Plugin Name:          Crypto Checkout for WooCommerce
 * Plugin URI:           https://github.com/crypto-checkout-kit/crypto-checkout-kit
 * Description:          Take cryptocurrency payments through Cryptomus, with the checkout kit's shim and widget: the payer pays on your own order page, and orders update themselves.
 * Version:              0.2.0
 * Requires at least:    6.3
 * Requires PHP:         7.4
 * WC requires at least: 8.0
 * WC tested up to:      9.4
 * Author:               Crypto checkout kit
 * License:              MIT
 * Text Domain:          crypto-checkout
 * Domain Path:          /languages
 *
 * @package CryptoCheckout
 */

defined( 'ABSPATH' ) || exit;

define( 'CRYPTO_CHECKOUT_VERSION', '0.2.0' );
define( 'CRYPTO_CHECKOUT_FILE', __FILE__ );

/**
 * Declares compatibility with High-Performance Order Storage and the block checkout.
 */
add_action(
	'before_woocommerce_init',
	static function () {
		if ( class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', CRYPTO_CHECKOUT_FILE, true );
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'cart_checkout_blocks', CRYPTO_CHECKOUT_FILE, true );
		}
	}
);

/**
 * Loads the gateway once WooCommerce is there.
 */
add_action(
	'plugins_loaded',
	static function () {
		if ( ! class_exists( 'WC_Payment_Gateway' ) ) {
			return;
		}
		load_plugin_textdomain( 'crypto-checkout', false, dirname( plugin_basename( CRYPTO_CHECKOUT_FILE ) ) . '/languages' );
		require_once __DIR__ . '/includes/class-crypto-checkout-shim.php';
		require_once __DIR__ . '/includes/class-wc-gateway-crypto-checkout.php';
		require_once __DIR__ . '/includes/class-crypto-checkout-route.php';
		add_action( 'admin_post_crypto_checkout_connect', array( 'WC_Gateway_Crypto_Checkout', 'handle_connect' ) );
		// The shim's route: /?wc-api=crypto_checkout, whatever the permalinks.
		add_action( 'woocommerce_api_crypto_checkout', array( 'Crypto_Checkout_Route', 'handle' ) );
		// A crypto order held while its payment confirms, or partly paid, can still be paid: the
		// order-pay page keeps showing the widget (WooCommerce only lets pending and failed orders
		// be paid), and payment_complete() also accepts the merchant's underpaid status.
		add_filter( 'woocommerce_valid_order_statuses_for_payment', array( 'WC_Gateway_Crypto_Checkout', 'payable_statuses' ), 10, 2 );
		add_filter( 'woocommerce_valid_order_statuses_for_payment_complete', array( 'WC_Gateway_Crypto_Checkout', 'completable_statuses' ), 10, 2 );
		add_filter(
			'woocommerce_payment_gateways',
			static function ( $gateways ) {
				$gateways[] = 'WC_Gateway_Crypto_Checkout';
				return $gateways;
			}
		);
	}
);

/**
 * Registers the payment method with the block checkout.
 */
add_action(
	'woocommerce_blocks_loaded',
	static function () {
		if ( ! class_exists( \Automattic\WooCommerce\Blocks\Payments\Integrations\AbstractPaymentMethodType::class ) ) {
			return;
		}
		require_once __DIR__ . '/includes/class-crypto-checkout-blocks.php';
		add_action(
			'woocommerce_blocks_payment_method_type_registration',
			static function ( $registry ) {
				$registry->register( new Crypto_Checkout_Blocks() );
			}
		);
	}
);
