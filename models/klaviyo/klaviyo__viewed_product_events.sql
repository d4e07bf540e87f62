-- One Viewed Product event per viewed_product row of the optional web events input (empty without
-- it), with the properties Klaviyo's convention names (ProductName, ProductID, SKU, Categories,
-- ImageURL, URL, Price) and the price as value:
-- https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration
-- event_id is the input's event id, so the unique_id never changes between runs. Views left out
-- (no identifier, an invalid email, a price that is not a number) are in klaviyo__rejected_rows.
with web_events as (
    select * from {{ ref('int_klaviyo__web_events') }}
    where event_type = 'viewed_product' and problem_code is null
),

final as (
    select
        web_events.event_id,
        web_events.email,
        web_events.person_id as external_id,
        web_events.occurred_at,
        cast(web_events.item_price as double) as value,
        web_events.currency as value_currency,
        {{ klaviyo__json_text(klaviyo__json_object([
            ['ProductName', 'web_events.product_name'],
            ['ProductID', 'web_events.product_id'],
            ['SKU', 'web_events.sku'],
            ['Categories', klaviyo__json_array_of('web_events.category')],
            ['ImageURL', 'web_events.image_url'],
            ['URL', 'web_events.product_url'],
            ['Price', 'cast(web_events.item_price as double)'],
        ])) }} as properties
    from web_events
)

select * from final
