-- Orders with parsed amounts, their lifecycle and the person who placed them; one row per order.
-- An order is attributed through the strongest identifier it carries: CRM customer id, then
-- Shopify id, then ERP account, then the checkout email when exactly one person has it.
-- An export that lists an order twice keeps one copy by a fixed rule (see the model's YAML) and
-- says how many it had; `problem` says why an order cannot be shipped.
{%- set orders_relation = ref(var('klaviyo__orders_model')) %}
{#- The row's decimal mark: its decimal_mark column (set per source), else klaviyo__number_locales.orders. #}
{%- set decimal = klaviyo__row_decimal('deduplicated.decimal_mark', 'orders') %}
with source_orders as (
    select * from {{ orders_relation }}
),

identifiers as (
    select * from {{ ref('int_klaviyo__identifiers') }}
),

lines as (
    select * from {{ ref('int_klaviyo__order_lines') }}
),

-- The input shape's optional columns are null when the export lacks them.
orders as (
    select
        source_orders.order_id,
        source_orders.customer_id,
        source_orders.shopify_customer_id,
        source_orders.account_id,
        source_orders.checkout_email,
        {{ klaviyo__input_time(orders_relation, 'ordered_at', 'source_orders', 'orders') }} as ordered_at,
        {{ klaviyo__input_time_problem(orders_relation, 'ordered_at', 'source_orders', 'orders') }} as ordered_at_problem,
        cast(source_orders.ordered_at as {{ dbt.type_string() }}) as ordered_at_text,
        source_orders.status,
        source_orders.currency,
        source_orders.total,
        source_orders.discount_code,
        source_orders.discount_amount,
        {{ klaviyo__input_time(orders_relation, 'fulfilled_at', 'source_orders', 'orders', optional=true) }} as fulfilled_at,
        {{ klaviyo__input_time_problem(orders_relation, 'fulfilled_at', 'source_orders', 'orders', optional=true) }} as fulfilled_at_problem,
        cast({{ klaviyo__optional_column(orders_relation, 'fulfilled_at', dbt.type_string(), 'source_orders') }} as {{ dbt.type_string() }}) as fulfilled_at_text,
        {{ klaviyo__input_time(orders_relation, 'cancelled_at', 'source_orders', 'orders', optional=true) }} as cancelled_at,
        {{ klaviyo__input_time_problem(orders_relation, 'cancelled_at', 'source_orders', 'orders', optional=true) }} as cancelled_at_problem,
        cast({{ klaviyo__optional_column(orders_relation, 'cancelled_at', dbt.type_string(), 'source_orders') }} as {{ dbt.type_string() }}) as cancelled_at_text,
        {{ klaviyo__input_time(orders_relation, 'refunded_at', 'source_orders', 'orders', optional=true) }} as refunded_at,
        {{ klaviyo__input_time_problem(orders_relation, 'refunded_at', 'source_orders', 'orders', optional=true) }} as refunded_at_problem,
        cast({{ klaviyo__optional_column(orders_relation, 'refunded_at', dbt.type_string(), 'source_orders') }} as {{ dbt.type_string() }}) as refunded_at_text,
        {{ klaviyo__input_time(orders_relation, 'updated_at', 'source_orders', 'orders', optional=true) }} as updated_at,
        {{ klaviyo__input_time_problem(orders_relation, 'updated_at', 'source_orders', 'orders', optional=true) }} as updated_at_problem,
        cast({{ klaviyo__optional_column(orders_relation, 'updated_at', dbt.type_string(), 'source_orders') }} as {{ dbt.type_string() }}) as updated_at_text,
        {{ klaviyo__optional_column(orders_relation, 'cancel_reason', dbt.type_string(), 'source_orders') }} as cancel_reason,
        {{ klaviyo__optional_column(orders_relation, 'refund_reason', dbt.type_string(), 'source_orders') }} as refund_reason,
        {{ klaviyo__optional_column(orders_relation, 'decimal_mark', dbt.type_string(), 'source_orders') }} as decimal_mark
    from source_orders
),

-- One copy per order: the one changed last (by updated_at, then the lifecycle times), else the
-- one furthest along (refunded, cancelled, completed, anything else). Ties fall to ordered_at and
-- the status and total text, so a rebuild always keeps the same copy. An updated_at given as text
-- the timestamp rule refuses, on any copy, leaves the copies unordered: the order is rejected.
ranked as (
    select
        orders.*,
        count(*) over (partition by order_id) as copies,
        min(updated_at_problem) over (partition by order_id) as copies_updated_at_problem,
        min(case when updated_at_problem is not null then updated_at_text end) over (partition by order_id) as copies_updated_at_text,
        row_number() over (
            partition by order_id
            order by
                updated_at desc nulls last,
                refunded_at desc nulls last,
                cancelled_at desc nulls last,
                fulfilled_at desc nulls last,
                case
                    when {{ klaviyo__status_in('status', 'klaviyo__refunded_statuses') }} then 1
                    when {{ klaviyo__status_in('status', 'klaviyo__cancelled_statuses') }} then 2
                    when {{ klaviyo__status_in('status', 'klaviyo__completed_statuses') }} then 3
                    else 4
                end,
                ordered_at desc nulls last,
                status,
                total
        ) as copy_rank
    from orders
),

deduplicated as (
    select * from ranked
    where copy_rank = 1
),

email_people as (
    select identifier as email, min(person_id) as person_id, count(distinct person_id) as person_count
    from identifiers
    where identifier_type = 'email'
    group by identifier
),

line_counts as (
    select
        order_id,
        count(*) as line_count,
        sum(case when problem is not null then 1 else 0 end) as bad_lines
    from lines
    group by order_id
),

attributed as (
    select
        deduplicated.*,
        coalesce(
            by_customer.person_id,
            by_shopify.person_id,
            by_erp.person_id,
            case when email_people.person_count = 1 then email_people.person_id end
        ) as person_id,
        {{ klaviyo__decimal_mark_problem('deduplicated.decimal_mark') }} as decimal_mark_unknown,
        {{ klaviyo__parse_money('deduplicated.total', decimal, 'deduplicated.currency') }} as order_total,
        {{ klaviyo__money_problem('deduplicated.total', decimal, 'deduplicated.currency') }} as order_total_problem,
        {{ klaviyo__parse_money('deduplicated.discount_amount', decimal, 'deduplicated.currency') }} as discount_value,
        {{ klaviyo__money_problem('deduplicated.discount_amount', decimal, 'deduplicated.currency') }} as discount_problem,
        {{ klaviyo__future_cutoff() }} as future_cutoff
    from deduplicated
    left join identifiers as by_customer
        on by_customer.identifier_type = 'customer_id' and by_customer.identifier = deduplicated.customer_id
    left join identifiers as by_shopify
        on by_shopify.identifier_type = 'shopify_id' and by_shopify.identifier = deduplicated.shopify_customer_id
    left join identifiers as by_erp
        on by_erp.identifier_type = 'erp_id' and by_erp.identifier = deduplicated.account_id
    left join email_people
        on email_people.email = {{ klaviyo__normalize_email('deduplicated.checkout_email') }}
),

lifecycle as (
    select
        attributed.*,
        {{ klaviyo__status_in('attributed.status', 'klaviyo__cancelled_statuses') }}
            or attributed.cancelled_at is not null
            or attributed.cancelled_at_problem is not null as is_cancelled,
        {{ klaviyo__status_in('attributed.status', 'klaviyo__refunded_statuses') }}
            or attributed.refunded_at is not null
            or attributed.refunded_at_problem is not null as is_refunded
    from attributed
),

final as (
    select
        lifecycle.order_id,
        lifecycle.person_id,
        lifecycle.ordered_at,
        lower(trim(lifecycle.status)) as status,
        coalesce(nullif(upper(lifecycle.currency), ''), '{{ var("klaviyo__default_currency") }}') as currency,
        lifecycle.order_total,
        lifecycle.discount_code,
        lifecycle.discount_value,
        -- why discount_amount could not be read (the order is sent without DiscountValue)
        lifecycle.discount_amount,
        lifecycle.discount_problem,

        -- lifecycle
        lifecycle.fulfilled_at,
        lifecycle.cancelled_at,
        lifecycle.refunded_at,
        -- a lifecycle time given as text the timestamp rule refuses: its event is reported, not sent
        lifecycle.fulfilled_at_problem,
        lifecycle.cancelled_at_problem,
        lifecycle.refunded_at_problem,
        lifecycle.fulfilled_at_text,
        lifecycle.cancelled_at_text,
        lifecycle.refunded_at_text,
        lifecycle.cancel_reason,
        lifecycle.refund_reason,
        lifecycle.is_cancelled,
        lifecycle.is_refunded,
        {{ klaviyo__status_in('lifecycle.status', 'klaviyo__completed_statuses') }}
            and not lifecycle.is_cancelled and not lifecycle.is_refunded as counts_toward_rfm,

        -- what the export had, and why the order cannot be shipped
        lifecycle.copies,
        case
            when lifecycle.person_id is null then 'no_person'
            when lifecycle.ordered_at_problem is not null then 'ordered_at_' || lifecycle.ordered_at_problem
            when lifecycle.ordered_at is null then 'no_order_date'
            when lifecycle.copies_updated_at_problem is not null then 'updated_at_' || lifecycle.copies_updated_at_problem
            when lifecycle.ordered_at > lifecycle.future_cutoff then 'future_order'
            when lifecycle.decimal_mark_unknown then 'unknown_decimal_mark'
            when lifecycle.order_total_problem is not null then 'total_' || lifecycle.order_total_problem
            when lifecycle.order_total is null then 'no_total'
            when lifecycle.order_total < 0 then 'negative_total'
            when line_counts.order_id is null then 'no_lines'
            when line_counts.bad_lines > 0 then 'lines_not_shippable'
        end as problem_code,
        case
            when lifecycle.person_id is null then 'no identifier links the order to a person'
            when lifecycle.ordered_at_problem is not null
                then 'ordered_at "' || lifecycle.ordered_at_text || '" cannot be read as a time ('
                || lifecycle.ordered_at_problem || ', docs/value-rules.md)'
            when lifecycle.ordered_at is null then 'ordered_at is empty'
            when lifecycle.copies_updated_at_problem is not null
                then 'updated_at "' || lifecycle.copies_updated_at_text || '" cannot be read as a time ('
                || lifecycle.copies_updated_at_problem || ', docs/value-rules.md)'
            when lifecycle.ordered_at > lifecycle.future_cutoff
                then 'ordered_at ' || cast(lifecycle.ordered_at as {{ dbt.type_string() }})
                    || ' is in the future (after ' || cast(lifecycle.future_cutoff as {{ dbt.type_string() }})
                    || ', klaviyo__future_tolerance_hours = {{ var("klaviyo__future_tolerance_hours", 24) }}); a typo in the date?'
            when lifecycle.decimal_mark_unknown
                then 'decimal_mark "' || lifecycle.decimal_mark || '" is neither point nor comma (docs/value-rules.md)'
            when lifecycle.order_total_problem is not null
                then 'total "' || cast(lifecycle.total as {{ dbt.type_string() }}) || '" cannot be read as an amount ('
                || lifecycle.order_total_problem || ', docs/value-rules.md)'
            when lifecycle.order_total is null then 'total is empty'
            when lifecycle.order_total < 0 then 'total is negative'
            when line_counts.order_id is null then 'the order has no lines in the order lines input'
            when line_counts.bad_lines > 0 then line_counts.bad_lines || ' line(s) cannot be shipped'
        end as problem
    from lifecycle
    left join line_counts on line_counts.order_id = lifecycle.order_id
)

select * from final
