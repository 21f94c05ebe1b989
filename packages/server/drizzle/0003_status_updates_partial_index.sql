DROP INDEX `messages_status_updates_idx`;--> statement-breakpoint
CREATE INDEX `messages_status_updates_idx` ON `messages` (`account_id`,`seq`) WHERE kind = 'status_update';