"""The side panel's sections, one module each; each draws from the app's state and calls the app's methods."""
