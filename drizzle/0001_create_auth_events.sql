CREATE TABLE IF NOT EXISTS `auth_events` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` varchar(36) NOT NULL,
	`type` varchar(40) NOT NULL,
	`at` timestamp(3) NOT NULL,
	`ip` varchar(45),
	`device` varchar(120),
	`detail` varchar(60),
	`group_key` varchar(100),
	`count` int unsigned NOT NULL DEFAULT 1,
	CONSTRAINT `auth_events_id` PRIMARY KEY(`id`),
	CONSTRAINT `auth_events_user_group` UNIQUE(`user_id`,`group_key`),
	INDEX `auth_events_user_at` (`user_id`,`at`),
	INDEX `auth_events_at` (`at`),
	CONSTRAINT `auth_events_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action
);
