-- One row per person with the one email Klaviyo will know them by, or the reason there is none.
-- Deterministic: the email is the newest valid CRM email, else the newest valid linked email
-- (ties broken by the email text); limits from dbt_project.yml vars refuse polluted identities.
-- The versions of a customer are ordered by updated_at, read by the timestamp rule when the input
-- gives it as text (klaviyo__date_orders.customers); a person one of whose versions has a time
-- the rule refuses cannot be ordered, and gets no profile (updated_at_<timestamp code>).
{%- set customers_relation = ref(var('klaviyo__customers_model')) %}
with identifiers as (
    select * from {{ ref('int_klaviyo__identifiers') }}
),

source_customers as (
    select * from {{ customers_relation }}
),

customers as (
    select
        source_customers.*,
        {{ klaviyo__input_time(customers_relation, 'updated_at', 'source_customers', 'customers') }} as version_at,
        {{ klaviyo__input_time_problem(customers_relation, 'updated_at', 'source_customers', 'customers') }} as version_at_problem
    from source_customers
),

-- Per customer, the first version (by its text) whose updated_at cannot be read.
unordered_versions as (
    select customer_id, version_at_problem, updated_at_text
    from (
        select
            customer_id,
            version_at_problem,
            cast(updated_at as {{ dbt.type_string() }}) as updated_at_text,
            row_number() over (partition by customer_id order by cast(updated_at as {{ dbt.type_string() }})) as problem_rank
        from customers
        where version_at_problem is not null
    ) as ranked
    where problem_rank = 1
),

persons as (
    select distinct person_id from identifiers
),

latest_customer as (
    select *
    from (
        select
            customers.*,
            row_number() over (partition by customer_id order by version_at desc nulls last, email asc) as version_rank
        from customers
    ) as ranked
    where version_rank = 1
),

-- Candidate emails, best first: CRM (newest version first), then linked systems.
email_candidates as (
    select
        identifiers.person_id,
        identifiers.identifier as email,
        {{ klaviyo__is_valid_email('identifiers.identifier') }} as is_valid,
        coalesce(max(crm.version_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) as seen_at
    from identifiers
    left join customers as crm
        on crm.customer_id = identifiers.person_id
        and {{ klaviyo__normalize_email('crm.email') }} = identifiers.identifier
    where identifiers.identifier_type = 'email'
    group by 1, 2, 3
),

people_per_email as (
    select email, count(distinct person_id) as person_count
    from email_candidates
    group by email
),

email_choice as (
    select
        person_id,
        count(distinct email) as email_count,
        count(distinct case when is_valid then email end) as valid_email_count,
        max(case when choice_rank = 1 then email end) as chosen_email
    from (
        select
            email_candidates.*,
            case when is_valid then row_number() over (
                partition by person_id, is_valid order by seen_at desc, email asc
            ) end as choice_rank
        from email_candidates
    ) as ranked
    group by person_id
),

resolved as (
    select
        persons.person_id,
        email_choice.chosen_email,
        coalesce(email_choice.email_count, 0) as email_count,
        people_per_email.person_count as people_sharing_email,
        unordered_versions.version_at_problem,
        unordered_versions.updated_at_text,
        case
            when unordered_versions.version_at_problem is not null then 'updated_at_' || unordered_versions.version_at_problem
            when coalesce(email_choice.email_count, 0) = 0 then 'no_email'
            when email_choice.valid_email_count = 0 then 'invalid_email'
            when email_choice.email_count > {{ var('klaviyo__max_emails_per_person') }} then 'too_many_emails'
            when people_per_email.person_count > {{ var('klaviyo__max_people_per_email') }} then 'shared_email'
        end as unresolved_reason
    from persons
    left join email_choice on email_choice.person_id = persons.person_id
    left join people_per_email on people_per_email.email = email_choice.chosen_email
    left join unordered_versions on unordered_versions.customer_id = persons.person_id
),

linked_ids as (
    select
        person_id,
        min(case when identifier_type = 'shopify_id' then identifier end) as shopify_customer_id,
        min(case when identifier_type = 'erp_id' then identifier end) as account_id
    from identifiers
    group by person_id
),

final as (
    select
        resolved.person_id,
        case when resolved.unresolved_reason is null then resolved.chosen_email end as email,
        resolved.unresolved_reason is null as is_resolved,
        resolved.unresolved_reason,
        case
            when resolved.version_at_problem is not null
                then 'updated_at "' || resolved.updated_at_text || '" of customer ' || resolved.person_id
                || ' cannot be read as a time (' || resolved.version_at_problem
                || ', docs/value-rules.md), so its versions cannot be ordered'
            when resolved.unresolved_reason = 'no_email' then 'no email in any source'
            when resolved.unresolved_reason = 'invalid_email' then 'every known email is invalid'
            when resolved.unresolved_reason = 'too_many_emails' then resolved.email_count || ' distinct emails (limit klaviyo__max_emails_per_person = {{ var("klaviyo__max_emails_per_person") }})'
            when resolved.unresolved_reason = 'shared_email' then resolved.chosen_email || ' is used by ' || resolved.people_sharing_email || ' people (limit klaviyo__max_people_per_email = {{ var("klaviyo__max_people_per_email") }})'
        end as unresolved_detail,
        latest_customer.customer_id,
        linked_ids.shopify_customer_id,
        linked_ids.account_id,
        latest_customer.first_name,
        latest_customer.last_name,
        latest_customer.phone,
        latest_customer.address1,
        latest_customer.city,
        latest_customer.region,
        latest_customer.zip,
        latest_customer.country
    from resolved
    left join latest_customer on latest_customer.customer_id = resolved.person_id
    left join linked_ids on linked_ids.person_id = resolved.person_id
)

select * from final
