"""The portal's pages, a router per part of the menu (the core — sessions, sign-in, the page
renderer — is in `services.portal.api`)."""
