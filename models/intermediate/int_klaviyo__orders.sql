-- Orders with parsed amounts and the person who placed them. An order is attributed through the
-- strongest identifier it carries: CRM customer id, then Shopify id, then ERP account, then the
-- checkout email when exactly one person has it. `problem` says why an order cannot be shipped.
with orders as (
    select * from {{ ref(var('klaviyo__orders_model')) }}
),

identifiers as (
    select * from {{ ref('int_klaviyo__identifiers') }}
),

lines as (
    select * from {{ ref('int_klaviyo__order_lines') }}
),

email_people as (
    select identifier as email, min(person_id) as person_id, count(distinct person_id) as person_count
    from identifiers
    where identifier_type = 'email'
    group by identifier
),

line_problems as (
    select order_id, count(*) as bad_lines
    from lines
    where problem is not null
    group by order_id
),

attributed as (
    select
        orders.*,
        coalesce(
            by_customer.person_id,
            by_shopify.person_id,
            by_erp.person_id,
            case when email_people.person_count = 1 then email_people.person_id end
        ) as person_id,
        {{ klaviyo__parse_money('orders.total') }} as order_total,
        {{ klaviyo__parse_money('orders.discount_amount') }} as discount_value
    from orders
    left join identifiers as by_customer
        on by_customer.identifier_type = 'customer_id' and by_customer.identifier = orders.customer_id
    left join identifiers as by_shopify
        on by_shopify.identifier_type = 'shopify_id' and by_shopify.identifier = orders.shopify_customer_id
    left join identifiers as by_erp
        on by_erp.identifier_type = 'erp_id' and by_erp.identifier = orders.account_id
    left join email_people
        on email_people.email = {{ klaviyo__normalize_email('orders.checkout_email') }}
),

final as (
    select
        attributed.order_id,
        attributed.person_id,
        attributed.ordered_at,
        lower(attributed.status) as status,
        coalesce(nullif(upper(attributed.currency), ''), '{{ var("klaviyo__default_currency") }}') as currency,
        attributed.order_total,
        attributed.discount_code,
        attributed.discount_value,
        case
            when attributed.person_id is null then 'no identifier links the order to a person'
            when attributed.order_total is null then 'total "' || coalesce(attributed.total, '') || '" is not a number'
            when attributed.order_total < 0 then 'total is negative'
            when line_problems.bad_lines > 0 then line_problems.bad_lines || ' line(s) cannot be shipped'
        end as problem
    from attributed
    left join line_problems on line_problems.order_id = attributed.order_id
)

select * from final
