ALTER TABLE `topics` ADD `account_id` text REFERENCES accounts(id);--> statement-breakpoint
CREATE INDEX `topics_account_idx` ON `topics` (`account_id`,`position`);