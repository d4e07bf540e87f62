-- The Wholesale list: every profile with an ERP debtor account.
with profiles as (
    select * from {{ ref('klaviyo__profiles') }}
),

persons as (
    select * from {{ ref('int_klaviyo__persons') }}
),

final as (
    select profiles.person_id, profiles.email, profiles.external_id
    from profiles
    inner join persons on persons.person_id = profiles.person_id
    where persons.account_id is not null
)

select * from final
