-- One row per resolved person: the Klaviyo profile the klaviyo_profiles_rfm sync ships. Unresolved
-- people are not here; they are listed with their reason in klaviyo__rejected_rows.
with persons as (
    select * from {{ ref('int_klaviyo__persons') }}
    where is_resolved
),

rfm as (
    select * from {{ ref('int_klaviyo__rfm') }}
),

phones as (
    select * from {{ ref('int_klaviyo__phones') }}
),

final as (
    select
        -- identity
        persons.person_id,
        persons.email,
        phones.phone_number,
        persons.person_id as external_id,

        -- standard attributes
        persons.first_name,
        persons.last_name,
        persons.address1,
        persons.city,
        persons.region,
        persons.zip,
        persons.country,

        -- custom properties
        rfm.rfm_segment,
        rfm.rfm_score,
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        rfm.predicted_ltv,
        coalesce(rfm.order_count, 0) as order_count,
        coalesce(rfm.lifetime_revenue, 0) as lifetime_revenue,
        rfm.first_order_at,
        rfm.last_order_at
    from persons
    left join rfm on rfm.person_id = persons.person_id
    left join phones on phones.person_id = persons.person_id
)

select * from final
