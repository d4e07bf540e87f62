-- Order lines with parsed prices and quantities, product URLs and the reason a line cannot be
-- shipped (problem_code, problem); one row per (order_id, line_number). An export that lists a
-- line twice keeps one copy (the first by sku, product_id, quantity and prices, so a rebuild keeps
-- the same one) and says how many it had.
{%- set lines_relation = ref(var('klaviyo__order_lines_model')) %}
{#- The row's decimal mark: its decimal_mark column (set per source), else klaviyo__number_locales.order_lines. #}
{%- set decimal = klaviyo__row_decimal('read_mark.row_decimal_mark', 'order_lines') %}
with source_lines as (
    select * from {{ lines_relation }}
),

ranked as (
    select
        source_lines.*,
        count(*) over (partition by order_id, line_number) as copies,
        row_number() over (
            partition by order_id, line_number
            order by sku, product_id, quantity, unit_price, line_total
        ) as copy_rank
    from source_lines
),

read_mark as (
    select
        ranked.*,
        {{ klaviyo__optional_column(lines_relation, 'decimal_mark', dbt.type_string(), 'ranked') }} as row_decimal_mark
    from ranked
    where copy_rank = 1
),

parsed as (
    select
        read_mark.*,
        {{ klaviyo__decimal_mark_problem('read_mark.row_decimal_mark') }} as decimal_mark_unknown,
        {{ klaviyo__parse_money('read_mark.unit_price', decimal) }} as parsed_unit_price,
        {{ klaviyo__money_problem('read_mark.unit_price', decimal) }} as unit_price_problem,
        {{ klaviyo__parse_money('read_mark.line_total', decimal) }} as parsed_line_total,
        {{ klaviyo__money_problem('read_mark.line_total', decimal) }} as line_total_problem,
        {{ klaviyo__parse_integer('read_mark.quantity', decimal) }} as parsed_quantity,
        {{ klaviyo__integer_problem('read_mark.quantity', decimal) }} as quantity_problem,
        cast(read_mark.quantity as {{ dbt.type_string() }}) as quantity_text
    from read_mark
),

-- Why a line cannot be shipped, one code per reason (docs/value-rules.md gives the money and
-- integer codes): the decimal mark and the prices here, then the quantity, sku and product name
-- rules every line shares (macros/klaviyo__line_problems.sql); `problem` tests them in the same
-- order. A line_total that is given but cannot be read rejects the line rather than being
-- replaced by unit_price * quantity: the export said something else.
checked as (
    select
        parsed.*,
        case
            when decimal_mark_unknown then 'unknown_decimal_mark'
            when parsed_unit_price is null and unit_price_problem is null then 'no_unit_price'
            when unit_price_problem is not null then 'unit_price_' || unit_price_problem
            when line_total_problem is not null then 'line_total_' || line_total_problem
            {{ klaviyo__line_problem_codes('parsed') }}
        end as problem_code
    from parsed
),

final as (
    select
        order_id,
        line_number,
        sku,
        product_id,
        product_name,
        category,
        parsed_quantity as quantity,
        parsed_unit_price as item_price,
        coalesce(parsed_line_total, parsed_unit_price * parsed_quantity) as row_total,
        -- the shop's own links when the input has them, else built (macros/klaviyo__url.sql)
        {{ klaviyo__product_url(klaviyo__optional_column(lines_relation, 'product_url', dbt.type_string(), 'checked'), 'product_id') }} as product_url,
        {{ klaviyo__image_url(klaviyo__optional_column(lines_relation, 'image_url', dbt.type_string(), 'checked'), 'sku') }} as image_url,
        copies,
        problem_code,
        case
            when problem_code = 'unknown_decimal_mark'
                then 'decimal_mark "' || row_decimal_mark || '" is neither point nor comma (docs/value-rules.md)'
            when problem_code = 'no_unit_price' then 'unit_price is empty'
            when unit_price_problem is not null
                then 'unit_price "' || cast(unit_price as {{ dbt.type_string() }}) || '" cannot be read as an amount ('
                || unit_price_problem || ', docs/value-rules.md)'
            when line_total_problem is not null
                then 'line_total "' || cast(line_total as {{ dbt.type_string() }}) || '" cannot be read as an amount ('
                || line_total_problem || ', docs/value-rules.md)'
            {{ klaviyo__line_problem_messages('checked') }}
        end as problem
    from checked
)

select * from final
