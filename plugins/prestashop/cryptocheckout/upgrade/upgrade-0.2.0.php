<?php
/**
 * 0.1.0 -> 0.2.0: the shim moves orders through the module's own route (its tables), the
 * underpaid order state, and the order confirmation hook PrestaShop 8 expects.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

function upgrade_module_0_2_0($module)
{
    return $module->installTables()
        && $module->installStates()
        && $module->registerHook('displayPaymentReturn')
        && $module->unregisterHook('paymentReturn');
}
