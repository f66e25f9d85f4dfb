"""Steps that turn what a reader found (an HTML page) into text the cleaning steps can read."""
