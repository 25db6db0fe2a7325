"""What the app keeps between runs: settings, saved profiles, sign-in tokens and the OS keychain."""
