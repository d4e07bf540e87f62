-- Web events (viewed_product, added_to_cart) from the optional web events input (var
-- klaviyo__web_events_model; empty when the project has none): one row per event_id, with the
-- parsed time, price and quantity, product URLs, the person (macros/klaviyo__web_person.sql), and
-- why the event cannot be sent (`problem_code`, `problem`). Text times are read by the timestamp
-- rule (klaviyo__date_orders.web_events), text quantities by the integer rule. An export that lists
-- an event twice keeps one copy (by a fixed order, so a rebuild keeps the same one) and says how
-- many it had.
{%- set events_relation = klaviyo__optional_input_relation('klaviyo__web_events_model') %}
{%- set decimal = klaviyo__input_decimal('web_events') %}
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
    ], optional=[
        ['product_url', dbt.type_string()],
        ['image_url', dbt.type_string()],
    ]) }}
),

{{ klaviyo__web_person_ctes() }},

typed as (
    select
        source_events.event_id,
        source_events.event_type,
        {{ klaviyo__input_time(events_relation, 'occurred_at', 'source_events', 'web_events') }} as occurred_at,
        {{ klaviyo__input_time_problem(events_relation, 'occurred_at', 'source_events', 'web_events') }} as occurred_at_problem,
        cast(source_events.occurred_at as {{ dbt.type_string() }}) as occurred_at_text,
        source_events.customer_id,
        source_events.email,
        source_events.cart_id,
        source_events.sku,
        source_events.product_id,
        source_events.product_url,
        source_events.image_url,
        source_events.product_name,
        source_events.category,
        source_events.price,
        {{ klaviyo__parse_integer('source_events.quantity', decimal) }} as parsed_quantity,
        {{ klaviyo__integer_problem('source_events.quantity', decimal) }} as quantity_problem,
        cast(source_events.quantity as {{ dbt.type_string() }}) as quantity_text,
        source_events.currency
    from source_events
),

ranked as (
    select
        typed.*,
        count(*) over (partition by event_id) as copies,
        row_number() over (
            partition by event_id
            order by occurred_at, occurred_at_text, event_type, sku, customer_id, email, cart_id, price, parsed_quantity, quantity_text,
                product_url, image_url
        ) as copy_rank
    from typed
),

parsed as (
    select
        ranked.*,
        lower(trim(ranked.event_type)) as normalized_type,
        {{ klaviyo__normalize_email('ranked.email') }} as typed_email,
        {{ klaviyo__parse_money('ranked.price', decimal, 'ranked.currency') }} as item_price,
        {{ klaviyo__money_problem('ranked.price', decimal, 'ranked.currency') }} as price_problem,
        -- a missing quantity is one (a view has none); one the integer rule refuses is no quantity
        case when ranked.quantity_problem is null then coalesce(ranked.parsed_quantity, 1) end as quantity
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
        attributed.quantity,
        attributed.item_price,
        attributed.item_price * attributed.quantity as row_total,
        -- the shop's own links when the input has them, else built (macros/klaviyo__url.sql)
        {{ klaviyo__product_url('attributed.product_url', 'attributed.product_id') }} as product_url,
        {{ klaviyo__image_url('attributed.image_url', 'attributed.sku') }} as image_url,
        attributed.copies,
        case
            when attributed.occurred_at_problem is not null then 'occurred_at_' || attributed.occurred_at_problem
            when attributed.occurred_at is null then 'no_event_time'
            when persons.person_id is null and nullif(attributed.typed_email, '') is null then 'no_identifier'
            when persons.person_id is null and {{ klaviyo__email_problem('attributed.typed_email') }} is not null then 'invalid_email'
            when attributed.price_problem is not null then 'price_' || attributed.price_problem
            when attributed.item_price is null then 'no_price'
            -- the rules every line shares (macros/klaviyo__line_problems.sql), on the quantity read
            -- with an empty one as one (so never no_quantity), and no sku required
            {{ klaviyo__line_problem_codes('attributed', quantity='quantity', sku_required=false) }}
        end as problem_code,
        case
            when attributed.occurred_at_problem is not null
                then 'occurred_at "' || attributed.occurred_at_text || '" cannot be read as a time ('
                || attributed.occurred_at_problem || ', docs/value-rules.md)'
            when attributed.occurred_at is null then 'occurred_at is empty'
            when persons.person_id is null and nullif(attributed.typed_email, '') is null
                then 'no customer id naming a person and no email: Klaviyo would not know whose event it is'
            when persons.person_id is null and {{ klaviyo__email_problem('attributed.typed_email') }} is not null
                then 'no customer id naming a person, and the email "' || attributed.typed_email || '" is not a valid email address'
            when attributed.price_problem is not null
                then 'price "' || cast(attributed.price as {{ dbt.type_string() }}) || '" cannot be read as an amount ('
                || attributed.price_problem || ', docs/value-rules.md)'
            when attributed.item_price is null then 'price is empty'
            {{ klaviyo__line_problem_messages('attributed', quantity='quantity', sku_required=false) }}
        end as problem
    from attributed
    left join persons on persons.person_id = attributed.candidate_person_id
)

select * from final
