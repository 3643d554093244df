{extends file='page.tpl'}
{block name='page_content'}
  {if $crypto_error}
    <p class="alert alert-danger">{$crypto_error|escape:'html':'UTF-8'}</p>
    <p><a href="">{l s='Try again' mod='cryptocheckout'}</a></p>
  {else}
    <div id="crypto-checkout-widget"></div>
    <script src="{$crypto_shim|escape:'html':'UTF-8'}/widget/embed.js"
            data-invoice="{$crypto_invoice|escape:'html':'UTF-8'}"
            data-api-base="{$crypto_shim|escape:'html':'UTF-8'}"
            data-target="crypto-checkout-widget"
            data-locale="{$crypto_locale|escape:'html':'UTF-8'}" async></script>
  {/if}
{/block}
