-- Full-text search over subjects and visible bodies. rowid = messages.seq.
-- `scope` holds the tokens that decide who may match a row (account, conversation, visibility),
-- so a caller's scope is part of the index query itself.
CREATE VIRTUAL TABLE `message_search` USING fts5(subject, body, scope, tokenize = 'unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `audit_events_no_update` BEFORE UPDATE ON `audit_events` BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_events_no_delete` BEFORE DELETE ON `audit_events` BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
