"""The e-mail outbox: messages added with the event that causes them, sent later by a worker."""
