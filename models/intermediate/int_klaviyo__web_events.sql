-- Web events (viewed_product, added_to_cart) from the optional web events input (var
-- klaviyo__web_events_model; empty when the project has none): one row per event_id, with the
-- parsed price, product URLs, the person (macros/klaviyo__web_person.sql), and why the
-- event cannot be sent (`problem_code`, `problem`). An export that lists an event twice keeps one
-- copy (by a fixed order, so a rebuild keeps the same one) and says how many it had.
with source_events as (
    {{ klaviyo__optional_input('klaviyo__web_events_model', [
        ['event_id', dbt.type_string()],
        ['event_type', dbt.type_string()],
        ['occurred_at', dbt.type_timestamp()],
        ['customer_id', dbt.type_string()],
        ['email', dbt.type_string()],
        ['cart_id', dbt.type_string()],
        ['sku', dbt.type_string()],
        ['product_id', dbt.type_string()],
        ['product_name', dbt.type_string()],
        ['category', dbt.type_string()],
        ['price', dbt.type_string()],
        ['quantity', dbt.type_int()],
        ['currency', dbt.type_string()],
    ]) }}
),

{{ klaviyo__web_person_ctes() }},

ranked as (
    select
        source_events.*,
        count(*) over (partition by event_id) as copies,
        row_number() over (
            partition by event_id
            order by occurred_at, event_type, sku, customer_id, email, cart_id, price, quantity
        ) as copy_rank
    from source_events
),

parsed as (
    select
        ranked.*,
        lower(trim(ranked.event_type)) as normalized_type,
        {{ klaviyo__normalize_email('ranked.email') }} as typed_email,
        {{ klaviyo__parse_money('ranked.price', klaviyo__input_decimal('web_events'), 'ranked.currency') }} as item_price,
        {{ klaviyo__money_problem('ranked.price', klaviyo__input_decimal('web_events'), 'ranked.currency') }} as price_problem
    from ranked
    where copy_rank = 1
),

attributed as (
    {{ klaviyo__web_person_candidate('parsed') }}
),

final as (
    select
        attributed.event_id,
        attributed.normalized_type as event_type,
        persons.person_id,
        coalesce(persons.email, attributed.typed_email) as email,
        attributed.occurred_at,
        attributed.cart_id,
        coalesce(nullif(upper(attributed.currency), ''), '{{ var("klaviyo__default_currency") }}') as currency,
        attributed.sku,
        attributed.product_id,
        attributed.product_name,
        attributed.category,
        coalesce(attributed.quantity, 1) as quantity,
        attributed.item_price,
        attributed.item_price * coalesce(attributed.quantity, 1) as row_total,
        '{{ var("klaviyo__store_url") }}/products/' || lower(attributed.product_id) as product_url,
        '{{ var("klaviyo__store_url") }}/images/' || lower(attributed.sku) || '.jpg' as image_url,
        attributed.copies,
        case
            when attributed.occurred_at is null then 'no_event_time'
            when persons.person_id is null and nullif(attributed.typed_email, '') is null then 'no_identifier'
            when persons.person_id is null and {{ klaviyo__email_problem('attributed.typed_email') }} is not null then 'invalid_email'
            when attributed.price_problem is not null then 'price_' || attributed.price_problem
            when attributed.item_price is null then 'no_price'
            when nullif(trim(attributed.product_name), '') is null then 'no_product_name'
        end as problem_code,
        case
            when attributed.occurred_at is null then 'occurred_at is empty'
            when persons.person_id is null and nullif(attributed.typed_email, '') is null
                then 'no customer id naming a person and no email: Klaviyo would not know whose event it is'
            when persons.person_id is null and {{ klaviyo__email_problem('attributed.typed_email') }} is not null
                then 'no customer id naming a person, and the email "' || attributed.typed_email || '" is not a valid email address'
            when attributed.price_problem is not null
                then 'price "' || cast(attributed.price as {{ dbt.type_string() }}) || '" cannot be read as an amount ('
                || attributed.price_problem || ', docs/value-rules.md)'
            when attributed.item_price is null then 'price is empty'
            when nullif(trim(attributed.product_name), '') is null then 'product_name is missing'
        end as problem
    from attributed
    left join persons on persons.person_id = attributed.candidate_person_id
)

select * from final
