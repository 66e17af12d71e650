"""The district's procurement: a market that plans every school's processes, and their events."""
