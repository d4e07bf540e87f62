-- This shop has no other systems: an empty input in the package's shape.
select cast(null as varchar) as source, cast(null as varchar) as source_id, cast(null as varchar) as customer_id, cast(null as varchar) as email
where false
