-- The shop's own suppression list, kept by its EU office: the flag is text ("no", and a French
-- "oui" the boolean rule refuses, docs/value-rules.md).
select email, consent as email_consent, cast(suppressed as varchar) as is_suppressed
from {{ ref('shop_suppressions') }}
