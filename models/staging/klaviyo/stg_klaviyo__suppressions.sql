{{ config(enabled=var('klaviyo__using_extract', false)) }}
-- Klaviyo's own suppression and consent state per email, in the shape of the package's
-- suppressions input: point `klaviyo__suppressions_model` at this model and a sync's `scope` reads
-- what Klaviyo holds instead of a hand-made export (docs/dbt.md#klaviyo-sources).
with profiles as (
    select * from {{ ref('stg_klaviyo__profiles') }}
    where email is not null
),

-- Klaviyo keeps one profile per email; should two rows ever carry one, the newest wins.
ranked as (
    select
        profiles.*,
        row_number() over (
            partition by email order by updated_at desc nulls last, klaviyo_profile_id asc
        ) as recency_rank
    from profiles
),

final as (
    select
        email,
        email_consent,
        is_suppressed,
        suppression_reason,
        updated_at
    from ranked
    where recency_rank = 1
)

select * from final
