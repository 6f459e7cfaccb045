"""E-mail intake: `parse` reads a raw message, `loops` says which mail a program sent, `senders`
finds (or makes) the sender's account, `process` turns one message into an incident or a reply
exactly once, `replies` sends the one refusal intake ever answers with, `imap` reads the mailboxes."""
