{{ config(enabled=var('klaviyo__using_extract', false)) }}
-- Klaviyo's profiles as `extract` brought them back, typed: one row per Klaviyo profile id.
with source as (
    select * from {{ source('klaviyo_source', 'profiles') }}
),

final as (
    select
        -- identity
        id as klaviyo_profile_id,
        {{ klaviyo_runner.klaviyo__normalize_email('email') }} as email,
        phone_number,
        external_id,

        -- attributes
        first_name,
        last_name,
        properties_json,

        -- consent and suppression
        upper(coalesce(email_consent, 'NEVER_SUBSCRIBED')) as email_consent,
        coalesce(is_suppressed, false) as is_suppressed,
        suppression_reason,

        -- times
        {{ klaviyo_runner.klaviyo__parse_timestamp('created') }} as created_at,
        {{ klaviyo_runner.klaviyo__parse_timestamp('updated') }} as updated_at
    from source
)

select * from final
