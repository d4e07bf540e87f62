select cast(null as varchar) as email, cast(null as varchar) as email_consent, cast(null as boolean) as is_suppressed
where false
