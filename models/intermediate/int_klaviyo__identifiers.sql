-- The identity graph's edges: every (person, identifier) pair the shop's systems assert.
-- A person is anchored on the CRM customer id. A Shopify customer or ERP account joins that person
-- when it names the customer id, or when its email belongs to exactly one customer; otherwise it
-- is a person of its own ("shopify:<id>", "erp:<id>"). Nothing is merged on a shared email.
with customers as (
    select * from {{ ref(var('klaviyo__customers_model')) }}
),

links as (
    select * from {{ ref(var('klaviyo__identity_links_model')) }}
),

customer_emails as (
    select distinct customer_id, {{ klaviyo__normalize_email('email') }} as email
    from customers
    where nullif(trim(email), '') is not null
),

email_owners as (
    select email, count(distinct customer_id) as customer_count, min(customer_id) as customer_id
    from customer_emails
    group by email
),

links_resolved as (
    select
        links.source,
        links.source_id,
        {{ klaviyo__normalize_email('links.email') }} as email,
        coalesce(
            links.customer_id,
            case when email_owners.customer_count = 1 then email_owners.customer_id end
        ) as customer_id
    from links
    left join email_owners
        on email_owners.email = {{ klaviyo__normalize_email('links.email') }}
),

final as (
    select distinct customer_id as person_id, 'customer_id' as identifier_type, customer_id as identifier
    from customers
    union all
    select customer_id, 'email', email from customer_emails
    union all
    select coalesce(customer_id, source || ':' || source_id), source || '_id', source_id
    from links_resolved
    union all
    select coalesce(customer_id, source || ':' || source_id), 'email', email
    from links_resolved
    where nullif(email, '') is not null
)

select distinct * from final
