-- Checkout lines from the optional checkouts input (var klaviyo__checkouts_model; empty when the
-- project has none), with parsed prices, product URLs, the person the checkout belongs to (the
-- CRM customer id when it names a resolved person, else the one resolved person with the email
-- typed; a checkout no person matches keeps the email typed) and why a line cannot be sent.
with source_lines as (
    {{ klaviyo__optional_input('klaviyo__checkouts_model', [
        ['checkout_id', dbt.type_string()],
        ['customer_id', dbt.type_string()],
        ['email', dbt.type_string()],
        ['started_at', dbt.type_timestamp()],
        ['currency', dbt.type_string()],
        ['checkout_url', dbt.type_string()],
        ['line_number', dbt.type_int()],
        ['sku', dbt.type_string()],
        ['product_id', dbt.type_string()],
        ['product_name', dbt.type_string()],
        ['category', dbt.type_string()],
        ['quantity', dbt.type_int()],
        ['unit_price', dbt.type_string()],
    ]) }}
),

{{ klaviyo__web_person_ctes() }},

parsed as (
    select
        source_lines.*,
        {{ klaviyo__normalize_email('source_lines.email') }} as typed_email,
        {{ klaviyo__parse_money('source_lines.unit_price', klaviyo__input_decimal('checkouts'), 'source_lines.currency') }} as item_price,
        {{ klaviyo__money_problem('source_lines.unit_price', klaviyo__input_decimal('checkouts'), 'source_lines.currency') }} as unit_price_problem
    from source_lines
),

attributed as (
    {{ klaviyo__web_person_candidate('parsed') }}
),

final as (
    select
        attributed.checkout_id,
        attributed.line_number,
        persons.person_id,
        coalesce(persons.email, attributed.typed_email) as email,
        attributed.started_at,
        coalesce(nullif(upper(attributed.currency), ''), '{{ var("klaviyo__default_currency") }}') as currency,
        attributed.checkout_url,
        attributed.sku,
        attributed.product_id,
        attributed.product_name,
        attributed.category,
        attributed.quantity,
        attributed.item_price,
        attributed.item_price * attributed.quantity as row_total,
        '{{ var("klaviyo__store_url") }}/products/' || lower(attributed.product_id) as product_url,
        '{{ var("klaviyo__store_url") }}/images/' || lower(attributed.sku) || '.jpg' as image_url,
        case
            when attributed.unit_price_problem is not null
                then 'unit_price "' || cast(attributed.unit_price as {{ dbt.type_string() }}) || '" cannot be read as an amount ('
                || attributed.unit_price_problem || ', docs/value-rules.md)'
            when attributed.item_price is null then 'unit_price is empty'
            when attributed.quantity is null or attributed.quantity < 0 then 'quantity is missing or negative'
            when nullif(trim(attributed.sku), '') is null then 'sku is missing'
            when nullif(trim(attributed.product_name), '') is null then 'product_name is missing'
        end as problem
    from attributed
    left join persons on persons.person_id = attributed.candidate_person_id
)

select * from final
