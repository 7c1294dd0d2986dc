-- The name an agent shows customers instead of their email's local part.
ALTER TABLE support_agents ADD COLUMN display_name TEXT;
