-- One Refunded Order event per shippable order that was refunded, sent to the
-- person its Placed Order went to; event_id is "<order id>:refunded". The SQL is shared by the three
-- order change models (macros/klaviyo__order_change_events.sql).
{{ klaviyo__order_change_events('refunded') }}
