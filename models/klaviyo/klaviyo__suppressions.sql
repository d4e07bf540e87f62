-- Klaviyo's suppression and consent state per email, the input of a sync's `scope`.
with suppressions as (
    select * from {{ ref(var('klaviyo__suppressions_model')) }}
),

final as (
    select
        {{ klaviyo__normalize_email('email') }} as email,
        coalesce(is_suppressed, false) as is_suppressed,
        coalesce(email_consent, 'NEVER_SUBSCRIBED') as email_consent
    from suppressions
)

select * from final
