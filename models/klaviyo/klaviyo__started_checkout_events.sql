-- One Started Checkout event per checkout, from the optional checkouts input (empty without it).
-- Klaviyo's convention for the event (value, ItemNames, CheckoutURL, Categories, Items with the
-- Placed Order item keys) and its unique_id ($event_id: the checkout id and when it started, so a
-- checkout started again later is a new event and a rerun is not):
-- https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration
with lines as (
    select * from {{ ref('int_klaviyo__checkout_lines') }}
),

checkouts as (
    select
        lines.checkout_id,
        max(lines.person_id) as person_id,
        max(lines.email) as email,
        max(lines.started_at) as started_at,
        max(lines.currency) as currency,
        max(lines.checkout_url) as checkout_url,
        sum(lines.row_total) as checkout_total,
        {{ klaviyo__order_items('lines') }} as items,
        {{ klaviyo__json_array_agg('lines.product_name', 'lines.line_number') }} as item_names
    from lines
    group by lines.checkout_id
),

checkout_categories as (
    select checkout_id, {{ klaviyo__json_array_agg('category', 'category') }} as categories
    from (
        select distinct checkout_id, category
        from lines
        where category is not null
    ) as distinct_categories
    group by checkout_id
),

final as (
    select
        checkouts.checkout_id || '_'
            || cast({{ dbt.datediff("cast('1970-01-01' as " ~ dbt.type_timestamp() ~ ")", 'checkouts.started_at', 'second') }} as {{ dbt.type_string() }})
            as event_id,
        checkouts.checkout_id,
        checkouts.email,
        checkouts.person_id as external_id,
        checkouts.started_at,
        cast(checkouts.checkout_total as double) as value,
        checkouts.currency as value_currency,
        {{ klaviyo__json_text(klaviyo__json_object([
            ['CheckoutURL', 'checkouts.checkout_url'],
            ['ItemNames', 'checkouts.item_names'],
            ['Categories', 'checkout_categories.categories'],
            ['Items', 'checkouts.items'],
        ])) }} as properties
    from checkouts
    left join checkout_categories on checkout_categories.checkout_id = checkouts.checkout_id
)

select * from final
