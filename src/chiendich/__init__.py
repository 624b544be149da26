"""chiendich: a provincial digital-transformation peak campaign, run from records."""
