<?php
// Heading
$_['heading_title']           = 'Crypto Checkout';

// Text
$_['text_extension']          = 'Extensions';
$_['text_success']            = 'Success: You have modified Crypto Checkout!';
$_['text_edit']               = 'Edit Crypto Checkout';
$_['text_shim']               = 'Give the shim these two addresses of your shop and the same shared secret.';

// Entry
$_['entry_status']            = 'Status';
$_['entry_title']             = 'Title at checkout';
$_['entry_shim_url']          = 'Shim URL';
$_['entry_shop_token']        = 'Shop token';
$_['entry_secret']            = 'Shared secret';
$_['entry_hosted']            = 'Pay page';
$_['entry_order_url']         = 'Order info URL';
$_['entry_callback_url']      = 'Callback URL';
$_['entry_status_pending']    = 'Awaiting payment status';
$_['entry_status_confirming'] = 'Confirming status';
$_['entry_status_underpaid']  = 'Underpaid status (closed short: do not ship)';
$_['entry_status_paid']       = 'Paid status';
$_['entry_status_complete']   = 'Complete status';
$_['entry_status_canceled']   = 'Canceled status';
$_['entry_status_expired']    = 'Expired status';
$_['entry_status_failed']     = 'Failed status';
$_['entry_status_refunded']   = 'Refunded status';
$_['entry_sort_order']        = 'Sort Order';

// Help
$_['help_title']              = 'Leave empty for "Cryptocurrency".';
$_['help_shim_url']           = 'The address of your checkout shim, e.g. https://pay.my-shop.example';
$_['help_shop_token']         = 'The shop token the shim gave you (shk_...). Once saved it is not shown again: leave the field empty to keep it.';
$_['help_secret']             = 'Signs the shim\'s requests to your shop. Use the same value on the shim\'s side; at least 16 characters.';
$_['help_hosted']             = 'Where the customer pays after confirming the order.';

// Option
$_['text_hosted_0']           = 'A page of this shop with the payment widget';
$_['text_hosted_1']           = 'The shim\'s own pay page';

// Error
$_['error_permission']        = 'Warning: You do not have permission to modify payment Crypto Checkout!';
$_['error_warning']           = 'Warning: Please check the form carefully for errors!';
$_['error_shim_url']          = 'The shim URL must start with https:// (or http://).';
$_['error_shop_token']        = 'The shop token is required.';
$_['error_secret']            = 'The shared secret must be at least 16 characters long.';
