/* Registers "Pay with crypto" with the checkout block. */
( function () {
	const { registerPaymentMethod } = window.wc.wcBlocksRegistry;
	const { getSetting } = window.wc.wcSettings;
	const { decodeEntities } = window.wp.htmlEntities;
	const { createElement } = window.wp.element;
	const { __ } = window.wp.i18n;
	const settings = getSetting( 'crypto_checkout_data', {} );
	const title = decodeEntities( settings.title || __( 'Pay with crypto', 'crypto-checkout' ) );
	const Content = () => createElement( 'p', null, decodeEntities( settings.description || '' ) );
	registerPaymentMethod( {
		name: 'crypto_checkout',
		label: createElement( 'span', null, title ),
		ariaLabel: title,
		content: createElement( Content ),
		edit: createElement( Content ),
		canMakePayment: () => true,
		supports: { features: settings.supports || [ 'products' ] },
	} );
} )();
