"""Everything that speaks HTTP to LinkedIn: the REST client, OAuth sign-in and typed errors."""
