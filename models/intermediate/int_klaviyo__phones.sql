-- One row per resolved person with a phone: the number Klaviyo will get in E.164, or why it is
-- withheld. A phone the phone rule cannot read (docs/value-rules.md) is withheld, and so is a
-- phone several people share: Klaviyo treats phone_number as an identifier
-- (https://developers.klaviyo.com/en/reference/profiles_api_overview), so a household landline
-- sent on two profiles would merge the second person into the first. The profile is still sent,
-- by its email; phone_withheld_reason and phone_withheld_detail say why a phone is withheld.
with persons as (
    select person_id, phone, country
    from {{ ref('int_klaviyo__persons') }}
    where is_resolved and nullif(trim(phone), '') is not null
),

country_keys as (
    select * from {{ ref('int_klaviyo__country_keys') }}
),

regions as (
    select
        persons.person_id,
        persons.phone,
        persons.country,
        countries.country_code,
        {{ klaviyo__country_problem('persons.country', 'countries') }} as country_problem
    from persons
    left join country_keys as countries
        on countries.country_key = {{ klaviyo__country_key('persons.country') }}
),

phones_read as (
    select
        regions.person_id,
        regions.phone,
        {{ klaviyo__phone_e164('regions.phone', 'plan', 'regions.country_problem') }} as phone_e164,
        {{ klaviyo__phone_problem('regions.phone', 'plan', 'regions.country_problem') }} as phone_problem
    from regions
    left join country_keys as plan
        on plan.country_key = lower(coalesce(regions.country_code, '{{ var("klaviyo__default_phone_region") }}'))
),

people_per_phone as (
    select phone_e164, count(distinct person_id) as person_count
    from phones_read
    where phone_e164 is not null
    group by phone_e164
),

final as (
    select
        phones_read.person_id,
        phones_read.phone as source_phone,
        phones_read.phone_e164,
        phones_read.phone_problem,
        case
            when phones_read.phone_problem is null
                and people_per_phone.person_count <= {{ var('klaviyo__max_people_per_phone') }}
                then phones_read.phone_e164
        end as phone_number,
        case
            when phones_read.phone_problem is not null then 'invalid_phone'
            when people_per_phone.person_count > {{ var('klaviyo__max_people_per_phone') }} then 'shared_phone'
        end as phone_withheld_reason,
        case
            when phones_read.phone_problem is not null
                then 'phone "' || phones_read.phone || '" cannot be read (' || phones_read.phone_problem
                || '); the profile is sent without phone_number'
            when people_per_phone.person_count > {{ var('klaviyo__max_people_per_phone') }}
                then phones_read.phone_e164 || ' is used by ' || people_per_phone.person_count
                || ' people (limit klaviyo__max_people_per_phone = {{ var("klaviyo__max_people_per_phone") }})'
                || '; the profile is sent without phone_number'
        end as phone_withheld_detail
    from phones_read
    left join people_per_phone on people_per_phone.phone_e164 = phones_read.phone_e164
)

select * from final
