"""E-mail: the outbox every package queues its mail in, and the sender that delivers it."""
