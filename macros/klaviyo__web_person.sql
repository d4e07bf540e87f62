{#-
  The person a web row (a checkout line, a product view, an add to cart) belongs to, the same way
  for every optional web input: the CRM customer id when it names a resolved person, else the one
  resolved person with the email typed; a row no person matches keeps only the email typed.

  klaviyo__web_person_ctes() gives the CTEs `identifiers`, `persons` (resolved only) and
  `email_people`; klaviyo__web_person_candidate(rows) selects `rows.*` with `candidate_person_id`,
  which the model joins to `persons`. `rows` must carry `customer_id` and `typed_email`.
-#}
{% macro klaviyo__web_person_ctes() -%}
identifiers as (
    select * from {{ ref('int_klaviyo__identifiers') }}
),

persons as (
    select * from {{ ref('int_klaviyo__persons') }}
    where is_resolved
),

email_people as (
    select identifier as email, min(person_id) as person_id, count(distinct person_id) as person_count
    from identifiers
    where identifier_type = 'email'
    group by identifier
)
{%- endmacro %}

{% macro klaviyo__web_person_candidate(rows) -%}
    select
        {{ rows }}.*,
        coalesce(
            by_customer.person_id,
            case when email_people.person_count = 1 then email_people.person_id end
        ) as candidate_person_id
    from {{ rows }}
    left join identifiers as by_customer
        on by_customer.identifier_type = 'customer_id' and by_customer.identifier = {{ rows }}.customer_id
    left join email_people on email_people.email = {{ rows }}.typed_email
{%- endmacro %}
