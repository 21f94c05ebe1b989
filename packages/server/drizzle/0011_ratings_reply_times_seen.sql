CREATE TABLE `account_settings` (
	`account_id` text PRIMARY KEY NOT NULL,
	`reply_amount` integer,
	`reply_unit` text,
	`show_reader_names` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `ratings` (
	`conversation_id` text NOT NULL,
	`user_id` text NOT NULL,
	`account_id` text NOT NULL,
	`score` integer NOT NULL,
	`comment` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`conversation_id`, `user_id`),
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ratings_account_idx` ON `ratings` (`account_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `seen_marks` (
	`conversation_id` text NOT NULL,
	`side` text NOT NULL,
	`message_seq` integer NOT NULL,
	`reader_id` text NOT NULL,
	`at` text NOT NULL,
	PRIMARY KEY(`conversation_id`, `side`),
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`reader_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `topic_reply_times` (
	`account_id` text NOT NULL,
	`topic_id` text NOT NULL,
	`amount` integer NOT NULL,
	`unit` text NOT NULL,
	PRIMARY KEY(`account_id`, `topic_id`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`topic_id`) REFERENCES `topics`(`id`) ON UPDATE no action ON DELETE no action
);
