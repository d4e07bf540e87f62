-- The webshop's customer accounts (German column names), one row per account version: the export
-- keeps history, so an account that changed its email has two rows.
with kunden as (
    select * from {{ ref('webshop_kunden') }}
),

final as (
    select
        kunden_nr as customer_id,
        e_mail as email,
        vorname as first_name,
        nachname as last_name,
        telefon as phone,
        strasse as address1,
        ort as city,
        cast(null as varchar) as region,
        plz as zip,
        land as country,
        cast(geaendert_am as timestamp) as updated_at
    from kunden
)

select * from final
