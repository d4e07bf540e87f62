{{ config(enabled=var('klaviyo__using_extract', false)) }}
-- Klaviyo's events as `extract` brought them back, with their metric's name.
with events as (
    select * from {{ source('klaviyo_source', 'events') }}
),

metrics as (
    select * from {{ source('klaviyo_source', 'metrics') }}
),

final as (
    select
        events.id as klaviyo_event_id,
        events.metric_id as klaviyo_metric_id,
        metrics.name as metric_name,
        events.profile_id as klaviyo_profile_id,
        {{ klaviyo_runner.klaviyo__parse_timestamp('events.datetime') }} as occurred_at,
        events.value,
        events.properties_json
    from events
    left join metrics on events.metric_id = metrics.id
)

select * from final
