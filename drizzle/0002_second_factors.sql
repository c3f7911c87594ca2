CREATE TABLE IF NOT EXISTS `passkeys` (
	`id` varchar(36) NOT NULL,
	`user_id` varchar(36) NOT NULL,
	`credential_id` varchar(512) NOT NULL,
	`public_key` text NOT NULL,
	`counter` bigint unsigned NOT NULL DEFAULT 0,
	`transports` varchar(255) NOT NULL DEFAULT '',
	`name` varchar(64) NOT NULL,
	`backed_up` boolean NOT NULL DEFAULT false,
	`created_at` timestamp NOT NULL DEFAULT (now()),
	`last_used_at` timestamp NULL,
	CONSTRAINT `passkeys_id` PRIMARY KEY(`id`),
	CONSTRAINT `passkeys_credential_id_unique` UNIQUE(`credential_id`),
	INDEX `passkeys_user_id_idx` (`user_id`),
	CONSTRAINT `passkeys_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `recovery_codes` (
	`user_id` varchar(36) NOT NULL,
	`code_hash` varchar(64) NOT NULL,
	`used_at` timestamp NULL,
	`created_at` timestamp NOT NULL DEFAULT (now()),
	CONSTRAINT `recovery_codes_user_id_code_hash_pk` PRIMARY KEY(`user_id`,`code_hash`),
	CONSTRAINT `recovery_codes_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `totp_credentials` (
	`user_id` varchar(36) NOT NULL,
	`secret_sealed` varchar(255) NOT NULL,
	`confirmed_at` timestamp NULL,
	`created_at` timestamp NOT NULL DEFAULT (now()),
	CONSTRAINT `totp_credentials_user_id` PRIMARY KEY(`user_id`),
	CONSTRAINT `totp_credentials_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action
);
