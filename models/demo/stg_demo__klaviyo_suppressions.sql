-- Klaviyo's suppression and consent export for the demo account (what `klaviyo-runner extract` brings back).
with source as (
    select * from {{ ref('demo_klaviyo_suppressions') }}
),

final as (
    select
        lower(trim(email)) as email,
        upper(email_consent) as email_consent,
        cast(is_suppressed as boolean) as is_suppressed,
        suppression_reason,
        cast(updated_at as timestamp) as updated_at
    from source
)

select * from final
