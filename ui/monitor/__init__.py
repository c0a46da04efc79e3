"""The Monitor page's pieces: controls, the stakeholder summary, traffic, drift, performance,
alerts and settings; the app's background refresher."""
