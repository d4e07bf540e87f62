-- Members of the Winback list: profiles whose RFM segment is at_risk or hibernating, minus those
-- Klaviyo has suppressed. Keyed like klaviyo__profiles, so the list sync can run after the profile
-- sync and use the profile ids Klaviyo confirmed.
with profiles as (
    select * from {{ ref('klaviyo__profiles') }}
),

suppressions as (
    select * from {{ ref('klaviyo__suppressions') }}
),

final as (
    select
        profiles.person_id,
        profiles.email,
        profiles.external_id,
        profiles.rfm_segment
    from profiles
    left join suppressions on suppressions.email = profiles.email
    where profiles.rfm_segment in ('at_risk', 'hibernating')
        and not coalesce(suppressions.is_suppressed, false)
)

select * from final
