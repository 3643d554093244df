<?php
// Text
$_['text_title']       = 'Cryptocurrency';
$_['heading_title']    = 'Pay with cryptocurrency';
$_['text_instruction'] = 'After you confirm the order, you pay for it in cryptocurrency. The order updates itself when the payment arrives.';
$_['text_loading']     = 'Loading...';
$_['text_comment']     = 'Awaiting crypto payment (invoice %s)';
$_['text_invalid']     = 'This payment link is not valid. Please open it again from your order.';

// Button
$_['button_confirm']   = 'Confirm Order';

// Error
$_['error_order']      = 'Your order could not be found. Please go through the checkout again.';
