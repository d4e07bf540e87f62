{{ config(enabled=var('klaviyo__using_webhooks', false)) }}
-- The events Klaviyo delivered by system webhook, one row per webhook and event, with the fields of
-- the payload (Get Event's shape, docs/webhooks.md#what-a-delivery-looks-like) read out.
with source as (
    select * from {{ source('klaviyo_source', 'webhook_events') }}
),

final as (
    select
        -- key
        webhook_id,
        external_id as klaviyo_event_id,

        -- what happened
        topic,
        {{ klaviyo_runner.klaviyo__json_extract_text('payload_json', 'data.relationships.metric.data.id') }}
            as klaviyo_metric_id,
        {{ klaviyo_runner.klaviyo__json_extract_text('payload_json', 'data.relationships.profile.data.id') }}
            as klaviyo_profile_id,
        {{ klaviyo_runner.klaviyo__parse_timestamp(
            klaviyo_runner.klaviyo__json_extract_text('payload_json', 'data.attributes.datetime')
        ) }} as occurred_at,
        payload_json,

        -- when it reached us
        {{ klaviyo_runner.klaviyo__parse_timestamp('received_at') }} as received_at
    from source
)

select * from final
