<?php
/**
 * The shim's route into the shop (see classes/CryptoCheckoutRoute.php): JSON in, JSON out, no
 * page, no session, and answered even while the shop is in maintenance.
 */
class CryptoCheckoutShimModuleFrontController extends ModuleFrontController
{
    /** @var bool No page around the answer. */
    public $ajax = true;

    /** @var bool The shim is no customer. */
    public $auth = false;

    /** @var bool */
    public $guestAllowed = true;

    /**
     * Payments keep settling while the shop is closed for maintenance.
     */
    protected function displayMaintenancePage()
    {
    }

    public function postProcess()
    {
        $header = function ($name) {
            $key = 'HTTP_' . strtoupper(str_replace('-', '_', $name));

            return isset($_SERVER[$key]) ? (string) $_SERVER[$key] : '';
        };
        list($status, $body) = CryptoCheckoutRoute::handle(
            $this->module,
            isset($_SERVER['REQUEST_METHOD']) ? (string) $_SERVER['REQUEST_METHOD'] : '',
            $header,
            (string) file_get_contents('php://input')
        );
        http_response_code($status);
        header('Content-Type: application/json; charset=utf-8');
        header('Cache-Control: no-store');
        echo json_encode($body);
        exit;
    }
}
