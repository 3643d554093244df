-- A deposit whose webhook and the gateway's own record disagree, or that reached a wallet in
-- another coin or network than the wallet's, is not credited: it waits in review, with why.
ALTER TABLE wallet_deposits ADD COLUMN review_reason TEXT;
