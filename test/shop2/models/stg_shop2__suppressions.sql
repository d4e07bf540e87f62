-- Klaviyo's consent and suppression state, as `klaviyo-runner extract` brought it back.
with source as (
    select * from {{ ref('klaviyo_suppressions') }}
),

final as (
    select
        email,
        upper(email_consent) as email_consent,
        cast(is_suppressed as boolean) as is_suppressed
    from source
)

select * from final
