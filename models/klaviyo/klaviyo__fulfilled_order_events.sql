-- One Fulfilled Order event per shippable order with a fulfilled_at, sent to the
-- person its Placed Order went to; event_id is "<order id>:fulfilled". The SQL is shared by the three
-- order change models (macros/klaviyo__order_change_events.sql).
{{ klaviyo__order_change_events('fulfilled') }}
