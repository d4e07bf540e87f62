-- One Started Checkout event per checkout that can be sent, from the optional checkouts input
-- (empty without it). Klaviyo's convention for the event: value, ItemNames, CheckoutURL,
-- Categories and Items with the Placed Order item keys
-- (https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration).
-- Checkouts left out (no identifier, an invalid email, lines that cannot be sent) are in
-- klaviyo__rejected_rows.
with checkouts as (
    select * from {{ ref('int_klaviyo__checkouts') }}
    where problem_code is null
),

lines as (
    select * from {{ ref('int_klaviyo__checkout_lines') }}
),

checkout_items as (
    select
        lines.checkout_id,
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
        checkouts.event_id,
        checkouts.checkout_id,
        checkouts.email,
        checkouts.person_id as external_id,
        checkouts.started_at,
        cast(checkouts.checkout_total as double) as value,
        checkouts.currency as value_currency,
        {{ klaviyo__json_text(klaviyo__json_object([
            ['CheckoutURL', 'checkouts.checkout_url'],
            ['ItemNames', 'checkout_items.item_names'],
            ['Categories', 'checkout_categories.categories'],
            ['Items', 'checkout_items.items'],
        ])) }} as properties
    from checkouts
    inner join checkout_items on checkout_items.checkout_id = checkouts.checkout_id
    left join checkout_categories on checkout_categories.checkout_id = checkouts.checkout_id
)

select * from final
