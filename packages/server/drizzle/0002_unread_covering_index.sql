DROP INDEX `messages_conversation_idx`;--> statement-breakpoint
CREATE INDEX `messages_conversation_idx` ON `messages` (`conversation_id`,`seq`,`author_id`,`do_not_reply`);