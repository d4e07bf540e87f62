-- Checkout lines from the optional checkouts input (var klaviyo__checkouts_model; empty when the
-- project has none), with parsed start times, prices and quantities, product URLs, the person the
-- checkout belongs to (the CRM customer id when it names a resolved person, else the one resolved
-- person with the email typed; a checkout no person matches keeps the email typed) and why a line
-- cannot be sent (`problem_code`, `problem`). Text start times are read by the timestamp rule
-- (klaviyo__date_orders.checkouts), quantities by the integer rule, as the order lines' are.
{%- set checkouts_relation = klaviyo__optional_input_relation('klaviyo__checkouts_model') %}
{%- set decimal = klaviyo__input_decimal('checkouts') %}
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
    ], optional=[
        ['product_url', dbt.type_string()],
        ['image_url', dbt.type_string()],
    ]) }}
),

{{ klaviyo__web_person_ctes() }},

parsed as (
    select
        source_lines.*,
        {{ klaviyo__input_time(checkouts_relation, 'started_at', 'source_lines', 'checkouts') }} as parsed_started_at,
        {{ klaviyo__input_time_problem(checkouts_relation, 'started_at', 'source_lines', 'checkouts') }} as started_at_problem,
        cast(source_lines.started_at as {{ dbt.type_string() }}) as started_at_text,
        {{ klaviyo__normalize_email('source_lines.email') }} as typed_email,
        {{ klaviyo__parse_money('source_lines.unit_price', decimal, 'source_lines.currency') }} as item_price,
        {{ klaviyo__money_problem('source_lines.unit_price', decimal, 'source_lines.currency') }} as unit_price_problem,
        {{ klaviyo__parse_integer('source_lines.quantity', decimal) }} as parsed_quantity,
        {{ klaviyo__integer_problem('source_lines.quantity', decimal) }} as quantity_problem,
        cast(source_lines.quantity as {{ dbt.type_string() }}) as quantity_text
    from source_lines
),

attributed as (
    {{ klaviyo__web_person_candidate('parsed') }}
),

-- Why a line cannot be sent, one code per reason, as for order lines (docs/value-rules.md): the
-- price here, then the rules every line shares (macros/klaviyo__line_problems.sql).
checked as (
    select
        attributed.*,
        case
            when unit_price_problem is not null then 'unit_price_' || unit_price_problem
            when item_price is null then 'no_unit_price'
            {{ klaviyo__line_problem_codes('attributed') }}
        end as problem_code
    from attributed
),

final as (
    select
        checked.checkout_id,
        checked.line_number,
        persons.person_id,
        coalesce(persons.email, checked.typed_email) as email,
        checked.parsed_started_at as started_at,
        -- a start time given as text the timestamp rule refuses: the checkout is reported, not sent
        checked.started_at_problem,
        checked.started_at_text,
        coalesce(nullif(upper(checked.currency), ''), '{{ var("klaviyo__default_currency") }}') as currency,
        checked.checkout_url,
        checked.sku,
        checked.product_id,
        checked.product_name,
        checked.category,
        checked.parsed_quantity as quantity,
        checked.item_price,
        checked.item_price * checked.parsed_quantity as row_total,
        -- the shop's own links when the input has them, else built (macros/klaviyo__url.sql)
        {{ klaviyo__product_url('checked.product_url', 'checked.product_id') }} as product_url,
        {{ klaviyo__image_url('checked.image_url', 'checked.sku') }} as image_url,
        checked.problem_code,
        case
            when checked.unit_price_problem is not null
                then 'unit_price "' || cast(checked.unit_price as {{ dbt.type_string() }}) || '" cannot be read as an amount ('
                || checked.unit_price_problem || ', docs/value-rules.md)'
            when checked.problem_code = 'no_unit_price' then 'unit_price is empty'
            {{ klaviyo__line_problem_messages('checked') }}
        end as problem
    from checked
    left join persons on persons.person_id = checked.candidate_person_id
)

select * from final
