-- One Added to Cart event per added_to_cart row of the optional web events input (empty without
-- it). Klaviyo's convention: the added item as AddedItem* properties, and the cart as it is after
-- the add as ItemNames, Items and value, with CheckoutURL:
-- https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration
-- The cart is every add with the same cart_id up to this one (by time, then event id) whose price
-- and quantity could be read (a negative quantity is none); an add without a cart_id is a cart of
-- its own. Adds left out (no identifier, an invalid email, a price or quantity that is not a
-- number, a time that is not a time) are in klaviyo__rejected_rows.
with all_adds as (
    select * from {{ ref('int_klaviyo__web_events') }}
    where event_type = 'added_to_cart'
),

adds as (
    select * from all_adds
    where problem_code is null
),

cart_lines as (
    select
        adds.event_id,
        earlier.occurred_at,
        earlier.event_id as line_event_id,
        earlier.sku,
        earlier.product_id,
        earlier.product_name,
        earlier.category,
        earlier.quantity,
        earlier.item_price,
        earlier.row_total,
        earlier.product_url,
        earlier.image_url,
        -- the order of the cart's lines, for the Items and ItemNames arrays
        row_number() over (partition by adds.event_id order by earlier.occurred_at, earlier.event_id) as line_number
    from adds
    inner join all_adds as earlier
        on earlier.event_id = adds.event_id
        or (
            earlier.item_price is not null
            and earlier.quantity >= 0
            and earlier.cart_id = adds.cart_id
            and (earlier.occurred_at < adds.occurred_at
                or (earlier.occurred_at = adds.occurred_at and earlier.event_id < adds.event_id))
        )
),

carts as (
    select
        cart_lines.event_id,
        sum(cart_lines.row_total) as cart_total,
        {{ klaviyo__order_items('cart_lines') }} as items,
        {{ klaviyo__json_array_agg('cart_lines.product_name', 'cart_lines.line_number') }} as item_names
    from cart_lines
    group by cart_lines.event_id
),

final as (
    select
        adds.event_id,
        adds.email,
        adds.person_id as external_id,
        adds.occurred_at,
        cast(carts.cart_total as double) as value,
        adds.currency as value_currency,
        {{ klaviyo__json_text(klaviyo__json_object([
            ['AddedItemProductName', 'adds.product_name'],
            ['AddedItemProductID', 'adds.product_id'],
            ['AddedItemSKU', 'adds.sku'],
            ['AddedItemCategories', klaviyo__json_array_of('adds.category')],
            ['AddedItemImageURL', 'adds.image_url'],
            ['AddedItemURL', 'adds.product_url'],
            ['AddedItemPrice', 'cast(adds.item_price as double)'],
            ['AddedItemQuantity', 'adds.quantity'],
            ['ItemNames', 'carts.item_names'],
            ['CheckoutURL', "'" ~ var('klaviyo__store_url') ~ "/cart'"],
            ['Items', 'carts.items'],
        ])) }} as properties
    from adds
    inner join carts on carts.event_id = adds.event_id
)

select * from final
